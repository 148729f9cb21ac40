"""Sign-in routes: OpenID Connect login and callback (logic in `oidc`), and logout.

The OIDC handlers are async because authlib's Starlette client is; the database work of the
callback runs in the thread pool so a slow database never stalls the event loop.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from service.auth import oidc, service
from service.auth.deps import PUBLIC
from service.auth.service import SESSION_KEY
from service.db import DbSession
from service.settings import Settings, get_settings

router = APIRouter(tags=["auth"], dependencies=[PUBLIC])

AppSettings = Annotated[Settings, Depends(get_settings)]


@router.get("/login/oidc", status_code=302, response_class=RedirectResponse)
async def login(
    request: Request,
    settings: AppSettings,
    next_path: Annotated[str | None, Query(alias="next")] = None,
) -> RedirectResponse:
    client = oidc.client_for(request.app, settings)
    return await oidc.redirect_to_issuer(client, request, settings, next_path)


@router.get(oidc.CALLBACK_PATH, status_code=303, response_class=RedirectResponse)
async def auth_callback(
    request: Request, session: DbSession, settings: AppSettings
) -> RedirectResponse:
    client = oidc.client_for(request.app, settings)
    identity = oidc.identity_from_claims(await oidc.exchange_code(client, request))
    destination = await run_in_threadpool(
        oidc.complete_sign_in, request, session, identity, settings.session_days
    )
    return RedirectResponse(destination, status_code=303)


@router.post("/logout", status_code=303, response_class=RedirectResponse)
def logout(request: Request, session: DbSession) -> RedirectResponse:
    secret = request.session.pop(SESSION_KEY, None)
    if isinstance(secret, str):
        service.end_web_session(session, secret)
    request.session.clear()
    return RedirectResponse("/", status_code=303)
