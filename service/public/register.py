"""The register of official accounts, held in memory for the public verify endpoint.

"Is this account official?" is the one question anyone may ask without signing in, so it is
the one that takes public traffic; the register is small (tens of accounts), so each process
keeps the authorized accounts and the institution's name in memory and answers from there.
Each lookup still reads one value from the database: the register's version stamp
(`service.public.register_version`), written by every transaction that changes an account or
the institution, in that same transaction. When the stamp differs from the one the copy was
loaded under, the copy is reloaded before answering, so an account revoked by any process is
never answered "official" once the revoking transaction has committed.

The stamp is read before the rows: under READ COMMITTED the rows may then be newer than the
stamp, never older, so a copy can be reloaded once too often but never kept stale. Copies are
kept per engine (one per database, as tests use several), replaced whole so that threads
share them without a lock; two threads reloading at once both answer from a current copy.
"""

from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlmodel import Session

from service.accounts import service as accounts
from service.accounts.models import DirectoryEntry
from service.institution.service import institution_name
from service.public import register_version
from workflows.account_lifecycle import AccountStatus
from workflows.platforms import Platform
from workflows.profile_urls import ProfileRef

Key = tuple[Platform, str]


@dataclass(frozen=True)
class Register:
    """The authorized accounts, by handle key and by platform account id, as of `stamp`."""

    stamp: str | None
    institution: str | None
    by_handle: dict[Key, DirectoryEntry] = field(default_factory=dict)
    by_platform_id: dict[Key, DirectoryEntry] = field(default_factory=dict)

    def official(self, ref: ProfileRef) -> DirectoryEntry | None:
        """The same match as `accounts.find_by_reference`: the handle, or the platform's id."""
        key = (ref.platform, ref.key)
        return self.by_handle.get(key) or self.by_platform_id.get((ref.platform, ref.handle))


_copies: "WeakKeyDictionary[Engine, Register]" = WeakKeyDictionary()


def load(session: Session, stamp: str | None) -> Register:
    register = Register(stamp, institution_name(session))
    for account in accounts.list_accounts(session, status=AccountStatus.authorized):
        entry = accounts.directory_entry(account)
        register.by_handle[(account.platform, account.handle_key)] = entry
        if account.platform_account_id:
            register.by_platform_id[(account.platform, account.platform_account_id)] = entry
    return register


def current(session: Session) -> Register:
    """The register as this session's transaction sees it, from memory when still current."""
    if register_version.changed_here(session):
        return load(session, None)  # its own uncommitted changes: read through, keep nothing
    stamp = register_version.current_stamp(session)
    engine = session.get_bind().engine
    copy = _copies.get(engine)
    if copy is None or stamp is None or copy.stamp != stamp:
        copy = load(session, stamp)
        _copies[engine] = copy
    return copy
