"""What each reader gets: the confidential details only for `service.CONFIDENTIAL_READERS`.

Staff and designees pick the students a post depicts, so they see names, sites and whether
consent is valid; student numbers, guardians' contact details, the signed forms and the
reasons for a revocation are in the `...Full` schemas only.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from service import clock
from service.consent import service, validity
from service.consent.models import (
    Consent,
    ConsentFull,
    ConsentPublic,
    ConsentStatus,
    Guardian,
    GuardianFull,
    GuardianPublic,
    Student,
    StudentDetail,
    StudentDetailFull,
    StudentFull,
    StudentPublic,
)
from service.users.models import User


def student_view(student: Student, viewer: User) -> StudentPublic:
    schema = StudentFull if service.sees_confidential(viewer) else StudentPublic
    return schema.model_validate(student)


def guardian_view(guardian: Guardian, viewer: User) -> GuardianPublic:
    schema = GuardianFull if service.sees_confidential(viewer) else GuardianPublic
    return schema.model_validate(guardian)


def _status_fields(consent: Consent, at: datetime | None) -> dict[str, object]:
    status = validity.consent_status(consent, at or clock.now())
    return {"status": status, "valid": status is ConsentStatus.valid}


def consent_full(consent: Consent, at: datetime | None = None) -> ConsentFull:
    return ConsentFull.model_validate(consent, update=_status_fields(consent, at))


def consent_view(consent: Consent, viewer: User, at: datetime | None = None) -> ConsentPublic:
    if service.sees_confidential(viewer):
        return consent_full(consent, at)
    return ConsentPublic.model_validate(consent, update=_status_fields(consent, at))


def consent_views(consents: Sequence[Consent], viewer: User) -> list[ConsentPublic]:
    at = clock.now()
    return [consent_view(consent, viewer, at) for consent in consents]


def student_detail(
    session: Session, student: Student, viewer: User
) -> StudentDetail | StudentDetailFull:
    assert student.id is not None
    guardians = [
        guardian_view(g, viewer) for g in service.list_guardians(session, student.id, viewer)
    ]
    consents = consent_views(service.list_consents(session, viewer, student_id=student.id), viewer)
    update = {"guardians": guardians, "consents": consents}
    if service.sees_confidential(viewer):
        return StudentDetailFull.model_validate(student, update=update)
    return StudentDetail.model_validate(student, update=update)
