"""The stewardship decisions, line by line: review dates, dormancy, stewards, re-authorizing."""

from datetime import UTC, datetime, timedelta

import pytest

from workflows.account_lifecycle import AccountStatus, Allowed, Refused
from workflows.stewardship import (
    Facts,
    Flag,
    Policy,
    ReviewState,
    may_reauthorize,
    review_state,
    standing,
)

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
POLICY = Policy(grace_days=30, min_stewards=2, dormant_after_days=180)


def days(n: float) -> timedelta:
    return timedelta(days=n)


@pytest.mark.parametrize(
    ("due_in_days", "expected"),
    [
        (31, ReviewState.current),
        (30, ReviewState.due),
        (1, ReviewState.due),
        (0, ReviewState.due),
        (-30, ReviewState.due),  # past its date, but within the grace period
        (-30.01, ReviewState.overdue),
        (-400, ReviewState.overdue),
    ],
)
def test_review_state_by_date(due_in_days: float, expected: ReviewState) -> None:
    assert review_state(NOW + days(due_in_days), NOW, POLICY) is expected


def test_no_review_date_is_no_review_state() -> None:
    assert review_state(None, NOW, POLICY) is None


def official(**facts: object) -> Facts:
    values: dict[str, object] = {
        "status": AccountStatus.authorized,
        "review_due": NOW + days(200),
        "active_stewards": 2,
        "authorized_at": NOW - days(165),
        **facts,
    }
    return Facts(**values)  # type: ignore[arg-type]


def test_a_well_kept_official_account_needs_nothing() -> None:
    result = standing(official(last_activity_at=NOW - days(3)), NOW, POLICY)
    assert (result.review, result.flags, result.days_overdue) == (ReviewState.current, (), 0)
    assert not result.needs_attention


@pytest.mark.parametrize(
    ("stewards", "flags"),
    [(0, (Flag.orphaned, Flag.few_stewards)), (1, (Flag.few_stewards,)), (2, ()), (5, ())],
)
def test_steward_counts(stewards: int, flags: tuple[Flag, ...]) -> None:
    assert standing(official(active_stewards=stewards), NOW, POLICY).flags == flags


def test_minimum_is_configurable() -> None:
    strict = Policy(grace_days=30, min_stewards=3, dormant_after_days=180)
    assert standing(official(active_stewards=2), NOW, strict).flags == (Flag.few_stewards,)


@pytest.mark.parametrize(
    ("facts", "dormant"),
    [
        ({"last_activity_at": NOW - days(181)}, True),
        ({"last_activity_at": NOW - days(179)}, False),
        # never read by the dormancy job: not known to be dormant
        ({"authorized_at": NOW - days(900)}, False),
        # read, never posted: counted from the authorization
        ({"activity_checked_at": NOW, "authorized_at": NOW - days(200)}, True),
        ({"activity_checked_at": NOW, "authorized_at": NOW - days(20)}, False),
    ],
)
def test_dormancy(facts: dict[str, object], dormant: bool) -> None:
    flags = standing(official(**facts), NOW, POLICY).flags
    assert (Flag.dormant in flags) is dormant


def test_days_overdue_and_attention() -> None:
    result = standing(official(review_due=NOW - days(45)), NOW, POLICY)
    assert result.review is ReviewState.overdue
    assert result.days_overdue == 45
    assert result.needs_review and result.needs_attention


def test_due_within_grace_is_not_yet_attention() -> None:
    result = standing(official(review_due=NOW - days(10)), NOW, POLICY)
    assert result.review is ReviewState.due and result.days_overdue == 10
    assert not result.needs_attention


@pytest.mark.parametrize(
    "status", [AccountStatus.requested, AccountStatus.suspended, AccountStatus.revoked]
)
def test_only_official_accounts_carry_warnings(status: AccountStatus) -> None:
    facts = official(status=status, review_due=NOW - days(400), active_stewards=0)
    result = standing(facts, NOW, POLICY)
    assert (result.review, result.flags) == (None, ())


def test_only_the_superintendent_reauthorizes_an_authorized_account() -> None:
    assert may_reauthorize(AccountStatus.authorized, "superintendent") == Allowed(
        AccountStatus.authorized
    )
    refused = may_reauthorize(AccountStatus.authorized, "designee")
    assert isinstance(refused, Refused) and refused.kind == "forbidden"
    for status in set(AccountStatus) - {AccountStatus.authorized}:
        refused = may_reauthorize(status, "superintendent")
        assert isinstance(refused, Refused) and refused.kind == "conflict"
