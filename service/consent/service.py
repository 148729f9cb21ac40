"""Use cases of the consent registry: students, guardians and consents.

A site administrator whose account names a site is confined to the students of that site:
every query below is scoped by `site_scope(user)`, so someone else's student is simply not
found (404). Whether consent is on file is `validity.py`; the signed forms, `evidence.py`.
"""

from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from service import clock
from service.audit import service as audit
from service.consent.models import (
    Consent,
    ConsentCreate,
    Guardian,
    GuardianCreate,
    Student,
    StudentCreate,
    StudentUpdate,
)
from service.consent.validity import valid_at
from service.db import first_or_404
from service.errors import Conflict, Forbidden, Invalid
from service.users.models import Role, User

# Who may see student numbers, guardians' contact details and the signed forms.
CONFIDENTIAL_READERS = frozenset({Role.superintendent, Role.site_admin, Role.auditor})


# --- who sees what ----------------------------------------------------------------------------


def sees_confidential(user: User) -> bool:
    return user.role in CONFIDENTIAL_READERS


def site_scope(user: User) -> str | None:
    """The one site a caller is confined to, or None for every site."""
    return user.site if user.role is Role.site_admin and user.site else None


def _students_for(viewer: User) -> SelectOfScalar[Student]:
    query = select(Student)
    site = site_scope(viewer)
    return query if site is None else query.where(Student.site == site)


def _consents_for(viewer: User) -> SelectOfScalar[Consent]:
    query = select(Consent)
    site = site_scope(viewer)
    if site is None:
        return query
    return query.where(col(Consent.student_id).in_(select(Student.id).where(Student.site == site)))


# --- students ---------------------------------------------------------------------------------


def student_state(student: Student) -> dict[str, object]:
    return {
        "full_name": student.full_name,
        "preferred_name": student.preferred_name,
        "site": student.site,
        "student_number": student.student_number,
        "active": student.active,
    }


def canonical_site(session: Session, site: str) -> str:
    """The spelling already on file for a site ("north campus" → "North Campus"), else as given."""
    known = session.exec(
        select(Student.site).where(func.lower(Student.site) == site.lower()).limit(1)
    ).first()
    return known or site


def site_for(session: Session, actor: User, requested: str | None) -> str:
    """The site a change by `actor` lands in: theirs when confined, else the one requested."""
    confined = site_scope(actor)
    if confined is not None:
        if requested is not None and requested.casefold() != confined.casefold():
            raise Forbidden(f"You manage the students of {confined} only.")
        return confined
    if requested is None:
        raise Invalid("Give the student's 'site'.")
    return canonical_site(session, requested)


def find_by_number(session: Session, site: str, student_number: str) -> Student | None:
    return session.exec(
        select(Student).where(Student.site == site, Student.student_number == student_number)
    ).first()


def _check_number_free(
    session: Session, site: str, student_number: str | None, student_id: int | None = None
) -> None:
    if student_number is None:
        return
    holder = find_by_number(session, site, student_number)
    if holder is not None and holder.id != student_id:
        raise Conflict(f"Another student of {site} already has that student number.")


def create_student(session: Session, data: StudentCreate, actor: User) -> Student:
    site = site_for(session, actor, data.site)
    _check_number_free(session, site, data.student_number)
    student = Student(
        full_name=data.full_name,
        preferred_name=data.preferred_name,
        site=site,
        student_number=data.student_number,
        created_at=clock.now(),
    )
    session.add(student)
    session.flush()
    audit.record(
        session,
        actor=actor.email,
        action="student.created",
        subject_type="student",
        subject_id=student.id,
        after=student_state(student),
    )
    return student


def get_student(
    session: Session, student_id: int, viewer: User, *, for_update: bool = False
) -> Student:
    query = _students_for(viewer).where(Student.id == student_id)
    return first_or_404(session, query, f"No student with id {student_id}.", for_update=for_update)


def _matching(
    query: SelectOfScalar[Student], search: str, numbers: bool
) -> SelectOfScalar[Student]:
    """Students whose name (or, for `numbers`, student number) contains `search`, any case."""
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    fields = [col(Student.full_name), col(Student.preferred_name)]
    if numbers:
        fields.append(col(Student.student_number))
    return query.where(or_(*(field.ilike(f"%{escaped}%", escape="\\") for field in fields)))


def roster(
    session: Session,
    *,
    site: str | None = None,
    include_inactive: bool = False,
    search: str | None = None,
    search_numbers: bool = False,
) -> list[Student]:
    query = select(Student)
    if site is not None:
        query = query.where(Student.site == site)
    if not include_inactive:
        query = query.where(col(Student.active).is_(True))
    if search:
        query = _matching(query, search, search_numbers)
    order = (col(Student.site), col(Student.full_name), col(Student.id))
    return list(session.exec(query.order_by(*order)).all())


def list_students(
    session: Session,
    viewer: User,
    *,
    site: str | None = None,
    include_inactive: bool = False,
    search: str | None = None,
) -> list[Student]:
    """The roster the viewer may see; `search` matches names, and student numbers only for
    those who may see them (so nobody probes numbers they are not shown)."""
    confined = site_scope(viewer)
    if confined is not None:
        if site is not None and site != confined:
            return []
        site = confined
    return roster(
        session,
        site=site,
        include_inactive=include_inactive,
        search=search.strip() if search else None,
        search_numbers=sees_confidential(viewer),
    )


