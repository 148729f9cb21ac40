"""Annual re-authorization and consent-expiry reminders: digests, each item once per threshold."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select

from service import clock
from service.accounts import service as accounts
from service.accounts.models import AccountRequest
from service.consent.models import Consent, Guardian, Student
from service.db import session_scope
from service.notifications.models import OutgoingMail
from service.reminders.service import send_reminders, threshold_crossed
from service.users import service as users
from service.users.models import Role
from workflows.account_lifecycle import AccountAction
from workflows.platforms import Platform

AUTHORIZED_AT = datetime(2026, 1, 10, 9, tzinfo=UTC)


def mail() -> list[tuple[str, str, str]]:
    with session_scope() as session:
        rows = session.exec(select(OutgoingMail).order_by(col(OutgoingMail.id))).all()
        return [(m.to_address, m.subject, m.body) for m in rows]


@pytest.fixture
def authorized_account(committed_database: str) -> datetime:
    clock.freeze(AUTHORIZED_AT)
    with session_scope() as session:
        boss = users.add_user(session, actor="t", email="boss@s.example", role=Role.superintendent)
        comms = users.add_user(session, actor="t", email="comms@s.example", role=Role.staff)
        users.add_user(session, actor="t", email="other@s.example", role=Role.staff)
        account = accounts.request_account(
            session, comms, AccountRequest(platform=Platform.x, handle="SchoolNews")
        )
        account = accounts.decide(session, account.id or 0, AccountAction.authorize, boss, "")
        assert account.review_due is not None
        return account.review_due


def test_thresholds() -> None:
    due = date(2027, 1, 10)
    assert threshold_crossed(due, due - timedelta(days=31)) is None
    assert threshold_crossed(due, due - timedelta(days=30)) == 30
    assert threshold_crossed(due, due - timedelta(days=8)) == 30
    assert threshold_crossed(due, due - timedelta(days=7)) == 7
    assert threshold_crossed(due, due + timedelta(days=3)) == 0


def test_review_reminders_go_to_the_superintendent_and_stewards_once(
    authorized_account: datetime,
) -> None:
    due = authorized_account
    clock.freeze(due - timedelta(days=31))
    assert send_reminders() == 0

    clock.freeze(due - timedelta(days=30))
    assert send_reminders() == 2
    assert {to for to, _, _ in mail()} == {"boss@s.example", "comms@s.example"}
    assert "x @SchoolNews: re-authorization due within 30 days" in mail()[0][2]
    assert send_reminders() == 0  # the same day again: nothing new

    clock.freeze(due - timedelta(days=7))
    assert send_reminders() == 2
    clock.freeze(due + timedelta(days=1))
    assert send_reminders() == 2
    assert "overdue" in mail()[-1][2]
    assert len(mail()) == 6


def test_consent_expiry_reminders_reach_the_students_site_admins(
    committed_database: str,
) -> None:
    clock.freeze(datetime(2026, 11, 1, tzinfo=UTC))
    with session_scope() as session:
        users.add_user(session, actor="t", email="boss@s.example", role=Role.superintendent)
        users.add_user(
            session, actor="t", email="north@s.example", role=Role.site_admin, site="North"
        )
        users.add_user(
            session, actor="t", email="south@s.example", role=Role.site_admin, site="South"
        )
        student = Student(full_name="Jane Doe", site="North", created_at=clock.now())
        session.add(student)
        session.flush()
        guardian = Guardian(student_id=student.id or 0, name="A. Doe", created_at=clock.now())
        session.add(guardian)
        session.flush()
        session.add(
            Consent(
                student_id=student.id or 0,
                guardian_id=guardian.id or 0,
                scope="both",
                granted_on=date(2026, 1, 1),
                expires_on=date(2026, 11, 20),
                evidence_sha256="0" * 64,
                created_at=clock.now(),
                created_by="t",
            )
        )
    assert send_reminders() == 2
    assert {to for to, _, _ in mail()} == {"boss@s.example", "north@s.example"}
    assert "Jane Doe: both consent expires 2026-11-20" in mail()[0][2]
    assert send_reminders() == 0
