"""The start page, sign-in, and the demo's pick-a-user sign-in.

The start page is the dashboard for a signed-in person and the public page for everyone else.
"""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.auth import service as auth
from service.auth.deps import PUBLIC, signed_in_user
from service.auth.oidc import safe_next
from service.db import DbSession
from service.errors import NotFound
from service.institution.service import institution_name
from service.settings import Settings, get_settings
from service.users import service as users
from service.users.models import User
from service.web import csrf
from service.web.dashboard import recent_activity, waiting_for
from service.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[PUBLIC])

AppSettings = Annotated[Settings, Depends(get_settings)]
Visitor = Annotated[User | None, Depends(signed_in_user)]


@router.get("/", response_class=HTMLResponse)
def start_page(request: Request, session: DbSession, visitor: Visitor) -> Response:
    if visitor is None:
        return render(request, "public/home.html", None, institution=institution_name(session))
    return render(
        request,
        "dashboard.html",
        visitor,
        title="Dashboard",
        queues=waiting_for(session, visitor),
        activity=recent_activity(session, visitor),
    )


def _demo_people(session: DbSession) -> list[User]:
    from service.demo import DEMO_USERS  # the demo package is only loaded in demo mode

    found = (users.find_by_email(session, email) for email, _, _ in DEMO_USERS)
    return [person for person in found if person is not None and person.active]


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    next_path: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    destination = safe_next(next_path)
    if settings.oidc_enabled and not settings.demo:
        return RedirectResponse(f"/login/oidc?next={quote(destination, safe='')}", status_code=303)
    return render(
        request,
        "login.html",
        None,
        title="Sign in",
        next_path=destination,
        oidc_enabled=settings.oidc_enabled,
        demo_people=_demo_people(session) if settings.demo else [],
    )


@router.post("/login/demo", dependencies=[Depends(csrf.verify)])
def demo_sign_in(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    email: Annotated[str, Form(max_length=320)],
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/",
) -> Response:
    """Sign in as one of the demo users; exists only while the demo is on."""
    if not settings.demo:
        raise NotFound("Not found.")
    person = next((p for p in _demo_people(session) if p.email == email), None)
    if person is None:
        raise NotFound("There is no demo user with that email.")
    auth.switch_web_session(session, request.session, person, days=settings.session_days)
    return RedirectResponse(safe_next(next_path), status_code=303)


@router.get("/logout", response_class=HTMLResponse)
def logout_page(request: Request, visitor: Visitor) -> Response:
    """Signing out changes state, so it takes a POST; a link to /logout lands here."""
    if visitor is None:
        return RedirectResponse("/", status_code=303)
    return render(request, "logout.html", visitor, title="Sign out")
