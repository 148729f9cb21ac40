"""Engine, sessions and the column types every domain shares.

One transaction per request: the `DbSession` dependency commits when the route returns and
rolls back on any error, so a failed request never leaves half a change behind. Services
flush, never commit.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from sqlalchemy import DateTime, Engine, TypeDecorator, event
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine
from sqlmodel.sql.expression import SelectOfScalar

from service.errors import NotFound
from service.jobs import discard_deferred, run_deferred
from service.public import register_version  # noqa: F401 - every session stamps register changes
from service.settings import get_settings

Row = TypeVar("Row")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every database (SQLite would otherwise hand back naive times)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE (below) instead of pysqlite.
    dbapi_connection.isolation_level = None


def _sqlite_begin_immediate(connection: Any) -> None:
    """Writers queue up at BEGIN instead of failing when a read turns into a write."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10) -> Engine:
    """The engine for `url`; the pool sizes apply to PostgreSQL (SQLite opens as it needs)."""
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow)


def first_or_404(
    session: Session, query: SelectOfScalar[Row], missing: str, *, for_update: bool = False
) -> Row:
    """The query's first row (locked for update if asked), or a 404 saying what is missing."""
    row = session.exec(query.with_for_update() if for_update else query).first()
    if row is None:
        raise NotFound(missing)
    return row


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(
        settings.sqlalchemy_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A unit of work for code outside a request (CLI, jobs): commit on success, else roll back."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_session() -> Iterator[Session]:
    with session_scope() as session:
        try:
            yield session
        except BaseException:
            discard_deferred(session)
            raise
    run_deferred(session)


# scope="function": the commit happens before the response is sent, so a failed commit
# becomes an error response instead of a success that was never saved.
DbSession = Annotated[Session, Depends(get_session, scope="function")]


def enum_type(enum_class: type[StrEnum]) -> SAEnum:
    """Store an enum as its value in a plain VARCHAR: no database-specific enum types to migrate."""
    return SAEnum(
        enum_class,
        native_enum=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
