"""A ceiling on request bodies, checked as they are read, before any route parses them.

Without one, FastAPI reads a JSON or form body whole into memory before validating it, so a
20 MB body costs a worker 20 MB (more once parsed) only to be refused. Uploads are multipart
and may be as large as `max_upload_bytes` plus their form fields; every other body (JSON,
url-encoded forms) stops at `max_body_bytes`. A declared Content-Length past the limit is
refused before the first byte is read; a body without one, at the first chunk past it. The
413 is raised where the body is read, so it goes through the error handlers like any other
refusal (JSON for the API, a page for browsers). Each upload route still applies its own,
smaller limit (a roster, a screenshot) with its own message.
"""

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.settings import Settings

# Room for the form fields and part headers that travel with the largest accepted file.
MULTIPART_ALLOWANCE = 1024 * 1024


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"The request body is larger than {limit} bytes; nothing was read.")


class BodyLimit:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.other = settings.max_body_bytes
        self.multipart = settings.max_upload_bytes + MULTIPART_ALLOWANCE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        multipart = headers.get("content-type", "").startswith("multipart/")
        limit = self.multipart if multipart else self.other
        declared = headers.get("content-length", "")
        # The server holds a body to its declared length, so only an undeclared one is counted.
        counted = not declared.isdigit()
        size = 0 if counted else int(declared)

        async def limited() -> Message:
            nonlocal size
            if size > limit:
                raise _too_large(limit)
            message = await receive()
            if message["type"] == "http.request" and counted:
                size += len(message.get("body", b""))
                if size > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, limited, send)
