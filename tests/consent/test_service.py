"""The registry's rules, service-level: validity windows, coverage, scoping, evidence, audit."""

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, col, select

from service import clock, media
from service.audit.models import AuditEntry
from service.consent import evidence, service, validity
from service.consent.models import ConsentScope, ConsentStatus, StudentCreate, StudentUpdate
from service.errors import Conflict, Forbidden, Invalid, NotFound
from tests.conftest import Person
from tests.consent.factories import JPEG, PDF, PNG, add_consent, add_guardian, add_student


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 15, 30, tzinfo=UTC)


def actions(session: Session, subject_type: str, subject_id: object) -> list[str]:
    entries = session.exec(
        select(AuditEntry)
        .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == str(subject_id))
        .order_by(col(AuditEntry.id))
    ).all()
    return [entry.action for entry in entries]


@pytest.mark.parametrize(
    ("day", "status"),
    [
        (date(2026, 8, 31), ConsentStatus.not_yet_valid),
        (date(2026, 9, 1), ConsentStatus.valid),
        (date(2027, 6, 30), ConsentStatus.valid),
        (date(2027, 7, 1), ConsentStatus.expired),
    ],
)
def test_a_consent_is_valid_from_its_grant_through_its_expiry_day(
    session: Session, superintendent: Person, day: date, status: ConsentStatus
) -> None:
    student = add_student(session, superintendent.user)
    consent = add_consent(
        session,
        superintendent.user,
        student,
        ConsentScope.photo,
        granted_on=date(2026, 9, 1),
        expires_on=date(2027, 6, 30),
    )
    assert student.id is not None

    assert validity.consent_status(consent, at(day)) is status
    covered = validity.valid_scopes(session, [student.id], at(day))
    assert covered == {student.id: frozenset({"photo"} if status is ConsentStatus.valid else ())}


def test_without_its_signed_form_a_consent_is_pending_not_valid(
    session: Session, superintendent: Person
) -> None:
    student = add_student(session, superintendent.user)
    consent = add_consent(session, superintendent.user, student, evidence=None)
    assert student.id is not None and consent.id is not None
    later = at(date(2026, 10, 1))

    assert validity.consent_status(consent, later) is ConsentStatus.pending_evidence
    assert validity.valid_scopes(session, [student.id], later) == {student.id: frozenset()}

    evidence.attach_evidence(session, consent.id, PDF, "form.pdf", superintendent.user)
    assert validity.valid_scopes(session, [student.id], later) == {
        student.id: frozenset({"photo", "name"})
    }


def test_a_revoked_consent_covers_nothing(session: Session, superintendent: Person) -> None:
    student = add_student(session, superintendent.user)
    consent = add_consent(session, superintendent.user, student)
    assert student.id is not None and consent.id is not None
    clock.freeze(at(date(2026, 10, 1)))

    revoked = service.revoke_consent(session, consent.id, superintendent.user, "parent asked")

    assert revoked.revoked_at == at(date(2026, 10, 1))
    assert revoked.revoked_by == superintendent.email
    assert validity.consent_status(revoked, clock.now()) is ConsentStatus.revoked
    assert validity.valid_scopes(session, [student.id], clock.now()) == {student.id: frozenset()}


def test_revoking_twice_is_a_conflict(session: Session, superintendent: Person) -> None:
    consent = add_consent(session, superintendent.user, add_student(session, superintendent.user))
    assert consent.id is not None
    service.revoke_consent(session, consent.id, superintendent.user, "moved away")

    with pytest.raises(Conflict, match="already revoked"):
        service.revoke_consent(session, consent.id, superintendent.user, "again")


def test_valid_scopes_combines_consents_per_student(
    session: Session, superintendent: Person
) -> None:
    actor = superintendent.user
    both, photo_and_name, photo_only, none = (
        add_student(session, actor, name) for name in ("Both", "Split", "Photo", "Nobody")
    )
    add_consent(session, actor, both, ConsentScope.both)
    add_consent(session, actor, photo_and_name, ConsentScope.photo)
    add_consent(session, actor, photo_and_name, ConsentScope.name)
    add_consent(session, actor, photo_only, ConsentScope.photo)
    add_consent(session, actor, photo_only, ConsentScope.name, expires_on=date(2026, 9, 30))
    ids = [s.id for s in (both, photo_and_name, photo_only, none) if s.id is not None]

    covered = validity.valid_scopes(session, ids, at(date(2026, 10, 15)))

    assert covered == {
        both.id: frozenset({"photo", "name"}),
        photo_and_name.id: frozenset({"photo", "name"}),
        photo_only.id: frozenset({"photo"}),
        none.id: frozenset(),
    }
    assert validity.valid_scopes(session, [], at(date(2026, 10, 15))) == {}


