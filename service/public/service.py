"""The public answer to "is this account official?", shared by the API and the public page."""

from sqlmodel import Session, SQLModel

from service.accounts import service as accounts
from service.accounts.models import DirectoryEntry
from service.public import register
from workflows.platforms import Platform


class Verification(SQLModel):
    official: bool
    platform: Platform
    handle: str
    account: DirectoryEntry | None
    institution: str | None


def answer(
    current: register.Register,
    *,
    url: str | None = None,
    platform: Platform | None = None,
    handle: str | None = None,
) -> Verification:
    """The register's answer about the account that `url`, or `platform` and `handle`, name."""
    ref = accounts.resolve_reference(url=url, platform=platform, handle=handle)
    entry = current.official(ref)
    return Verification(
        official=entry is not None,
        platform=ref.platform,
        handle=ref.handle,
        account=entry,
        institution=current.institution,
    )


def verify(
    session: Session,
    *,
    url: str | None = None,
    platform: Platform | None = None,
    handle: str | None = None,
) -> Verification:
    """Answered from the in-memory register, checked against the database's version stamp."""
    return answer(register.current(session), url=url, platform=platform, handle=handle)
