"""The demo's consent registry: a few fictional students, their guardians and signed consents.

Enough for the group-photo path of the approval workflow: three students of the welding class
have written consent on file, and one (Lena Okonkwo) has a guardian but no consent yet — the
case a site administrator records before her photo or name can be published.
"""

from datetime import timedelta

from sqlmodel import Session

from service import clock
from service.consent import service as consent
from service.consent.evidence import record_consent
from service.consent.models import ConsentCreate, ConsentScope, GuardianCreate, StudentCreate
from service.users.models import User

SITE = "North Campus"
# (student, guardian, relationship, consent scope or None for no consent on file)
STUDENTS: tuple[tuple[str, str, str, ConsentScope | None], ...] = (
    ("Avery Castillo", "Rosa Castillo", "mother", ConsentScope.both),
    ("Noah Brennan", "Liam Brennan", "father", ConsentScope.both),
    ("Mei Tanaka", "Hiro Tanaka", "father", ConsentScope.photo),
    ("Lena Okonkwo", "Grace Okonkwo", "mother", None),
)
# Stands in for a scanned, signed consent form; only its first bytes decide its type.
DEMO_FORM = (
    b"%PDF-1.4\n% Demo consent form: fictional student, fictional guardian, no real signature.\n"
    b"1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
)


def seed_roster(session: Session, actor: User) -> None:
    """Add the demo students that are not on the roster yet (by name), with what they need."""
    on_roster = {student.full_name for student in consent.roster(session, site=SITE)}
    granted_on = (clock.now() - timedelta(days=30)).date()
    for full_name, guardian_name, relationship, scope in STUDENTS:
        if full_name in on_roster:
            continue
        student = consent.create_student(
            session, StudentCreate(full_name=full_name, site=SITE), actor
        )
        assert student.id is not None
        guardian = consent.create_guardian(
            session,
            student.id,
            GuardianCreate(name=guardian_name, relationship=relationship),
            actor,
        )
        assert guardian.id is not None
        if scope is not None:
            record_consent(
                session,
                ConsentCreate(
                    student_id=student.id,
                    guardian_id=guardian.id,
                    scope=scope,
                    granted_on=granted_on,
                    expires_on=granted_on + timedelta(days=365),
                ),
                DEMO_FORM,
                "signed-consent-form.pdf",
                actor,
            )
