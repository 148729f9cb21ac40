"""The public pages: "Is this account official?" and the directory, for a district's website
to link to. No sign-in, and nothing beyond what the public API already answers."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from service.accounts import service as accounts
from service.auth.deps import PUBLIC
from service.db import DbSession
from service.errors import Invalid
from service.institution.service import institution_name
from service.public import service
from service.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[PUBLIC])


@router.get("/verify", response_class=HTMLResponse)
def verify_page(
    request: Request,
    session: DbSession,
    url: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    answer, problem = None, None
    if url and url.strip():
        try:
            answer = service.verify(session, url=url.strip())
        except Invalid as refused:
            problem = refused.message
    return render(
        request,
        "public/verify.html",
        None,
        status_code=422 if problem else 200,
        title="Is this account official?",
        url=url or "",
        answer=answer,
        problem=problem,
        institution=institution_name(session),
    )


@router.get("/directory", response_class=HTMLResponse)
def directory_page(request: Request, session: DbSession) -> Response:
    return render(
        request,
        "public/directory.html",
        None,
        title="Official accounts",
        entries=accounts.directory(session),
        institution=institution_name(session),
    )
