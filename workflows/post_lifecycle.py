"""Post lifecycle (DESIGN.md): who may move a post from which state, and to where.

draft → submitted → approved → scheduled → published; submitted → changes_requested →
submitted; submitted → rejected; draft|submitted|changes_requested → withdrawn;
published → removed; approved|scheduled → submitted when an approval lapses unpublished
(`expire`). An approval is of one revision; the post is approved once the approvals
of its current revision cover every approver the content rules asked for.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from workflows import approval_routing as routing
from workflows.approval_routing import covers


class PostStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    changes_requested = "changes_requested"
    approved = "approved"
    scheduled = "scheduled"
    published = "published"
    rejected = "rejected"
    withdrawn = "withdrawn"
    removed = "removed"


class PostAction(StrEnum):
    edit = "edit"
    submit = "submit"
    approve = "approve"
    request_changes = "request_changes"
    reject = "reject"
    withdraw = "withdraw"
    publish = "publish"
    remove = "remove"


SUPERINTENDENT = "superintendent"
SYSTEM = "system"
REVIEWERS = frozenset({SUPERINTENDENT, "designee", "site_admin"})
REMOVERS = frozenset({SUPERINTENDENT, "designee"})
EDITABLE = frozenset(
    {
        PostStatus.draft,
        PostStatus.submitted,
        PostStatus.changes_requested,
        PostStatus.approved,
        PostStatus.scheduled,
    }
)
SUBMITTABLE = frozenset({PostStatus.draft, PostStatus.changes_requested})
WITHDRAWABLE = frozenset({PostStatus.draft, PostStatus.submitted, PostStatus.changes_requested})
PUBLISHABLE = frozenset({PostStatus.approved, PostStatus.scheduled})


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    role: str


@dataclass(frozen=True)
class PostFacts:
    status: PostStatus
    author_id: int
    publish_at: datetime | None
    blocking_rules: tuple[str, ...] = ()  # ids of rules that block the current revision
    needed_roles: frozenset[str] = frozenset()  # approver roles the current revision still needs
    # The approval route (accounts' steps, then the rules' needs); when set, it decides instead
    # of `needed_roles` who may approve and when the approvals are complete.
    route: routing.RouteFacts | None = None


@dataclass(frozen=True)
class Moved:
    new_status: PostStatus


@dataclass(frozen=True)
class Refused:
    kind: Literal["forbidden", "conflict", "invalid"]
    reason: str


def still_needed(needed_roles: Iterable[str], approver_roles: Iterable[str]) -> frozenset[str]:
    approvers = list(approver_roles)
    return frozenset(n for n in needed_roles if not any(covers(a, n) for a in approvers))


def _after_edit(status: PostStatus) -> PostStatus:
    """Editing after review began sends the post back to review; a draft stays a draft."""
    if status in (PostStatus.draft, PostStatus.changes_requested):
        return status
    return PostStatus.submitted


def status_after_edit(moved_to: PostStatus, *, blocked: bool) -> PostStatus:
    """An edit that sends a post back to review but breaks a rule needs changes instead:
    reviewers cannot approve it, so it would only sit in their queue."""
    if moved_to is PostStatus.submitted and blocked:
        return PostStatus.changes_requested
    return moved_to


def _state_refusal(facts: PostFacts, action: PostAction, allowed: frozenset[PostStatus]) -> Refused:
    options = " or ".join(sorted(allowed))
    return Refused(
        "conflict", f"Cannot {action} a post that is {facts.status}; it must be {options}."
    )


def _by_author(facts: PostFacts, actor: Actor, action: PostAction) -> Refused | None:
    if actor.user_id != facts.author_id:
        return Refused("forbidden", f"Only the post's author may {action} it.")
    return None


def _review(facts: PostFacts, action: PostAction, actor: Actor) -> Refused | None:
    if actor.role not in REVIEWERS:
        return Refused(
            "forbidden",
            "Only the superintendent, a designee or a site administrator reviews posts.",
        )
    if actor.user_id == facts.author_id:
        return Refused("forbidden", "Nobody reviews their own post (policy item 6).")
    if facts.status is not PostStatus.submitted:
        return _state_refusal(facts, action, frozenset({PostStatus.submitted}))
    return None


def _approve(facts: PostFacts, actor: Actor, now: datetime) -> Moved | Refused:
    if facts.blocking_rules:
        return Refused(
            "conflict", "Blocked by " + ", ".join(facts.blocking_rules) + "; it cannot be approved."
        )
    if facts.route is not None:
        return _approve_routed(facts, facts.route, actor, now)
    if not any(covers(actor.role, role) for role in facts.needed_roles):
        missing = ", ".join(sorted(facts.needed_roles)) or "nothing"
        return Refused(
            "forbidden",
            f"This revision needs approval by: {missing}; a {actor.role} cannot give it.",
        )
    remaining = still_needed(facts.needed_roles, [actor.role])
    if remaining:
        return Moved(PostStatus.submitted)
    return _approved(facts, now)


def _approved(facts: PostFacts, now: datetime) -> Moved:
    if facts.publish_at is not None and facts.publish_at > now:
        return Moved(PostStatus.scheduled)
    return Moved(PostStatus.approved)


def _approve_routed(
    facts: PostFacts, route: routing.RouteFacts, actor: Actor, now: datetime
) -> Moved | Refused:
    if reason := routing.refusal(route, actor.user_id, actor.role):
        return Refused("forbidden", reason)
    after = routing.with_approval(route, routing.Approval(actor.user_id or 0, actor.role))
    if not routing.route(after).complete:
        return Moved(PostStatus.submitted)
    return _approved(facts, now)


def expire(facts: PostFacts, actor: Actor) -> Moved | Refused:
    """An approval not used in time lapses: the post goes back to review, where the approvals
    of its earlier revision no longer count (circumstances — consents, staff, the event — may
    have changed since). Only the approvals job does this."""
    if actor.role != SYSTEM:
        return Refused("forbidden", "Approvals lapse by the approvals job only.")
    if facts.status not in PUBLISHABLE:
        return Refused("conflict", f"A {facts.status} post holds no approval that could lapse.")
    return Moved(PostStatus.submitted)


def _edit(facts: PostFacts, actor: Actor, now: datetime) -> Moved | Refused:
    if refusal := _by_author(facts, actor, PostAction.edit):
        return refusal
    if facts.status not in EDITABLE:
        return _state_refusal(facts, PostAction.edit, EDITABLE)
    return Moved(_after_edit(facts.status))


def _submit(facts: PostFacts, actor: Actor, now: datetime) -> Moved | Refused:
    if refusal := _by_author(facts, actor, PostAction.submit):
        return refusal
    if facts.status not in SUBMITTABLE:
        return _state_refusal(facts, PostAction.submit, SUBMITTABLE)
    if facts.blocking_rules:
        return Refused("invalid", "Blocked by " + ", ".join(facts.blocking_rules) + ".")
    return Moved(PostStatus.submitted)


def _request_changes(facts: PostFacts, actor: Actor, now: datetime) -> Moved | Refused:
    return _review(facts, PostAction.request_changes, actor) or Moved(PostStatus.changes_requested)


def _reject(facts: PostFacts, actor: Actor, now: datetime) -> Moved | Refused:
    return _review(facts, PostAction.reject, actor) or Moved(PostStatus.rejected)


def _approve_checked(facts: PostFacts, actor: Actor, now: datetime) -> Moved | Refused:
    return _review(facts, PostAction.approve, actor) or _approve(facts, actor, now)


def _withdraw(facts: PostFacts, actor: Actor, now: datetime) -> Moved | Refused:
    if actor.user_id != facts.author_id and actor.role != SUPERINTENDENT:
        return Refused("forbidden", "Only the author or the superintendent may withdraw a post.")
    if facts.status not in WITHDRAWABLE:
        return _state_refusal(facts, PostAction.withdraw, WITHDRAWABLE)
    return Moved(PostStatus.withdrawn)


def _publish(facts: PostFacts, actor: Actor, now: datetime) -> Moved | Refused:
    if actor.role != SYSTEM:
        return Refused("forbidden", "Posts are published by the publishing job only.")
    if facts.status not in PUBLISHABLE:
        return _state_refusal(facts, PostAction.publish, PUBLISHABLE)
    return Moved(PostStatus.published)


def _remove(facts: PostFacts, actor: Actor, now: datetime) -> Moved | Refused:
    if actor.role not in REMOVERS:
        return Refused(
            "forbidden", "Only the superintendent or a designee removes a published post."
        )
    if facts.status is not PostStatus.published:
        return _state_refusal(facts, PostAction.remove, frozenset({PostStatus.published}))
    return Moved(PostStatus.removed)


_DECISIONS: dict[PostAction, Callable[[PostFacts, Actor, datetime], Moved | Refused]] = {
    PostAction.edit: _edit,
    PostAction.submit: _submit,
    PostAction.approve: _approve_checked,
    PostAction.request_changes: _request_changes,
    PostAction.reject: _reject,
    PostAction.withdraw: _withdraw,
    PostAction.publish: _publish,
    PostAction.remove: _remove,
}


def decide(facts: PostFacts, action: PostAction, actor: Actor, now: datetime) -> Moved | Refused:
    """Apply nothing: say what `action` by `actor` would do, or why it may not."""
    return _DECISIONS[action](facts, actor, now)
