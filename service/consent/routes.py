from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile

from service.consent import evidence, roster_import, service, views
from service.consent.deps import ConsentManage, ConsentRead, EvidenceRead
from service.consent.models import (
    ConsentCreate,
    ConsentFull,
    ConsentPublic,
    ConsentRevoke,
    ConsentRevoked,
    GuardianCreate,
    GuardianFull,
    StudentCreate,
    StudentDetail,
    StudentDetailFull,
    StudentFull,
    StudentPublic,
    StudentUpdate,
)
from service.consent.roster_import import RosterImportReport
from service.db import DbSession
from service.posts import review

students = APIRouter(prefix="/api/v1/students", tags=["consent"])
consents = APIRouter(prefix="/api/v1/consents", tags=["consent"])


@students.post("", status_code=201)
def create_student(data: StudentCreate, user: ConsentManage, session: DbSession) -> StudentFull:
    student = service.create_student(session, data, user)
    return StudentFull.model_validate(student)


@students.get("")
def list_students(
    user: ConsentRead,
    session: DbSession,
    site: str | None = None,
    include_inactive: bool = False,
) -> list[StudentFull | StudentPublic]:
    found = service.list_students(session, user, site=site, include_inactive=include_inactive)
    return [views.student_view(student, user) for student in found]


@students.post("/import")
def import_roster(
    file: Annotated[UploadFile, File(description="The roster as CSV (UTF-8).")],
    user: ConsentManage,
    session: DbSession,
    site_default: Annotated[str | None, Form(max_length=200)] = None,
) -> RosterImportReport:
    data = file.file.read(roster_import.MAX_BYTES + 1)
    return roster_import.import_roster(session, data, user, site_default=site_default)


@students.get("/{student_id}")
def get_student(
    student_id: int, user: ConsentRead, session: DbSession
) -> StudentDetailFull | StudentDetail:
    return views.student_detail(session, service.get_student(session, student_id, user), user)


@students.patch("/{student_id}")
def update_student(
    student_id: int, data: StudentUpdate, user: ConsentManage, session: DbSession
) -> StudentFull:
    return StudentFull.model_validate(service.update_student(session, student_id, data, user))


@students.post("/{student_id}/guardians", status_code=201)
def add_guardian(
    student_id: int, data: GuardianCreate, user: ConsentManage, session: DbSession
) -> GuardianFull:
    return GuardianFull.model_validate(service.create_guardian(session, student_id, data, user))


@consents.post("", status_code=201)
def create_consent(data: ConsentCreate, user: ConsentManage, session: DbSession) -> ConsentFull:
    consent = service.create_consent(session, data, user)
    return views.consent_full(consent)


@consents.get("")
def list_consents(
    user: ConsentRead,
    session: DbSession,
    student_id: int | None = None,
    valid: bool | None = None,
) -> list[ConsentFull | ConsentPublic]:
    found = service.list_consents(session, user, student_id=student_id, valid=valid)
    return views.consent_views(found, user)


@consents.get("/{consent_id}")
def get_consent(
    consent_id: int, user: ConsentRead, session: DbSession
) -> ConsentFull | ConsentPublic:
    return views.consent_view(service.get_consent(session, consent_id, user), user)


@consents.post("/{consent_id}/evidence")
def attach_evidence(
    consent_id: int,
    file: Annotated[UploadFile, File(description="The signed form: PDF, JPEG or PNG.")],
    user: ConsentManage,
    session: DbSession,
) -> ConsentFull:
    data = file.file.read(evidence.MAX_EVIDENCE_BYTES + 1)
    consent = evidence.attach_evidence(session, consent_id, data, file.filename, user)
    return views.consent_full(consent)


@consents.get("/{consent_id}/evidence")
def download_evidence(consent_id: int, user: EvidenceRead, session: DbSession) -> Response:
    content, content_type, name = evidence.evidence_file(session, consent_id, user)
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return Response(content, media_type=content_type, headers=headers)


@consents.post("/{consent_id}/revoke")
def revoke_consent(
    consent_id: int, data: ConsentRevoke, user: ConsentManage, session: DbSession
) -> ConsentRevoked:
    consent, flagged = review.revoke_consent(session, consent_id, user, data.reason)
    return ConsentRevoked(
        **views.consent_full(consent).model_dump(), posts_flagged=[p.id or 0 for p in flagged]
    )


router = APIRouter()
router.include_router(students)
router.include_router(consents)
