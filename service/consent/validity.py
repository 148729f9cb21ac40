"""Whether written consent is on file: for the posts' rules, publishing and reminders.

Not scoped to the caller: the decision is about the students, not about who asks.
"""

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from service.consent.models import COVERS, Consent, ConsentScope, ConsentStatus
from service.errors import Invalid


def consent_status(consent: Consent, at: datetime) -> ConsentStatus:
    day = at.date()
    if consent.revoked_at is not None:
        return ConsentStatus.revoked
    if consent.expires_on is not None and day > consent.expires_on:
        return ConsentStatus.expired
    if consent.evidence_sha256 is None:
        return ConsentStatus.pending_evidence
    if day < consent.granted_on:
        return ConsentStatus.not_yet_valid
    return ConsentStatus.valid


def valid_at(at: datetime) -> ColumnElement[bool]:
    """The SQL twin of `consent_status(...) is valid`: every part is NOT NULL, so NOT works."""
    day = at.date()
    return and_(
        col(Consent.granted_on) <= day,
        or_(col(Consent.expires_on).is_(None), col(Consent.expires_on) >= day),
        col(Consent.revoked_at).is_(None),
        col(Consent.evidence_sha256).is_not(None),
    )


def valid_scopes(
    session: Session, student_ids: Collection[int], at: datetime
) -> dict[int, frozenset[str]]:
    """Per student, what valid written consent covers at `at`: a subset of {"photo", "name"}."""
    covered: dict[int, set[str]] = {student_id: set() for student_id in student_ids}
    if covered:
        rows = session.exec(
            select(Consent.student_id, Consent.scope).where(
                col(Consent.student_id).in_(covered), valid_at(at)
            )
        ).all()
        for student_id, scope in rows:
            covered[student_id] |= COVERS[ConsentScope(scope)]
    return {student_id: frozenset(parts) for student_id, parts in covered.items()}


def valid_consent_ids(
    session: Session, student_ids: Collection[int], scope: str, at: datetime
) -> dict[int, list[int]]:
    """Per student, the valid consents that together cover `scope` at `at` ([] when they don't).

    For "photo" or "name" that is every valid consent covering it; for "both" it is the
    consents covering either part, listed only when together they cover both.
    """
    try:
        wanted = COVERS[ConsentScope(scope)]
    except ValueError as error:
        raise Invalid(f"Unknown consent scope {scope!r}.") from error
    found: dict[int, list[tuple[int, frozenset[str]]]] = {sid: [] for sid in student_ids}
    if found:
        rows = session.exec(
            select(Consent.student_id, Consent.id, Consent.scope)
            .where(col(Consent.student_id).in_(found), valid_at(at))
            .order_by(col(Consent.id))
        ).all()
        for student_id, consent_id, recorded in rows:
            covers = COVERS[ConsentScope(recorded)]
            if consent_id is not None and covers & wanted:
                found[student_id].append((consent_id, covers))
    result: dict[int, list[int]] = {}
    for student_id, consents in found.items():
        parts = frozenset().union(*(covers for _, covers in consents))
        result[student_id] = [cid for cid, _ in consents] if wanted <= parts else []
    return result


def expiring_consents(session: Session, at: datetime, within_days: int) -> list[Consent]:
    """Valid consents that lapse within `within_days`: someone should ask the family again."""
    last_day = (at + timedelta(days=within_days)).date()
    query = select(Consent).where(valid_at(at), col(Consent.expires_on) <= last_day)
    return list(session.exec(query.order_by(col(Consent.expires_on))).all())
