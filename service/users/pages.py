"""Web page of the people who sign in: the superintendent deactivates someone who left.

Calls the same service function as `POST /api/v1/users/{email}/deactivate`.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.db import DbSession
from service.users import service
from service.users.deps import UsersManage
from service.web.templating import flash, render

router = APIRouter(include_in_schema=False)


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: UsersManage, session: DbSession) -> Response:
    return render(
        request, "users/list.html", user, title="People", people=service.list_users(session)
    )


@router.post("/users/{email}/deactivate")
def deactivate(request: Request, email: str, user: UsersManage, session: DbSession) -> Response:
    report = service.deactivate_user(session, email, actor=user.email)
    short = [
        f"@{a.handle} ({', '.join(f.value.replace('_', ' ') for f in a.flags)})"
        for a in report.accounts
        if a.flags
    ]
    flash(
        request,
        f"Deactivated {report.user.email}; their tokens and sessions are revoked. "
        f"They stewarded {len(report.accounts)} account(s)"
        + (f"; needing stewards now: {', '.join(short)}." if short else "."),
    )
    return RedirectResponse("/users", status_code=303)
