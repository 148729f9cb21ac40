"""Cross-site request forgery protection for everything a browser session can change.

A forged request can only abuse ambient credentials, so the check applies exactly when the
caller is signed in through the session cookie and the method changes something. Bearer
tokens are never sent by a browser on its own, so API clients are not asked for the token.
The token lives in the signed session cookie and travels in a form field or, for htmx, in a
header.
"""

import secrets

from fastapi import Request

from service.auth.service import SESSION_KEY
from service.errors import DomainError

TOKEN_KEY = "csrf"  # noqa: S105 - the session key the token is kept under  # nosec B105
FORM_FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfRefused(DomainError):
    status_code = 400
    code = "csrf"


def token(request: Request) -> str:
    """This browser session's token, created on first use."""
    existing = request.session.get(TOKEN_KEY)
    if isinstance(existing, str):
        return existing
    fresh = secrets.token_urlsafe(32)
    request.session[TOKEN_KEY] = fresh
    return fresh


async def _sent_token(request: Request) -> str | None:
    if header := request.headers.get(HEADER):
        return header
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        value = (await request.form()).get(FORM_FIELD)
        return value if isinstance(value, str) else None
    return None


async def verify(request: Request) -> None:
    """Refuse a request whose token is missing or is not this session's."""
    expected = request.session.get(TOKEN_KEY)
    sent = await _sent_token(request)
    if not isinstance(expected, str) or sent is None or not secrets.compare_digest(sent, expected):
        raise CsrfRefused(
            "This form has expired or did not come from this site; reload the page and try again."
        )


async def protect(request: Request) -> None:
    """App-wide dependency: verify the token on a state change made with the session cookie."""
    if request.method in SAFE_METHODS or "authorization" in request.headers:
        return
    if SESSION_KEY in request.session:
        await verify(request)
