"""Builders for the consent tests: students, guardians, consents, and signed forms."""

from datetime import date

from sqlmodel import Session

from service.consent import evidence as consent_evidence
from service.consent import service
from service.consent.models import (
    Consent,
    ConsentCreate,
    ConsentScope,
    Guardian,
    GuardianCreate,
    Student,
    StudentCreate,
)
from service.users.models import User

PDF = b"%PDF-1.7\n% signed consent form\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def add_student(
    session: Session, actor: User, name: str = "Ana Ruiz", site: str = "North", **fields: object
) -> Student:
    data = StudentCreate.model_validate({"full_name": name, "site": site, **fields})
    return service.create_student(session, data, actor)


def add_guardian(
    session: Session, actor: User, student: Student, name: str = "Rosa Ruiz"
) -> Guardian:
    assert student.id is not None
    data = GuardianCreate(name=name, email="rosa@example.org", relationship="mother")
    return service.create_guardian(session, student.id, data, actor)


def add_consent(
    session: Session,
    actor: User,
    student: Student,
    scope: ConsentScope = ConsentScope.both,
    *,
    granted_on: date = date(2026, 9, 1),
    expires_on: date | None = None,
    evidence: bytes | None = PDF,
    guardian: Guardian | None = None,
) -> Consent:
    assert student.id is not None
    guardian = guardian or add_guardian(session, actor, student)
    assert guardian.id is not None
    data = ConsentCreate(
        student_id=student.id,
        guardian_id=guardian.id,
        scope=scope,
        granted_on=granted_on,
        expires_on=expires_on,
    )
    consent = service.create_consent(session, data, actor)
    if evidence is not None:
        assert consent.id is not None
        consent_evidence.attach_evidence(session, consent.id, evidence, "form.pdf", actor)
    return consent
