"""Daily reminders: annual re-authorization of accounts and consents about to lapse.

One digest per recipient per run, never a mail per item, and each (item, threshold) is
mentioned once: the reminder log's unique key makes a second run, or a second worker, a no-op.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from sqlmodel import Session, col, select

from service import clock
from service.accounts.models import Account, AccountSteward
from service.consent import validity as consent_validity
from service.consent.models import Student
from service.db import session_scope
from service.jobs import job
from service.notifications.service import queue_mail
from service.reminders.models import ReminderSent
from service.users.models import Role, User
from workflows.account_lifecycle import AccountStatus

THRESHOLDS = (30, 7, 0)


def threshold_crossed(due_on: date, today: date) -> int | None:
    """The nearest threshold already reached: 30 or 7 days before, or 0 once overdue."""
    days_left = (due_on - today).days
    reached = [t for t in THRESHOLDS if days_left <= t]
    return min(reached) if reached else None


def _first_time(session: Session, kind: str, subject_id: int, days: int, due_on: date) -> bool:
    already = session.exec(
        select(ReminderSent.id).where(
            ReminderSent.kind == kind,
            ReminderSent.subject_id == subject_id,
            ReminderSent.days_before == days,
            ReminderSent.due_on == due_on,
        )
    ).first()
    if already is not None:
        return False
    session.add(
        ReminderSent(
            kind=kind, subject_id=subject_id, days_before=days, due_on=due_on, sent_at=clock.now()
        )
    )
    return True


def _emails(session: Session, roles: Iterable[Role]) -> list[str]:
    query = select(User.email).where(col(User.role).in_(list(roles)), col(User.active).is_(True))
    return list(session.exec(query).all())


def _when(days: int) -> str:
    return "overdue" if days == 0 else f"due within {days} days"


def _review_lines(session: Session, today: date) -> dict[str, list[str]]:
    digests: dict[str, list[str]] = defaultdict(list)
    superintendents = _emails(session, [Role.superintendent])
    accounts = session.exec(
        select(Account).where(
            Account.status == AccountStatus.authorized, col(Account.review_due).is_not(None)
        )
    ).all()
    for account in accounts:
        assert account.review_due is not None and account.id is not None
        due_on = account.review_due.date()
        days = threshold_crossed(due_on, today)
        if days is None or not _first_time(session, "account_review", account.id, days, due_on):
            continue
        line = f"{account.platform} @{account.handle}: re-authorization {_when(days)} ({due_on})"
        stewards = session.exec(
            select(User.email)
            .join(AccountSteward, col(AccountSteward.user_id) == User.id)
            .where(AccountSteward.account_id == account.id, col(User.active).is_(True))
        ).all()
        for email in {*superintendents, *stewards}:
            digests[email].append(line)
    return digests


def _consent_lines(session: Session, now: datetime) -> dict[str, list[str]]:
    digests: dict[str, list[str]] = defaultdict(list)
    superintendents = _emails(session, [Role.superintendent])
    site_admins = session.exec(
        select(User).where(User.role == Role.site_admin, col(User.active).is_(True))
    ).all()
    for record in consent_validity.expiring_consents(session, now, within_days=THRESHOLDS[0]):
        assert record.expires_on is not None and record.id is not None
        days = threshold_crossed(record.expires_on, now.date())
        if days is None or not _first_time(
            session, "consent_expiry", record.id, days, record.expires_on
        ):
            continue
        student = session.get(Student, record.student_id)
        assert student is not None
        line = f"{student.full_name}: {record.scope} consent expires {record.expires_on}"
        admins = [a.email for a in site_admins if a.site in (None, student.site)]
        for email in {*superintendents, *admins}:
            digests[email].append(line)
    return digests


def _send(session: Session, digests: dict[str, list[str]], subject: str) -> int:
    for email, lines in digests.items():
        queue_mail(session, [email], subject, "\n".join(sorted(lines)) + "\n")
    return len(digests)


@job("imprimatur.send_reminders")
def send_reminders() -> int:
    """Run daily (or more often: it is idempotent). Returns the number of digests queued."""
    now = clock.now()
    with session_scope() as session:
        sent = _send(session, _review_lines(session, now.date()), "Official accounts up for review")
        sent += _send(session, _consent_lines(session, now), "Consents about to expire")
    return sent
