"""Stewardship over time, as use cases of the register: the annual re-authorization, the
accounts that need the superintendent's attention, and what a departing steward leaves behind.

The decisions are workflows.stewardship's; status never changes here except by a person.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select

from service import clock
from service.accounts import service
from service.accounts.models import Account, AccountSteward, ReviewFilter
from service.audit import service as audit
from service.errors import refusal
from service.settings import get_settings
from service.users.models import User
from workflows import account_lifecycle as lifecycle
from workflows import stewardship
from workflows.account_lifecycle import AccountStatus
from workflows.stewardship import Standing


@dataclass(frozen=True)
class AccountStanding:
    account: Account
    standing: Standing
    stewards: list[str]


def reauthorize(session: Session, account_id: int, actor: User, reason: str) -> Account:
    """The superintendent confirms an official account for another review period."""
    account = service.get_account(session, account_id, for_update=True)
    decision = stewardship.may_reauthorize(account.status, actor.role)
    if isinstance(decision, lifecycle.Refused):
        raise refusal(decision.kind, decision.reason)
    before = service.account_state(account)
    now = clock.now()
    account.review_due = now + timedelta(days=get_settings().review_period_days)
    account.updated_at = now
    session.add(account)
    session.flush()
    service.record_authorization(session, account, "reauthorized", actor, reason)
    audit.record(
        session,
        actor=actor.email,
        action="account.reauthorize",
        subject_type=service.AUDIT_SUBJECT,
        subject_id=account.id,
        before=before,
        after={**service.account_state(account), "reason": reason.strip()},
    )
    return account


def with_standing(session: Session, accounts: Sequence[Account]) -> list[AccountStanding]:
    stewards = service.steward_emails(session, [a.id for a in accounts if a.id is not None])
    return [
        AccountStanding(account, standing, stewards.get(account.id or 0, []))
        for account, standing in zip(accounts, service.standings_of(session, accounts), strict=True)
    ]


def needing_attention(session: Session) -> list[AccountStanding]:
    """Official accounts overdue for review, dormant, orphaned or short of stewards."""
    official = service.list_accounts(session, status=AccountStatus.authorized)
    return [s for s in with_standing(session, official) if s.standing.needs_attention]


def due_for_review(session: Session) -> list[AccountStanding]:
    """Official accounts due or overdue for their annual review, the oldest date first."""
    due = service.list_accounts(session, review=ReviewFilter.due)
    return sorted(with_standing(session, due), key=lambda s: s.account.review_due or clock.now())


def release_stewardships(session: Session, user: User, *, actor: str) -> list[AccountStanding]:
    """Remove `user` from every account they steward (audited on each account) and return
    those accounts with their standing afterwards."""
    rows = session.exec(
        select(AccountSteward)
        .where(AccountSteward.user_id == user.id)
        .order_by(col(AccountSteward.account_id))
    ).all()
    for row in rows:
        service.drop_steward(session, row, user.email, actor=actor, reason="user deactivated")
    left = [service.get_account(session, row.account_id) for row in rows]
    return with_standing(session, left)