def list_sites(session: Session, viewer: User) -> list[str]:
    """The sites with students on file that the viewer may see, for a filter."""
    confined = site_scope(viewer)
    if confined is not None:
        return [confined]
    return list(session.exec(select(Student.site).distinct().order_by(col(Student.site))).all())


def update_student(session: Session, student_id: int, data: StudentUpdate, actor: User) -> Student:
    student = get_student(session, student_id, actor, for_update=True)
    changes = data.model_dump(exclude_unset=True)
    if "site" in changes:
        changes["site"] = site_for(session, actor, changes["site"])
    site = changes.get("site", student.site)
    number = changes.get("student_number", student.student_number)
    _check_number_free(session, site, number, student.id)
    before = student_state(student)
    for name, value in changes.items():
        setattr(student, name, value)
    if student_state(student) == before:
        return student
    session.add(student)
    session.flush()
    audit.record(
        session,
        actor=actor.email,
        action="student.updated",
        subject_type="student",
        subject_id=student.id,
        before=before,
        after=student_state(student),
    )
    return student


# --- guardians --------------------------------------------------------------------------------


def guardian_state(guardian: Guardian) -> dict[str, object]:
    return {
        "student_id": guardian.student_id,
        "name": guardian.name,
        "email": guardian.email,
        "relationship": guardian.relationship,
    }


def create_guardian(
    session: Session, student_id: int, data: GuardianCreate, actor: User
) -> Guardian:
    student = get_student(session, student_id, actor)
    assert student.id is not None
    guardian = Guardian(
        student_id=student.id,
        name=data.name,
        email=str(data.email).lower() if data.email else None,
        relationship=data.relationship,
        created_at=clock.now(),
    )
    session.add(guardian)
    session.flush()
    audit.record(
        session,
        actor=actor.email,
        action="guardian.added",
        subject_type="guardian",
        subject_id=guardian.id,
        after=guardian_state(guardian),
    )
    return guardian


def list_guardians(session: Session, student_id: int, viewer: User) -> list[Guardian]:
    get_student(session, student_id, viewer)
    query = select(Guardian).where(Guardian.student_id == student_id).order_by(col(Guardian.id))
    return list(session.exec(query).all())


# --- consents ---------------------------------------------------------------------------------


def consent_state(consent: Consent) -> dict[str, object]:
    return {
        "student_id": consent.student_id,
        "guardian_id": consent.guardian_id,
        "scope": consent.scope,
        "granted_on": consent.granted_on,
        "expires_on": consent.expires_on,
        "evidence_sha256": consent.evidence_sha256,
        "revoked_at": consent.revoked_at,
        "revoked_by": consent.revoked_by,
        "revocation_reason": consent.revocation_reason,
    }


def create_consent(session: Session, data: ConsentCreate, actor: User) -> Consent:
    student = get_student(session, data.student_id, actor)
    guardian = session.get(Guardian, data.guardian_id)
    if guardian is None or guardian.student_id != student.id:
        raise Invalid(f"Guardian {data.guardian_id} is not a guardian of student {student.id}.")
    consent = Consent(
        student_id=data.student_id,
        guardian_id=data.guardian_id,
        scope=data.scope,
        granted_on=data.granted_on,
        expires_on=data.expires_on,
        created_at=clock.now(),
        created_by=actor.email,
    )
    session.add(consent)
    session.flush()
    audit.record(
        session,
        actor=actor.email,
        action="consent.recorded",
        subject_type="consent",
        subject_id=consent.id,
        after=consent_state(consent),
    )
    return consent


def get_consent(
    session: Session, consent_id: int, viewer: User, *, for_update: bool = False
) -> Consent:
    query = _consents_for(viewer).where(Consent.id == consent_id)
    return first_or_404(session, query, f"No consent with id {consent_id}.", for_update=for_update)


def list_consents(
    session: Session,
    viewer: User,
    *,
    student_id: int | None = None,
    valid: bool | None = None,
    at: datetime | None = None,
) -> list[Consent]:
    query = _consents_for(viewer)
    if student_id is not None:
        get_student(session, student_id, viewer)
        query = query.where(Consent.student_id == student_id)
    if valid is not None:
        is_valid = valid_at(at or clock.now())
        query = query.where(is_valid if valid else ~is_valid)
    return list(session.exec(query.order_by(col(Consent.id))).all())


def revoke_consent(session: Session, consent_id: int, actor: User, reason: str) -> Consent:
    consent = get_consent(session, consent_id, actor, for_update=True)
    if consent.revoked_at is not None:
        raise Conflict(
            f"Consent {consent_id} is already revoked.", revoked_at=consent.revoked_at.isoformat()
        )
    if not reason.strip():
        raise Invalid("Give the reason for the revocation.")
    before = consent_state(consent)
    consent.revoked_at = clock.now()
    consent.revoked_by = actor.email
    consent.revocation_reason = reason.strip()
    session.add(consent)
    session.flush()
    audit.record(
        session,
        actor=actor.email,
        action="consent.revoked",
        subject_type="consent",
        subject_id=consent.id,
        before=before,
        after=consent_state(consent),
    )
    return consent
