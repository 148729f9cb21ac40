"""Errors as a browser should see them: a page that says what went wrong and leaks nothing.

API clients (and any caller that does not ask for HTML) keep the JSON error shape; a signed-out
browser is sent to sign in and brought back afterwards.
"""

from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from service.auth.deps import VIEWER_STATE
from service.auth.oidc import safe_next
from service.web.templating import render

TITLES = {
    400: "This request could not be handled",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    409: "This changed in the meantime",
    413: "Too large",
    422: "Please check what you entered",
    429: "Too many requests",
    503: "Temporarily unavailable",
}


def wants_page(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "") or "hx-request" in request.headers


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _back(request: Request) -> str | None:
    """The page the person came from on this site, to return to after reading the error."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return None
    path = referer.path + (f"?{referer.query}" if referer.query else "")
    back = safe_next(path) if referer.path else None
    return back if back and back != request.url.path else None


def page_error(
    request: Request, status: int, message: str, problems: list[dict[str, Any]] | None = None
) -> Response:
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        login = f"/login?next={quote(target, safe='')}"
        if _is_htmx(request):
            return Response(status_code=401, headers={"HX-Redirect": login})
        return RedirectResponse(login, status_code=303)
    title = TITLES.get(status, "Something went wrong" if status >= 500 else "Request refused")
    template = "_error_fragment.html" if _is_htmx(request) else "error.html"
    return render(
        request,
        template,
        getattr(request.state, VIEWER_STATE, None),
        status,
        back=_back(request),
        title=title,
        message=message,
        status=status,
        problems=problems or [],
    )
