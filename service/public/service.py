"""The public answer to "is this account official?", shared by the API and the public page."""

from sqlmodel import Session, SQLModel

from service.accounts import service as accounts
from service.accounts.models import DirectoryEntry
from service.institution.service import institution_name
from workflows.platforms import Platform


class Verification(SQLModel):
    official: bool
    platform: Platform
    handle: str
    account: DirectoryEntry | None
    institution: str | None


def verify(
    session: Session,
    *,
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
