from fastapi import APIRouter

from service.accounts import credentials, service, stewardship
from service.accounts.deps import AccountsDecide, AccountsOversee, AccountsRead, AccountsRequest
from service.accounts.models import (
    AccountDecision,
    AccountPublic,
    AccountRequest,
    AccountUpdate,
    AuthorizationPublic,
    CredentialsIn,
    CredentialsStatus,
    ReviewFilter,
    StewardAdd,
)
from service.db import DbSession
from service.openapi_links import account_links
from workflows.account_lifecycle import AccountAction, AccountStatus
from workflows.platforms import Platform
from workflows.stewardship import Flag

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])


@router.post("", status_code=201, responses=account_links(201, "$response.body#/id"))
def request_account(
    data: AccountRequest, user: AccountsRequest, session: DbSession
) -> AccountPublic:
    account = service.request_account(session, user, data)
    return service.to_public(session, [account])[0]


@router.get("", responses=account_links(200, "$response.body#/0/id"))
def list_accounts(
    _: AccountsRead,
    session: DbSession,
    status: AccountStatus | None = None,
    platform: Platform | None = None,
    review: ReviewFilter | None = None,
    flag: Flag | None = None,
) -> list[AccountPublic]:
    found = service.list_accounts(
        session, status=status, platform=platform, review=review, flag=flag
    )
    return service.to_public(session, found)


@router.get("/{account_id}", responses=account_links(200, "$response.body#/id"))
def get_account(account_id: int, _: AccountsRead, session: DbSession) -> AccountPublic:
    return service.to_public(session, [service.get_account(session, account_id)])[0]


@router.patch("/{account_id}")
def update_account(
    account_id: int, data: AccountUpdate, user: AccountsDecide, session: DbSession
) -> AccountPublic:
    account = service.update_account(session, account_id, data, user)
    return service.to_public(session, [account])[0]


@router.post("/{account_id}/stewards")
def add_steward(
    account_id: int, data: StewardAdd, user: AccountsDecide, session: DbSession
) -> AccountPublic:
    account = service.add_steward(session, account_id, data.email, user)
    return service.to_public(session, [account])[0]


@router.delete("/{account_id}/stewards/{email}")
def remove_steward(
    account_id: int, email: str, user: AccountsDecide, session: DbSession
) -> AccountPublic:
    account = service.remove_steward(session, account_id, email, user)
    return service.to_public(session, [account])[0]


@router.get("/{account_id}/authorizations")
def authorizations(
    account_id: int, _: AccountsRead, session: DbSession
) -> list[AuthorizationPublic]:
    service.get_account(session, account_id)
    return service.authorizations(session, account_id)


# Before `/{action}`: "reauthorize" is not a lifecycle action (the status stays authorized).
@router.post("/{account_id}/reauthorize")
def reauthorize(
    account_id: int, user: AccountsDecide, session: DbSession, data: AccountDecision | None = None
) -> AccountPublic:
    account = stewardship.reauthorize(session, account_id, user, data.reason if data else "")
    return service.to_public(session, [account])[0]


@router.post("/{account_id}/{action}")
def decide(
    account_id: int,
    action: AccountAction,
    user: AccountsDecide,
    session: DbSession,
    data: AccountDecision | None = None,
) -> AccountPublic:
    reason = data.reason if data else ""
    account = service.decide(session, account_id, action, user, reason)
    return service.to_public(session, [account])[0]


@router.put("/{account_id}/credentials")
def connect_credentials(
    account_id: int, data: CredentialsIn, user: AccountsDecide, session: DbSession
) -> CredentialsStatus:
    credentials.connect(session, account_id, data, user)
    return credentials.status(session, account_id)


@router.get("/{account_id}/credentials")
def credentials_status(
    account_id: int, _: AccountsOversee, session: DbSession
) -> CredentialsStatus:
    return credentials.status(session, account_id)


@router.delete("/{account_id}/credentials")
def disconnect_credentials(
    account_id: int, user: AccountsDecide, session: DbSession
) -> CredentialsStatus:
    credentials.disconnect(session, account_id, user)
    return credentials.status(session, account_id)
