"""Payload shapes the platforms document, shared by connector tests and scans through them."""

from typing import Any


def graph_error(code: int, message: str, subcode: int | None = None, **extra: Any) -> Any:
    """A Graph API error object as Meta documents it."""
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": {**error, **extra, "fbtrace_id": "AbCdEf123"}}
