"""Rendering pages: one Jinja2 environment, and what every page's layout needs.

Autoescaping is on for every template, so text from people and platforms is always escaped.
"""

from contextvars import ContextVar
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from service.settings import get_settings
from service.users.models import User
from service.web import csrf
from service.web.navigation import menu_for

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
FLASH_KEY = "flash"

templates = Jinja2Templates(directory=TEMPLATES_DIR)
# The page being rendered's CSRF token, for macros: `{% from ... import %}` does not pass the
# page's variables to a macro, so `csrf_field()` reads it from here instead.
_page_token: ContextVar[str] = ContextVar("page_token", default="")
templates.env.globals["page_csrf_token"] = _page_token.get


def flash(request: Request, message: str) -> None:
    """A message for the next page this browser shows (after a redirect)."""
    request.session[FLASH_KEY] = [*request.session.get(FLASH_KEY, []), message]


def _take_flashes(request: Request) -> list[str]:
    messages = request.session.pop(FLASH_KEY, [])
    return [str(message) for message in messages] if isinstance(messages, list) else []


def render(
    request: Request,
    template: str,
    user: User | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    token = csrf.token(request)
    _page_token.set(token)  # TemplateResponse renders right away, in this context
    layout = {
        "user": user,
        "menu": menu_for(request.app, user.role) if user else [],
        "csrf_token": token,
        "flashes": _take_flashes(request),
        "demo": get_settings().demo,
        "path": request.url.path,
    }
    return templates.TemplateResponse(
        request, template, {**layout, **context}, status_code=status_code
    )
