"""Web pages of the register: the list (filters, and the form to request an account) and an
account's page (its authorization record, stewards, history and the superintendent's decisions).

Every page calls the same service functions as the JSON API in service/accounts/routes.py.
"""

from typing import Annotated, Any, get_args

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BeforeValidator, StringConstraints

from service.accounts import service, stewardship
from service.accounts.deps import AccountsDecide, AccountsRead, AccountsRequest
from service.accounts.models import AccountRequest, StewardAdd
from service.auth.deps import access_of
from service.db import DbSession
from service.users.models import User
from service.web.templating import flash, render
from workflows.account_lifecycle import AccountAction, AccountStatus
from workflows.platforms import Platform

router = APIRouter(include_in_schema=False)


def _blank_is_none(value: object) -> object:
    """A filter form sends "" for "any"; that means no filter, not an unknown value."""
    return None if value == "" else value


StatusFilter = Annotated[AccountStatus | None, BeforeValidator(_blank_is_none), Query()]
PlatformFilter = Annotated[Platform | None, BeforeValidator(_blank_is_none), Query()]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Email = Annotated[str, Form(max_length=320)]
HISTORY_SHOWN = 50

DONE = {
    AccountAction.authorize: "Authorized",
    AccountAction.reject: "Rejected",
    AccountAction.suspend: "Suspended",
    AccountAction.reinstate: "Reinstated",
    AccountAction.revoke: "Revoked",
}


def _may(user: User, access: Any) -> bool:
    """Whether `user` passes a named access alias: read off its declaration, never restated."""
    dependency = get_args(access)[1].dependency
    return user.role in (access_of(dependency) or frozenset())


def _account_page(account_id: int) -> RedirectResponse:
    return RedirectResponse(f"/accounts/{account_id}", status_code=303)


@router.get("/accounts", response_class=HTMLResponse)
def register_page(
    request: Request,
    user: AccountsRead,
    session: DbSession,
    status: StatusFilter = None,
    platform: PlatformFilter = None,
) -> Response:
    return render(
        request,
        "accounts/list.html",
        user,
        title="Register of official accounts",
        accounts=service.list_accounts(session, status=status, platform=platform),
        status=status,
        platform=platform,
        statuses=list(AccountStatus),
        platforms=list(Platform),
        may_request=_may(user, AccountsRequest),
    )


@router.post("/accounts/request")
def request_account(
    request: Request,
    user: AccountsRequest,
    session: DbSession,
    url: Annotated[str, Form(min_length=1, max_length=2048)],
    display_name: Annotated[str, Form(max_length=200)] = "",
    purpose: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    data = AccountRequest(url=url.strip(), display_name=display_name, purpose=purpose)
    account = service.request_account(session, user, data)
    assert account.id is not None
    flash(
        request,
        f"Requested @{account.handle} on {account.platform.value.capitalize()}; "
        "the superintendent will decide whether it becomes official.",
    )
    return _account_page(account.id)


@router.get("/accounts/{account_id}", response_class=HTMLResponse)
def account_page(
    request: Request, account_id: int, user: AccountsRead, session: DbSession
) -> Response:
    record = service.account_record(session, account_id, user, history_limit=HISTORY_SHOWN)
    return render(
        request,
        "accounts/detail.html",
        user,
        title=f"@{record.account.handle} on {record.account.platform.value.capitalize()}",
        account=record.account,
        history=record.history,
        history_shown=HISTORY_SHOWN,
        actions=record.actions,
        may_manage=_may(user, AccountsDecide),
        authorizations=record.authorizations,
        may_reauthorize=record.may_reauthorize,
    )


@router.post("/accounts/{account_id}/stewards")
def add_steward(
    request: Request, account_id: int, user: AccountsDecide, session: DbSession, email: Email
) -> Response:
    steward = StewardAdd(email=email.strip())
    service.add_steward(session, account_id, steward.email, user)
    flash(request, f"{steward.email} now stewards this account.")
    return _account_page(account_id)


@router.post("/accounts/{account_id}/stewards/remove")
def remove_steward(
    request: Request, account_id: int, user: AccountsDecide, session: DbSession, email: Email
) -> Response:
    service.remove_steward(session, account_id, email.strip(), user)
    flash(request, f"{email.strip()} no longer stewards this account.")
    return _account_page(account_id)


# Before `/{action}`: re-authorizing keeps the status, it is not a lifecycle action.
@router.post("/accounts/{account_id}/reauthorize")
def reauthorize(
    request: Request,
    account_id: int,
    user: AccountsDecide,
    session: DbSession,
    reason: Annotated[Reason, Form()],
) -> Response:
    account = stewardship.reauthorize(session, account_id, user, reason)
    assert account.review_due is not None
    flash(request, f"Re-authorized @{account.handle}: next review {account.review_due:%Y-%m-%d}.")
    return _account_page(account_id)


@router.post("/accounts/{account_id}/{action}")
def decide(
    request: Request,
    account_id: int,
    action: AccountAction,
    user: AccountsDecide,
    session: DbSession,
    reason: Annotated[Reason, Form()],
) -> Response:
    account = service.decide(session, account_id, action, user, reason)
    flash(request, f"{DONE[action]} @{account.handle}: it is now {account.status.value}.")
    return _account_page(account_id)
