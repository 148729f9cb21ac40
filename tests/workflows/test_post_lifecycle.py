"""Every post action, from every state, by every kind of actor."""

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from workflows.post_lifecycle import (
    Actor,
    Moved,
    PostAction,
    PostFacts,
    PostStatus,
    Refused,
    decide,
    still_needed,
)

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
AUTHOR = Actor(1, "staff")
ACTORS = {
    "author": AUTHOR,
    "other_staff": Actor(2, "staff"),
    "designee": Actor(3, "designee"),
    "site_admin": Actor(4, "site_admin"),
    "superintendent": Actor(5, "superintendent"),
    "auditor": Actor(6, "auditor"),
    "system": Actor(None, "system"),
}
S = PostStatus
# (action, from status, actor) -> new status; everything not listed must be refused.
ALLOWED = {
    **{(PostAction.edit, s, "author"): s for s in (S.draft, S.changes_requested)},
    **{(PostAction.edit, s, "author"): S.submitted for s in (S.submitted, S.approved, S.scheduled)},
    **{(PostAction.submit, s, "author"): S.submitted for s in (S.draft, S.changes_requested)},
    **{(PostAction.approve, S.submitted, a): S.approved for a in ("designee", "superintendent")},
    **{
        (PostAction.request_changes, S.submitted, a): S.changes_requested
        for a in ("designee", "site_admin", "superintendent")
    },
    **{
        (PostAction.reject, S.submitted, a): S.rejected
        for a in ("designee", "site_admin", "superintendent")
    },
    **{
        (PostAction.withdraw, s, a): S.withdrawn
        for s in (S.draft, S.submitted, S.changes_requested)
        for a in ("author", "superintendent")
    },
    **{(PostAction.publish, s, "system"): S.published for s in (S.approved, S.scheduled)},
    **{(PostAction.remove, S.published, a): S.removed for a in ("designee", "superintendent")},
}


def facts(status: PostStatus, **overrides: object) -> PostFacts:
    values: dict[str, object] = {
        "status": status,
        "author_id": AUTHOR.user_id,
        "publish_at": None,
        "needed_roles": frozenset({"designee"}),
    }
    values.update(overrides)
    return PostFacts(**values)  # type: ignore[arg-type]


CASES = list(product(PostAction, PostStatus, ACTORS))


@pytest.mark.parametrize(("action", "status", "who"), CASES)
def test_transition_table(action: PostAction, status: PostStatus, who: str) -> None:
    result = decide(facts(status), action, ACTORS[who], NOW)
    expected = ALLOWED.get((action, status, who))
    if expected is None:
        assert isinstance(result, Refused), f"{who} may not {action} a {status} post"
        assert result.reason
    else:
        assert result == Moved(expected)


def test_nobody_reviews_their_own_post() -> None:
    designee_author = Actor(1, "designee")
    result = decide(facts(S.submitted), PostAction.approve, designee_author, NOW)
    assert isinstance(result, Refused) and result.kind == "forbidden"
    assert "own post" in result.reason


def test_group_photo_needs_a_site_admin_as_well_as_a_designee() -> None:
    both = facts(S.submitted, needed_roles=frozenset({"designee", "site_admin"}))
    assert decide(both, PostAction.approve, ACTORS["designee"], NOW) == Moved(S.submitted)
    assert decide(both, PostAction.approve, ACTORS["site_admin"], NOW) == Moved(S.submitted)
    assert decide(both, PostAction.approve, ACTORS["superintendent"], NOW) == Moved(S.approved)
    only_site = facts(S.submitted, needed_roles=frozenset({"site_admin"}))
    assert decide(only_site, PostAction.approve, ACTORS["site_admin"], NOW) == Moved(S.approved)


def test_a_site_admin_cannot_give_a_release_approval() -> None:
    result = decide(facts(S.submitted), PostAction.approve, ACTORS["site_admin"], NOW)
    assert isinstance(result, Refused) and result.kind == "forbidden"
    assert "designee" in result.reason


def test_future_publish_time_schedules() -> None:
    later = facts(S.submitted, publish_at=NOW + timedelta(hours=2))
    assert decide(later, PostAction.approve, ACTORS["designee"], NOW) == Moved(S.scheduled)
    past = facts(S.submitted, publish_at=NOW - timedelta(hours=2))
    assert decide(past, PostAction.approve, ACTORS["designee"], NOW) == Moved(S.approved)


def test_blocked_posts_cannot_be_submitted_or_approved() -> None:
    blocked = facts(S.draft, blocking_rules=("text.confidential",))
    refusal = decide(blocked, PostAction.submit, AUTHOR, NOW)
    assert isinstance(refusal, Refused) and "text.confidential" in refusal.reason
    submitted = facts(S.submitted, blocking_rules=("media.individual_student",))
    refusal = decide(submitted, PostAction.approve, ACTORS["superintendent"], NOW)
    assert isinstance(refusal, Refused) and refusal.kind == "conflict"


def test_still_needed() -> None:
    needs = {"designee", "site_admin"}
    assert still_needed(needs, ["designee"]) == {"site_admin"}
    assert still_needed(needs, ["designee", "site_admin"]) == frozenset()
    assert still_needed(needs, ["superintendent"]) == frozenset()
    assert still_needed(needs, []) == needs


def test_an_edit_that_breaks_a_rule_goes_back_to_its_author() -> None:
    from workflows.post_lifecycle import status_after_edit

    assert status_after_edit(S.submitted, blocked=True) == S.changes_requested
    assert status_after_edit(S.submitted, blocked=False) == S.submitted
    assert status_after_edit(S.draft, blocked=True) == S.draft