def test_valid_consent_ids_names_the_consents_relied_on(
    session: Session, superintendent: Person
) -> None:
    actor = superintendent.user
    split, photo_only = add_student(session, actor, "Split"), add_student(session, actor, "Photo")
    photo = add_consent(session, actor, split, ConsentScope.photo)
    name = add_consent(session, actor, split, ConsentScope.name)
    both = add_consent(session, actor, split, ConsentScope.both)
    pending = add_consent(session, actor, split, ConsentScope.photo, evidence=None)
    only = add_consent(session, actor, photo_only, ConsentScope.photo)
    assert split.id is not None and photo_only.id is not None
    ids = [split.id, photo_only.id]
    when = at(date(2026, 10, 1))

    assert validity.valid_consent_ids(session, ids, "photo", when) == {
        split.id: [photo.id, both.id],
        photo_only.id: [only.id],
    }
    assert validity.valid_consent_ids(session, ids, "name", when) == {
        split.id: [name.id, both.id],
        photo_only.id: [],
    }
    # "both": the consents that together cover both parts, or none at all
    assert validity.valid_consent_ids(session, ids, "both", when) == {
        split.id: [photo.id, name.id, both.id],
        photo_only.id: [],
    }
    assert pending.id not in validity.valid_consent_ids(session, ids, "photo", when)[split.id]
    with pytest.raises(Invalid):
        validity.valid_consent_ids(session, ids, "video", when)


def test_site_admin_is_confined_to_their_site(
    session: Session, superintendent: Person, site_admin: Callable[[str], Person]
) -> None:
    north_admin = site_admin("North").user
    north = add_student(session, superintendent.user, "Ana", "North")
    south = add_student(session, superintendent.user, "Ben", "South")
    south_consent = add_consent(session, superintendent.user, south)
    assert south.id is not None and north.id is not None and south_consent.id is not None

    assert service.list_students(session, north_admin) == [north]
    assert service.list_students(session, north_admin, site="South") == []
    assert service.get_student(session, north.id, north_admin) == north
    with pytest.raises(NotFound):
        service.get_student(session, south.id, north_admin)
    with pytest.raises(NotFound):
        service.get_consent(session, south_consent.id, north_admin)
    with pytest.raises(NotFound):
        service.revoke_consent(session, south_consent.id, north_admin, "not mine")
    with pytest.raises(NotFound):
        add_guardian(session, north_admin, south)
    with pytest.raises(Forbidden):
        add_student(session, north_admin, "Cy", "South")
    # a confined site admin's students land in their site without saying so
    assert service.create_student(session, StudentCreate(full_name="Dee"), north_admin).site == (
        "North"
    )
    # the posts service's view is not scoped
    assert {s.site for s in service.roster(session)} == {"North", "South"}


def test_student_numbers_are_unique_per_site(session: Session, superintendent: Person) -> None:
    actor = superintendent.user
    first = add_student(session, actor, "Ana", "North", student_number="S-100")
    add_student(session, actor, "Ben", "South", student_number="S-100")
    add_student(session, actor, "Cy", "North")
    add_student(session, actor, "Dee", "North")  # numbers that are not given never clash

    with pytest.raises(Conflict):
        add_student(session, actor, "Eve", "North", student_number="S-100")
    other = add_student(session, actor, "Fay", "North", student_number="S-200")
    assert other.id is not None and first.id is not None
    with pytest.raises(Conflict):
        service.update_student(session, other.id, StudentUpdate(student_number="S-100"), actor)


