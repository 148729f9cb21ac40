"""What anyone may ask without signing in: is this account official, and which ones are."""

from fastapi import APIRouter
from sqlmodel import SQLModel

from service.accounts import service as accounts
from service.accounts.models import DirectoryEntry
from service.auth.deps import PUBLIC
from service.db import DbSession
from service.institution.service import institution_name
from workflows.platforms import Platform

router = APIRouter(prefix="/api/v1/public", tags=["public"], dependencies=[PUBLIC])


class Verification(SQLModel):
    official: bool
    platform: Platform
    handle: str
    account: DirectoryEntry | None
    institution: str | None


@router.get("/verify")
def verify(
    session: DbSession,
    url: str | None = None,
    platform: Platform | None = None,
    handle: str | None = None,
) -> Verification:
    ref = accounts.resolve_reference(url=url, platform=platform, handle=handle)
    account = accounts.official_account(session, ref)
    return Verification(
        official=account is not None,
        platform=ref.platform,
        handle=ref.handle,
        account=accounts.directory_entry(account) if account else None,
        institution=institution_name(session),
    )


@router.get("/accounts")
def directory(session: DbSession) -> list[DirectoryEntry]:
    return accounts.directory(session)
