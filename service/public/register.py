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

Reading the stamp is the whole cost of a lookup, so on PostgreSQL it is one round trip. For
the lookups made through a session (the `/verify` page, the report form) it is a statement
on an autocommit pool of its own, outside the request's session (which then never
checks a connection out: no ping, BEGIN or COMMIT). That pool skips the pre-ping; a connection
that died with the server fails once, which invalidates the pool, and is retried once. A
session bound to a connection (a test's transaction) or holding its own changes reads through
the session instead.

The API's verify route is asynchronous and never opens a session: it waits for a stamp read
that began after its request arrived (`StampWatch`), so it sees every change committed before
that, while the requests arriving together share one read. On PostgreSQL that read runs on the
event loop itself, over an asynchronous autocommit connection of the watch's own: read from
the thread pool, each step of the read waited for the thread's turn at the interpreter lock,
which a busy event loop holds for up to 5 ms at a time, and every waiting request with it.
"""

import asyncio
import threading
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

import anyio
import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from service.accounts import service as accounts
from service.accounts.models import DirectoryEntry
from service.db import get_engine
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
    return _kept(bind.engine, stamp) or _keep(bind.engine, load(session, stamp))


def _kept(engine: Engine, stamp: str | None) -> Register | None:
    """The copy held for `engine`, if it was loaded under `stamp` (never without a stamp)."""
    copy = _copies.get(engine)
    return copy if copy is not None and stamp is not None and copy.stamp == stamp else None


def _keep(engine: Engine, copy: Register) -> Register:
    _copies[engine] = copy
    return copy


# Under load, reads start at most this often: the requests of the interval share one.
READ_SPACING_SECONDS = 0.001


class StampWatch:
    """The stamp for the requests of one event loop, read once for all who ask together.

    A request never takes the answer of a read already under way (it might have begun before
    a commit the request must see): it joins the next read, which starts when the current one
    ends, and not sooner than READ_SPACING_SECONDS after it began. Back to back, reads were a
    fifth of a busy server's work (their own and PostgreSQL's, one read for every three or
    four requests); spaced, a crowd shares each, and a request that finds no read under way
    still has one at once.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.loop = asyncio.get_running_loop()
        self._next: asyncio.Future[str | None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._last_read = -1.0
        self._connection: psycopg.AsyncConnection[tuple[str]] | None = None
        self._statement = str(
            register_version.STAMP.compile(engine, compile_kwargs={"literal_binds": True})
        )

    async def stamp(self) -> str | None:
        if self._next is None:
            self._next = self.loop.create_future()
        if self._reader is None or self._reader.done():
            self._reader = self.loop.create_task(self._read_while_asked())
        return await asyncio.shield(self._next)

    async def _read_while_asked(self) -> None:
        while self._next is not None:
            await asyncio.sleep(self._last_read + READ_SPACING_SECONDS - self.loop.time())
            asked, self._next = self._next, None
            self._last_read = self.loop.time()
            try:
                asked.set_result(await self.read())
            except Exception as error:  # every waiter gets it: the 503 of an absent database
                asked.set_exception(error)

    async def read(self) -> str | None:
        """One read of the committed stamp: on this loop on PostgreSQL; SQLite, a local file
        with no asynchronous driver, is read in the thread pool."""
        if self.engine.dialect.name != "postgresql":
            return await anyio.to_thread.run_sync(read_stamp, self.engine)
        try:
            return await self._read_postgresql()
        except psycopg.OperationalError:
            self.close()  # the connection died (a restarted server): a new one, once
            return await self._read_postgresql()

    async def _read_postgresql(self) -> str | None:
        if self._connection is None:
            arguments, options = self.engine.dialect.create_connect_args(self.engine.url)
            self._connection = await psycopg.AsyncConnection.connect(
                *arguments, **options, autocommit=True
            )
        row = await (await self._connection.execute(self._statement)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        """Close the connection at once, without the loop: only when nothing reads on it (its
        read failed, or its loop has ended)."""
        if self._connection is not None:
            self._connection.pgconn.finish()
            self._connection = None


_watches: dict[tuple[asyncio.AbstractEventLoop, Engine], StampWatch] = {}


def _watch(engine: Engine) -> StampWatch:
    loop = asyncio.get_running_loop()
    watch = _watches.get((loop, engine))
    if watch is None:
        _close_ended_watches()
        watch = _watches[(loop, engine)] = StampWatch(engine)
    return watch


def _close_ended_watches() -> None:
    """Forget the watches of event loops that have ended (a test client's, say), closing their
    connections: nothing can be reading on them any more."""
    for key, watch in list(_watches.items()):
        if key[0].is_closed():
            watch.close()
            _watches.pop(key, None)


def _reload(engine: Engine, stamp: str | None) -> Register:
    with Session(engine) as session:
        return _keep(engine, load(session, stamp))


async def committed(engine: Engine) -> Register:
    """The register as committed in `engine`'s database, from memory when still current."""
    stamp = await _watch(engine).stamp()
    if (copy := _kept(engine, stamp)) is not None:
        return copy
    return await anyio.to_thread.run_sync(_reload, engine, stamp)


async def public_register() -> Register:
    """The dependency of the public verify route: a request that changes nothing needs only
    what is committed."""
    return await committed(get_engine())
