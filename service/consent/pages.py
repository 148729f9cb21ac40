"""Web pages of the consent registry: the roster, a student's guardians and consents, the
signed forms, revocation and the roster import — over the service functions the API uses.

The signed forms are downloaded through the API route (`/api/v1/consents/{id}/evidence`),
which accepts the browser session.
"""

from typing import Annotated, get_args

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.params import Depends
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.auth.deps import access_of
from service.consent import evidence, roster_import, service, views
from service.consent.deps import ConsentManage, ConsentRead
from service.consent.models import (
    ConsentCreate,
    ConsentRevoke,
    ConsentScope,
    GuardianCreate,
    StudentCreate,
)
from service.db import DbSession
from service.posts import review
from service.users.models import Role, User
from service.web.templating import flash, render

router = APIRouter(include_in_schema=False)


def _roles(alias: object) -> frozenset[Role]:
    """The roles an access alias admits, read off its own declaration."""
    depends = next(arg for arg in get_args(alias) if isinstance(arg, Depends))
    assert depends.dependency is not None
    return access_of(depends.dependency) or frozenset()


MANAGERS = _roles(ConsentManage)
Text = Annotated[str, Form(max_length=200)]


def _can_manage(user: User) -> bool:
    return user.role in MANAGERS


def _student_page(student_id: int) -> str:
    return f"/consents/students/{student_id}"


def _read(upload: UploadFile, limit: int) -> bytes:
    # One byte past the limit: enough for the service to say "too large" without reading more.
    return upload.file.read(limit + 1)


@router.get("/consents", response_class=HTMLResponse)
def students_page(
    request: Request,
    user: ConsentRead,
    session: DbSession,
    q: Annotated[str, Query(max_length=200)] = "",
    site: Annotated[str, Query(max_length=200)] = "",
    include_inactive: bool = False,
) -> Response:
    found = service.list_students(
        session, user, site=site or None, include_inactive=include_inactive, search=q or None
    )
    return render(
        request,
        "consents/list.html",
        user,
        title="Consents",
        students=[views.student_view(student, user) for student in found],
        sites=service.list_sites(session, user),
        q=q,
        site=site,
        include_inactive=include_inactive,
        full=service.sees_confidential(user),
        can_manage=_can_manage(user),
    )


@router.get("/consents/students/new", response_class=HTMLResponse)
def new_student_page(request: Request, user: ConsentManage, session: DbSession) -> Response:
    return render(
        request,
        "consents/new_student.html",
        user,
        title="Add a student",
        confined=service.site_scope(user),
        sites=service.list_sites(session, user),
    )


@router.post("/consents/students")
def add_student(
    request: Request,
    user: ConsentManage,
    session: DbSession,
    full_name: Text,
    preferred_name: Text = "",
    site: Text = "",
    student_number: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    data = StudentCreate.model_validate(
        {
            "full_name": full_name,
            "preferred_name": preferred_name,
            "site": site or None,
            "student_number": student_number,
        }
    )
    student = service.create_student(session, data, user)
    assert student.id is not None
    flash(request, f"Student {student.full_name} added.")
    return RedirectResponse(_student_page(student.id), status_code=303)


@router.get("/consents/students/{student_id}", response_class=HTMLResponse)
def student_page(
    request: Request, student_id: int, user: ConsentRead, session: DbSession
) -> Response:
    detail = views.student_detail(session, service.get_student(session, student_id, user), user)
    return render(
        request,
        "consents/student.html",
        user,
        title=detail.full_name,
        student=detail,
        guardian_names={guardian.id: guardian.name for guardian in detail.guardians},
        scopes=list(ConsentScope),
        full=service.sees_confidential(user),
        can_manage=_can_manage(user),
        max_evidence_mb=evidence.MAX_EVIDENCE_BYTES // (1024 * 1024),
    )


@router.post("/consents/students/{student_id}/guardians")
def add_guardian(
    request: Request,
    student_id: int,
    user: ConsentManage,
    session: DbSession,
    name: Text,
    email: Annotated[str, Form(max_length=320)] = "",
    relationship: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    data = GuardianCreate.model_validate(
        {"name": name, "email": email or None, "relationship": relationship}
    )
    guardian = service.create_guardian(session, student_id, data, user)
    flash(request, f"Guardian {guardian.name} added.")
    return RedirectResponse(_student_page(student_id), status_code=303)


@router.post("/consents/students/{student_id}/consents")
def add_consent(
    request: Request,
    student_id: int,
    user: ConsentManage,
    session: DbSession,
    guardian_id: Annotated[int, Form()],
    scope: Annotated[str, Form(max_length=20)],
    granted_on: Annotated[str, Form(max_length=20)],
    file: Annotated[UploadFile, File(description="The signed form: PDF, JPEG or PNG.")],
    expires_on: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    data = ConsentCreate.model_validate(
        {
            "student_id": student_id,
            "guardian_id": guardian_id,
            "scope": scope,
            "granted_on": granted_on,
            "expires_on": expires_on or None,
        }
    )
    form = _read(file, evidence.MAX_EVIDENCE_BYTES)
    consent = evidence.record_consent(session, data, form, file.filename, user)
    flash(request, f"Consent {consent.id} recorded with its signed form.")
    return RedirectResponse(_student_page(student_id), status_code=303)


@router.post("/consents/{consent_id}/evidence")
def attach_evidence(
    request: Request,
    consent_id: int,
    user: ConsentManage,
    session: DbSession,
    file: Annotated[UploadFile, File(description="The signed form: PDF, JPEG or PNG.")],
) -> Response:
    form = _read(file, evidence.MAX_EVIDENCE_BYTES)
    consent = evidence.attach_evidence(session, consent_id, form, file.filename, user)
    flash(request, f"Signed form of consent {consent_id} uploaded.")
    return RedirectResponse(_student_page(consent.student_id), status_code=303)


@router.post("/consents/{consent_id}/revoke", response_class=HTMLResponse)
def revoke_consent(
    request: Request,
    consent_id: int,
    user: ConsentManage,
    session: DbSession,
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    data = ConsentRevoke.model_validate({"reason": reason})
    consent, flagged = review.revoke_consent(session, consent_id, user, data.reason)
    return render(
        request,
        "consents/revoked.html",
        user,
        title=f"Consent {consent_id} revoked",
        consent=views.consent_full(consent),
        posts=flagged,
    )


@router.get("/consents/import", response_class=HTMLResponse)
def import_page(request: Request, user: ConsentManage) -> Response:
    return render(
        request,
        "consents/import.html",
        user,
        title="Import a roster",
        columns=roster_import.COLUMNS,
        confined=service.site_scope(user),
        max_rows=roster_import.MAX_ROWS,
    )


@router.post("/consents/import", response_class=HTMLResponse)
def import_roster(
    request: Request,
    user: ConsentManage,
    session: DbSession,
    file: Annotated[UploadFile, File(description="The roster as CSV (UTF-8).")],
    site_default: Text = "",
) -> Response:
    data = _read(file, roster_import.MAX_BYTES)
    report = roster_import.import_roster(session, data, user, site_default=site_default or None)
    return render(
        request,
        "consents/import_report.html",
        user,
        title="Roster import report",
        report=report,
        filename=file.filename,
    )
