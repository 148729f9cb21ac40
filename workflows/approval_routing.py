"""Approval routing: who must still approve a revision, and who may approve it now.

A post passes, for each target account, that account's approval steps in order (several
targets: every account's steps, the accounts side by side); then the approvals the content
rules ask for (a group photo adds a site administrator) and the policy's release approval
(superintendent or designee), side by side as before routes existed. An account without
steps therefore changes nothing.

Every approval of the revision counts for every step and need it fits, whenever it was given:
order decides only who may act now (the first unmet step of each account, then the rules'
needs), so one person named on two steps never has to approve twice. As everywhere in the
policy, the superintendent can give every role's approval; a step that names only people who
cannot give it (the author, people no longer active) falls to the superintendent.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import groupby

SUPERINTENDENT = "superintendent"
RELEASE_ROLE = "designee"  # the need `release.approver` adds to every post
RELEASE_COVERED_BY = frozenset({SUPERINTENDENT, RELEASE_ROLE})
ANY = "any"
ALL = "all"
RULES = (ANY, ALL)


def covers(approver_role: str, needed_role: str) -> bool:
    """The superintendent can give every approval; anyone else only their own role's."""
    return approver_role in (SUPERINTENDENT, needed_role)


@dataclass(frozen=True)
class Step:
    """One step of an account's route: a role or named users, any one or all of them."""

    account_id: int
    position: int
    rule: str = ANY
    role: str | None = None
    user_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Approval:
    user_id: int
    role: str


@dataclass(frozen=True)
class Need:
    """What is still missing. `user_ids`: for "all", who has yet to approve; for a step of
    named users with "any", any one of them. `account_id`/`position` are None for the
    content rules' and the release approvals."""

    role: str | None
    user_ids: frozenset[int] = frozenset()
    rule: str = ANY
    account_id: int | None = None
    position: int | None = None

    def accepts(self, user_id: int | None, role: str) -> bool:
        if user_id is not None and user_id in self.user_ids:
            return True
        if self.role is None:
            return False
        if self.rule == ALL and self.user_ids:
            return role == SUPERINTENDENT  # stands in for the whole role
        return covers(role, self.role)

    def describe(self, names: Mapping[int, str] | None = None) -> str:
        people = sorted((names or {}).get(i, f"user #{i}") for i in self.user_ids)
        if self.role is not None and not people:
            return self.role
        if self.role is not None:
            return f"every {self.role} ({', '.join(people)} still to approve)"
        joiner = " and " if self.rule == ALL else " or "
        return joiner.join(people)


@dataclass(frozen=True)
class RouteFacts:
    """`role_members`: the active users of each role, for role steps where all must approve."""

    author_id: int
    steps: tuple[Step, ...] = ()
    rule_needs: frozenset[str] = frozenset()
    approvals: tuple[Approval, ...] = ()
    role_members: Mapping[str, frozenset[int]] = field(default_factory=dict)
    names: Mapping[int, str] = field(default_factory=dict)  # for messages: user id → email


@dataclass(frozen=True)
class Routing:
    pending: tuple[Need, ...]  # everything still missing, in route order
    current: tuple[Need, ...]  # what may be given now

    @property
    def complete(self) -> bool:
        return not self.pending

    def may_act(self, user_id: int | None, role: str) -> bool:
        return any(need.accepts(user_id, role) for need in self.current)


def _step_need(step: Step, facts: RouteFacts) -> Need | None:
    """What `step` still lacks given every approval so far, or None when it is met."""
    approvers = {a.user_id for a in facts.approvals}
    if step.role is not None and step.rule == ANY:
        if any(covers(a.role, step.role) for a in facts.approvals):
            return None
        return Need(step.role, account_id=step.account_id, position=step.position)
    if step.role is not None:
        if any(a.role == SUPERINTENDENT for a in facts.approvals):
            return None
        members = facts.role_members.get(step.role, frozenset()) - {facts.author_id}
        if members and members <= approvers:
            return None
        return Need(step.role, members - approvers, ALL, step.account_id, step.position)
    eligible = step.user_ids - {facts.author_id}
    if not eligible:  # nobody named can give it: the superintendent does
        fallback = Step(step.account_id, step.position, ANY, SUPERINTENDENT)
        return _step_need(fallback, facts)
    met = eligible <= approvers if step.rule == ALL else bool(eligible & approvers)
    if met:
        return None
    waiting = eligible - approvers if step.rule == ALL else eligible
    return Need(None, waiting, step.rule, step.account_id, step.position)


def _rule_needs(facts: RouteFacts) -> tuple[Need, ...]:
    needed = set(facts.rule_needs)
    if any(s.role in RELEASE_COVERED_BY for s in facts.steps):
        needed.discard(RELEASE_ROLE)  # a step already makes the release approval
    return tuple(
        Need(role)
        for role in sorted(needed)
        if not any(covers(a.role, role) for a in facts.approvals)
    )


def route(facts: RouteFacts) -> Routing:
    """Apply nothing: what the revision still needs, and whose approval counts now."""
    ordered = sorted(facts.steps, key=lambda s: (s.account_id, s.position))
    pending: list[Need] = []
    current: list[Need] = []
    for _, chain in groupby(ordered, key=lambda s: s.account_id):
        missing = [n for n in (_step_need(step, facts) for step in chain) if n is not None]
        pending.extend(missing)
        current.extend(missing[:1])
    rules = _rule_needs(facts)
    return Routing(tuple(pending) + rules, tuple(current) if current else rules)


def with_approval(facts: RouteFacts, approval: Approval) -> RouteFacts:
    return replace(facts, approvals=(*facts.approvals, approval))


def refusal(facts: RouteFacts, user_id: int | None, role: str) -> str | None:
    """Why `user_id` (a `role`) may not approve now, or None when their approval counts."""
    routing, names = route(facts), facts.names
    if routing.may_act(user_id, role):
        return None
    steps = [n for n in routing.current if n.account_id is not None]
    if not steps:
        missing = ", ".join(n.describe(names) for n in routing.current) or "nothing"
        return f"This revision needs approval by: {missing}; a {role} cannot give it."
    where = "; ".join(
        f"account #{n.account_id}, step {n.position}: {n.describe(names)}" for n in steps
    )
    return (
        f"This revision is waiting on its approval route ({where}); "
        "you are not on the current step."
    )


def needs_labels(routing: Routing, names: Mapping[int, str] | None = None) -> list[str]:
    """The pending needs as short labels, in route order, each once."""
    return list(dict.fromkeys(n.describe(names) for n in routing.pending))


def role_steps(steps: Iterable[Step]) -> frozenset[str]:
    """The roles named by steps where all of a role must approve (whose members to load)."""
    return frozenset(s.role for s in steps if s.role is not None and s.rule == ALL)


def approval_expires_at(
    approved_at: datetime,
    publish_at: datetime | None,
    *,
    days_after_schedule: int,
    days_unscheduled: int,
) -> datetime:
    """An approval holds until a while after the scheduled time, or a while after it was given
    for a post that publishes as soon as it is approved."""
    if publish_at is not None:
        return publish_at + timedelta(days=days_after_schedule)
    return approved_at + timedelta(days=days_unscheduled)
