"""An account's approval route as a page: the superintendent edits it, everyone else reads it.

Same service functions as `PUT/GET /api/v1/accounts/{id}/approval-steps`.
"""

from typing import Annotated, get_args

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.accounts import service as accounts
from service.accounts.deps import AccountsDecide, AccountsRead
from service.auth.deps import access_of
from service.db import DbSession
from service.errors import Invalid
from service.posts import routing
from service.web.templating import flash, render
from workflows.approval_routing import RULES

router = APIRouter(include_in_schema=False)
BLANK_ROWS = 3
MAX_ROWS = 20
Column = Annotated[list[str], Form(max_length=MAX_ROWS)]


@router.get("/accounts/{account_id}/approval-steps", response_class=HTMLResponse)
def approval_steps_page(
    request: Request, account_id: int, user: AccountsRead, session: DbSession
) -> Response:
    account = accounts.get_account(session, account_id)
    steps = routing.to_public(session, routing.get_steps(session, account_id))
    may_edit = user.role in (access_of(get_args(AccountsDecide)[1].dependency) or frozenset())
    return render(
        request,
        "posts/approval_steps.html",
        user,
        title=f"Approval route of @{account.handle}",
        account=account,
        steps=steps,
        may_edit=may_edit,
        rows=[*steps, *([None] * BLANK_ROWS)][:MAX_ROWS],
        roles=sorted(routing.REVIEWER_ROLES),
        rules=RULES,
    )


@router.post("/accounts/{account_id}/approval-steps")
def save_approval_steps(
    request: Request,
    account_id: int,
    user: AccountsDecide,
    session: DbSession,
    role: Column,
    users: Column,
    rule: Column,
) -> Response:
    if not len(role) == len(users) == len(rule):
        raise Invalid("Each step needs a role, users and a rule field.")
    steps = routing.steps_from_rows(session, list(zip(role, users, rule, strict=True)))
    saved = routing.replace_steps(session, account_id, steps, user)
    flash(request, f"Saved the approval route: {len(saved)} step(s).")
    return RedirectResponse(f"/accounts/{account_id}/approval-steps", status_code=303)