def test_inactive_students_leave_the_roster(session: Session, superintendent: Person) -> None:
    student = add_student(session, superintendent.user)
    assert student.id is not None
    service.update_student(session, student.id, StudentUpdate(active=False), superintendent.user)

    assert service.roster(session) == []
    assert service.roster(session, include_inactive=True) == [student]
    assert actions(session, "student", student.id) == ["student.created", "student.updated"]


def test_a_consent_names_a_guardian_of_that_student(
    session: Session, superintendent: Person
) -> None:
    actor = superintendent.user
    ana, ben = add_student(session, actor, "Ana"), add_student(session, actor, "Ben")
    bens_guardian = add_guardian(session, actor, ben)

    with pytest.raises(Invalid, match="not a guardian"):
        add_consent(session, actor, ana, guardian=bens_guardian)


@pytest.mark.parametrize(
    ("data", "content_type", "suffix"),
    [(PDF, "application/pdf", ".pdf"), (JPEG, "image/jpeg", ".jpg"), (PNG, "image/png", ".png")],
)
def test_evidence_is_typed_by_its_bytes_and_stored_by_hash(
    session: Session, superintendent: Person, data: bytes, content_type: str, suffix: str
) -> None:
    consent = add_consent(
        session, superintendent.user, add_student(session, superintendent.user), evidence=None
    )
    assert consent.id is not None

    evidence.attach_evidence(session, consent.id, data, "scan.bin", superintendent.user)

    assert consent.evidence_content_type == content_type
    assert consent.evidence_path is not None and consent.evidence_path.endswith(suffix)
    assert consent.evidence_path.startswith("evidence/")
    assert media.read_stored(consent.evidence_path) == data
    assert actions(session, "consent", consent.id) == [
        "consent.recorded",
        "consent.evidence_attached",
    ]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"<html><script>alert(1)</script></html>", Invalid),
        (b"", Invalid),
        (b"GIF89a" + b"\x00" * 10, Invalid),
        (PDF + b"\x00" * (evidence.MAX_EVIDENCE_BYTES + 1 - len(PDF)), evidence.TooLarge),
    ],
)
def test_evidence_that_is_not_a_small_pdf_jpeg_or_png_is_refused(
    session: Session, superintendent: Person, data: bytes, error: type[Exception]
) -> None:
    consent = add_consent(
        session, superintendent.user, add_student(session, superintendent.user), evidence=None
    )
    assert consent.id is not None

    with pytest.raises(error):
        evidence.attach_evidence(session, consent.id, data, "form.pdf", superintendent.user)
    assert consent.evidence_sha256 is None


def test_the_signed_form_cannot_be_replaced_or_added_after_revocation(
    session: Session, superintendent: Person
) -> None:
    actor = superintendent.user
    with_form = add_consent(session, actor, add_student(session, actor, "Ana"))
    revoked = add_consent(session, actor, add_student(session, actor, "Ben"), evidence=None)
    assert with_form.id is not None and revoked.id is not None
    service.revoke_consent(session, revoked.id, actor, "withdrawn")

    with pytest.raises(Conflict, match="already has its signed form"):
        evidence.attach_evidence(session, with_form.id, PNG, "other.png", actor)
    with pytest.raises(Conflict, match="revoked"):
        evidence.attach_evidence(session, revoked.id, PDF, "form.pdf", actor)


def test_every_change_is_audited_with_its_actor(session: Session, superintendent: Person) -> None:
    actor = superintendent.user
    student = add_student(session, actor, student_number="S-1")
    guardian = add_guardian(session, actor, student)
    consent = add_consent(session, actor, student, guardian=guardian)
    assert consent.id is not None
    service.revoke_consent(session, consent.id, actor, "  parent asked  ")

    assert actions(session, "student", student.id) == ["student.created"]
    assert actions(session, "guardian", guardian.id) == ["guardian.added"]
    assert actions(session, "consent", consent.id) == [
        "consent.recorded",
        "consent.evidence_attached",
        "consent.revoked",
    ]
    revocation = session.exec(
        select(AuditEntry).where(AuditEntry.action == "consent.revoked")
    ).one()
    assert revocation.actor == superintendent.email
    assert revocation.before is not None and revocation.before["revoked_at"] is None
    assert revocation.after is not None and revocation.after["revocation_reason"] == "parent asked"
