"""Writing and verifying the audit chain.

Each entry's hash covers its content and its predecessor's hash; the head row names the
newest entry. Editing, deleting or reordering any row breaks the chain at that row.
"""

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from service import clock
from service.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from service.settings import get_settings


def entry_hash(entry: AuditEntry) -> str:
    payload = {
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def head_signature(last_entry_id: int, last_hash: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"{last_entry_id}:{last_hash}".encode(), hashlib.sha256).hexdigest()


def _jsonable(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """Round-trip through JSON now, so the hash is computed on exactly what gets stored."""
    if state is None:
        return None
    result: dict[str, Any] = json.loads(json.dumps(state, default=str))
    return result


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction: it commits or rolls back with the change."""
    head = session.exec(select(AuditHead).with_for_update()).first()
    entry = AuditEntry(
        at=clock.now(),
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        before=_jsonable(before),
        after=_jsonable(after),
        prev_hash=head.last_hash if head else GENESIS_HASH,
        hash="",
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    assert entry.id is not None
    signature = head_signature(entry.id, entry.hash)
    if head is None:
        session.add(AuditHead(last_entry_id=entry.id, last_hash=entry.hash, signature=signature))
    else:
        head.last_entry_id, head.last_hash, head.signature = entry.id, entry.hash, signature
        session.add(head)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries: int
    first_bad_id: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify_chain(engine: Engine, batch_size: int = 1000) -> ChainReport:
    """Walk the whole chain in id order, a batch at a time."""
    expected_prev, last_id, count = GENESIS_HASH, 0, 0
    with Session(engine) as session:
        while True:
            batch = session.exec(
                select(AuditEntry)
                .where(col(AuditEntry.id) > last_id)
                .order_by(col(AuditEntry.id))
                .limit(batch_size)
            ).all()
            for entry in batch:
                assert entry.id is not None
                if entry.prev_hash != expected_prev:
                    return ChainReport(count, entry.id, "does not follow the entry before it")
                if entry_hash(entry) != entry.hash:
                    return ChainReport(count, entry.id, "content does not match its hash")
                expected_prev, last_id, count = entry.hash, entry.id, count + 1
            if len(batch) < batch_size:
                break
        head = session.get(AuditHead, 1)
    if head is None:
        if count:
            return ChainReport(count, None, "the chain head is missing")
        return ChainReport(0)
    if not hmac.compare_digest(head.signature, head_signature(head.last_entry_id, head.last_hash)):
        return ChainReport(count, head.last_entry_id, "the chain head was rewritten")
    if head.last_entry_id != last_id or head.last_hash != expected_prev:
        return ChainReport(count, head.last_entry_id, "entries after this one were deleted")
    return ChainReport(count)


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _matching(where: AuditFilter) -> SelectOfScalar[AuditEntry]:
    query = select(AuditEntry)
    if where.actor:
        query = query.where(AuditEntry.actor == where.actor)
    if where.action:
        query = query.where(AuditEntry.action == where.action)
    if where.subject_type:
        query = query.where(AuditEntry.subject_type == where.subject_type)
    if where.subject_id:
        query = query.where(AuditEntry.subject_id == where.subject_id)
    if where.since:
        query = query.where(col(AuditEntry.at) >= where.since)
    if where.until:
        query = query.where(col(AuditEntry.at) < where.until)
    return query


def list_entries(
    session: Session, where: AuditFilter, *, limit: int, offset: int
) -> list[AuditEntry]:
    """A page of the matching entries, newest first."""
    query = _matching(where).order_by(col(AuditEntry.id).desc()).offset(offset).limit(limit)
    return list(session.exec(query).all())


def each_entry(
    session: Session, where: AuditFilter, *, batch_size: int = 1000
) -> Iterator[AuditEntry]:
    """Every matching entry, newest first, read a batch at a time (for exports)."""
    below: int | None = None
    while True:
        query = _matching(where)
        if below is not None:
            query = query.where(col(AuditEntry.id) < below)
        batch = session.exec(query.order_by(col(AuditEntry.id).desc()).limit(batch_size)).all()
        yield from batch
        if len(batch) < batch_size:
            return
        below = batch[-1].id
