"""The register's version stamp: how every process knows its in-memory register is current.

The public verify endpoint answers from a copy of the register held in memory
(`service.public.register`). Several processes change the register (each `serve` worker,
Celery workers, the CLI), so a copy is only trusted while the one-row table `register_version`
still holds the stamp it was loaded under. Any transaction that flushed a change to a row of a
watched table (the accounts, and the institution whose name the answer carries) writes a new
random stamp as its last statement before COMMIT, so the new stamp becomes visible at the same
instant as the change itself: a request that starts after the revoking transaction committed
reads the new stamp and reloads, and none can be answered from the old copy.

Why a random stamp rather than a counter: a test's rolled-back transaction (or a restored
backup) can bring a counter back to a value a copy was loaded under, with other rows; a fresh
random value never repeats. Why at commit rather than at each flush: the row lock on the stamp
is then taken last and held only for the commit, so two transactions changing different
accounts cannot deadlock on it. Bulk `UPDATE`/`DELETE` statements bypass the ORM's flush and
would need to call `bump` themselves; the service has none on these tables.
"""

import uuid

from sqlalchemy import event, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction, UOWTransaction
from sqlmodel import Field, Session, SQLModel, col, select

WATCHED_TABLES = frozenset({"official_account", "institution"})
CHANGED = "imprimatur.register_changed"  # session.info key: a watched row was flushed


class RegisterVersion(SQLModel, table=True):
    __tablename__ = "register_version"

    id: int = Field(default=1, primary_key=True)
    stamp: str = Field(max_length=32)


def new_stamp() -> str:
    return uuid.uuid4().hex


STAMP = select(RegisterVersion.stamp).where(col(RegisterVersion.id) == 1)


def current_stamp(session: Session) -> str | None:
    """The stamp as this transaction sees it (None if the row is missing: then never cache)."""
    return session.exec(STAMP).first()


def changed_here(session: OrmSession) -> bool:
    """Whether this session holds register changes it has not committed yet: it must read
    them through, as no other process can see them yet and the stamp does not show them."""
    if session.info.get(CHANGED):
        return True
    pending = (*session.new, *session.dirty, *session.deleted)
    return any(getattr(row, "__tablename__", None) in WATCHED_TABLES for row in pending)


def bump(session: OrmSession) -> None:
    stamped = update(RegisterVersion).where(col(RegisterVersion.id) == 1)
    session.execute(stamped.values(stamp=new_stamp()))


def _note_changes(session: OrmSession, _: UOWTransaction) -> None:
    if changed_here(session):
        session.info[CHANGED] = True


def _bump_before_commit(session: OrmSession) -> None:
    session.flush()  # changes still pending would otherwise be flushed after the bump
    if session.info.pop(CHANGED, False):
        bump(session)


def _forget(session: OrmSession, transaction: SessionTransaction) -> None:
    """A rolled-back root transaction's changes are gone; a committed one's were stamped."""
    if transaction.parent is None:
        session.info.pop(CHANGED, None)


event.listen(OrmSession, "after_flush", _note_changes)
event.listen(OrmSession, "before_commit", _bump_before_commit)
event.listen(OrmSession, "after_transaction_end", _forget)
