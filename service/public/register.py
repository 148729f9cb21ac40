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

Reading the stamp is the whole cost of a lookup, so on PostgreSQL it is one round trip: a
statement on an autocommit pool of its own, outside the request's session (which then never
checks a connection out: no ping, BEGIN or COMMIT). That pool skips the pre-ping; a connection
that died with the server fails once, which invalidates the pool, and is retried once. A
session bound to a connection (a test's transaction) or holding its own changes reads through
the session instead.
"""

import threading
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
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
_readers: "WeakKeyDictionary[Engine, Engine]" = WeakKeyDictionary()
_readers_lock = threading.Lock()


def load(session: Session, stamp: str | None) -> Register:
    register = Register(stamp, institution_name(session))
    for account in accounts.list_accounts(session, status=AccountStatus.authorized):
        entry = accounts.directory_entry(account)
        register.by_handle[(account.platform, account.handle_key)] = entry
        if account.platform_account_id:
            register.by_platform_id[(account.platform, account.platform_account_id)] = entry
    return register


def _stamp_reader(engine: Engine) -> Engine:
    """The engine that reads `engine`'s stamp: an autocommit pool without pre-ping on
    PostgreSQL, disposed with `engine`; SQLite's own engine (a local file: no round trip)."""
    if engine.dialect.name == "sqlite":
        return engine
    with _readers_lock:
        reader = _readers.get(engine)
        if reader is None:
            reader = create_engine(engine.url, isolation_level="AUTOCOMMIT")
            event.listen(engine, "engine_disposed", lambda _: reader.dispose())
            _readers[engine] = reader
        return reader


def _read_stamp(engine: Engine) -> str | None:
    with _stamp_reader(engine).connect() as connection:
        stamp: str | None = connection.execute(register_version.STAMP).scalar()
        return stamp


def read_stamp(engine: Engine) -> str | None:
    try:
        return _read_stamp(engine)
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        return _read_stamp(engine)  # the dead connection invalidated the pool: a new one


def current(session: Session) -> Register:
    """The register as this session's transaction sees it, from memory when still current."""
    if register_version.changed_here(session):
        return load(session, None)  # its own uncommitted changes: read through, keep nothing
    bind = session.get_bind()
    if isinstance(bind, Engine):
        stamp = read_stamp(bind)
    else:
        stamp = register_version.current_stamp(session)
    copy = _copies.get(bind.engine)
    if copy is None or stamp is None or copy.stamp != stamp:
        copy = load(session, stamp)
        _copies[bind.engine] = copy
    return copy
