"""Stewardship over time: when an official account's annual review is due or overdue, and
which warnings it carries (dormant, orphaned, too few stewards).

Pure decisions over plain data: the caller reads the account, counts its active stewards
and passes the clock. Warnings are for official (authorized) accounts only; nothing here
ever changes an account's status — official status changes only by a person's decision.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from workflows.account_lifecycle import DECIDING_ROLE, AccountStatus, Allowed, Refused

DUE_WITHIN_DAYS = 30  # a review is "due" from this many days before its date


class ReviewState(StrEnum):
    current = "current"
    due = "due"  # within DUE_WITHIN_DAYS of its date, or past it within the grace period
    overdue = "overdue"  # past its date by more than the grace period


class Flag(StrEnum):
    dormant = "dormant"
    orphaned = "orphaned"
    few_stewards = "few_stewards"


@dataclass(frozen=True)
class Policy:
    grace_days: int
    min_stewards: int
    dormant_after_days: int


@dataclass(frozen=True)
class Facts:
    status: AccountStatus
    review_due: datetime | None
    active_stewards: int
    authorized_at: datetime | None = None
    last_activity_at: datetime | None = None
    activity_checked_at: datetime | None = None


@dataclass(frozen=True)
class Standing:
    review: ReviewState | None  # None: not official, or no review date
    flags: tuple[Flag, ...]
    days_overdue: int  # 0 unless the review date has passed

    @property
    def needs_review(self) -> bool:
        """Overdue beyond the grace period: the superintendent must re-authorize or suspend."""
        return self.review is ReviewState.overdue

    @property
    def needs_attention(self) -> bool:
        """What the superintendent's dashboard lists: overdue, or any warning."""
        return self.needs_review or bool(self.flags)


def review_state(review_due: datetime | None, now: datetime, policy: Policy) -> ReviewState | None:
    if review_due is None:
        return None
    if now > review_due + timedelta(days=policy.grace_days):
        return ReviewState.overdue
    if now >= review_due - timedelta(days=DUE_WITHIN_DAYS):
        return ReviewState.due
    return ReviewState.current


def is_dormant(facts: Facts, now: datetime, policy: Policy) -> bool:
    """No post for `dormant_after_days`; an account that was read and never posted counts
    from its authorization. Never read yet: not known to be dormant."""
    limit = now - timedelta(days=policy.dormant_after_days)
    if facts.last_activity_at is not None:
        return facts.last_activity_at < limit
    return (
        facts.activity_checked_at is not None
        and facts.authorized_at is not None
        and facts.authorized_at < limit
    )


def steward_flags(active_stewards: int, policy: Policy) -> tuple[Flag, ...]:
    """Below the minimum is `few_stewards`; nobody at all is also `orphaned`."""
    flags = []
    if active_stewards == 0:
        flags.append(Flag.orphaned)
    if active_stewards < policy.min_stewards:
        flags.append(Flag.few_stewards)
    return tuple(flags)


def standing(facts: Facts, now: datetime, policy: Policy) -> Standing:
    if facts.status is not AccountStatus.authorized:
        return Standing(review=None, flags=(), days_overdue=0)
    flags = (Flag.dormant,) if is_dormant(facts, now, policy) else ()
    overdue = (now - facts.review_due).days if facts.review_due and now > facts.review_due else 0
    return Standing(
        review=review_state(facts.review_due, now, policy),
        flags=flags + steward_flags(facts.active_stewards, policy),
        days_overdue=overdue,
    )


def may_reauthorize(status: AccountStatus, actor_role: str) -> Allowed | Refused:
    """The annual re-authorization: the superintendent confirms an official account."""
    if actor_role != DECIDING_ROLE:
        return Refused("forbidden", "Only the superintendent may re-authorize an account.")
    if status is not AccountStatus.authorized:
        return Refused(
            "conflict", f"Cannot re-authorize an account that is {status}; it must be authorized."
        )
    return Allowed(AccountStatus.authorized)
