"""Each account's approval route: set by the superintendent, applied to every post it targets.

`route_facts` gathers the plain data `workflows.approval_routing` decides on: the target
accounts' steps, the approvals of the current revision and what the content rules ask for.
"""

from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import Field as PydanticField
from sqlmodel import Session, SQLModel, col, select

from service.accounts import service as accounts
from service.accounts.models import ApprovalStep
from service.audit import service as audit
from service.errors import Invalid
from service.posts import checks
from service.posts.models import PostDecision, PostRevision
from service.users import service as users
from service.users.models import Role, User
from workflows import approval_routing as routing
from workflows.approval_routing import Approval, RouteFacts, Step

REVIEWER_ROLES = frozenset({Role.superintendent, Role.designee, Role.site_admin})


class ApprovalStepIn(SQLModel):
    position: int = PydanticField(ge=1, le=50)
    role: Role | None = None
    user_ids: list[int] = PydanticField(default_factory=list, max_length=50)
    rule: Literal["any", "all"] = "any"


class ApprovalStepsIn(SQLModel):
    steps: list[ApprovalStepIn] = PydanticField(max_length=50)


class ApprovalStepPublic(SQLModel):
    position: int
    role: str | None
    user_ids: list[int]
    users: list[str]  # their emails, in the order of user_ids
    rule: str


def steps_of(session: Session, account_ids: Iterable[int]) -> list[ApprovalStep]:
    query = select(ApprovalStep).where(col(ApprovalStep.account_id).in_(list(account_ids)))
    order = (col(ApprovalStep.account_id), col(ApprovalStep.position))
    return list(session.exec(query.order_by(*order)))


def _emails(session: Session, ids: Iterable[int]) -> dict[int, str]:
    rows = session.exec(select(User.id, User.email).where(col(User.id).in_(list(ids)))).all()
    return {user_id: email for user_id, email in rows if user_id is not None}


def to_public(session: Session, steps: Sequence[ApprovalStep]) -> list[ApprovalStepPublic]:
    emails = _emails(session, {i for s in steps for i in s.user_ids})
    return [
        ApprovalStepPublic(
            position=s.position,
            role=s.role,
            user_ids=s.user_ids,
            users=[emails.get(i, f"user #{i}") for i in s.user_ids],
            rule=s.rule,
        )
        for s in steps
    ]


def get_steps(session: Session, account_id: int) -> list[ApprovalStep]:
    accounts.get_account(session, account_id)
    return steps_of(session, [account_id])


def _validate(session: Session, steps: Sequence[ApprovalStepIn]) -> None:
    positions = sorted(s.position for s in steps)
    if positions != list(range(1, len(steps) + 1)):
        raise Invalid(f"Step positions must be 1 to {len(steps)}, each once; got {positions}.")
    named = {i for s in steps for i in s.user_ids}
    reviewers = session.exec(
        select(User.id).where(
            col(User.id).in_(list(named)),
            col(User.active).is_(True),
            col(User.role).in_(list(REVIEWER_ROLES)),
        )
    ).all()
    for step in sorted(steps, key=lambda s: s.position):
        if (step.role is None) == (not step.user_ids):
            raise Invalid(f"Step {step.position} must name either a role or users, not both.")
        if step.role is not None and step.role not in REVIEWER_ROLES:
            raise Invalid(f"Step {step.position}: a {step.role} does not review posts.")
        unknown = sorted(set(step.user_ids) - set(reviewers))
        if unknown:
            raise Invalid(
                f"Step {step.position}: users {unknown} are not active reviewers "
                "(superintendent, designee or site administrator)."
            )


def replace_steps(
    session: Session, account_id: int, steps: Sequence[ApprovalStepIn], actor: User
) -> list[ApprovalStep]:
    """Replace the account's whole route at once; a refused list changes nothing."""
    accounts.get_account(session, account_id, for_update=True)
    _validate(session, steps)
    old = steps_of(session, [account_id])
    before = [s.model_dump(exclude={"id", "account_id"}) for s in old]
    for row in old:
        session.delete(row)
    session.flush()
    new = [
        ApprovalStep(
            account_id=account_id,
            position=s.position,
            role=s.role,
            user_ids=list(dict.fromkeys(s.user_ids)),
            rule=s.rule,
        )
        for s in sorted(steps, key=lambda s: s.position)
    ]
    session.add_all(new)
    session.flush()
    audit.record(
        session,
        actor=actor.email,
        action="account.approval_steps",
        subject_type=accounts.AUDIT_SUBJECT,
        subject_id=account_id,
        before={"steps": before},
        after={"steps": [s.model_dump(exclude={"id", "account_id"}) for s in new]},
    )
    return new


def _active_reviewers(session: Session) -> list[User]:
    query = select(User).where(col(User.active).is_(True), col(User.role).in_(list(REVIEWER_ROLES)))
    return list(session.exec(query))


def steps_from_rows(session: Session, rows: Sequence[tuple[str, str, str]]) -> list[ApprovalStepIn]:
    """A page's rows (role, emails separated by commas, rule), blank rows skipped, numbered in
    the order given."""
    steps: list[ApprovalStepIn] = []
    for role, emails, rule in rows:
        addresses = [e for e in (part.strip() for part in emails.split(",")) if e]
        if not role and not addresses:
            continue
        user_ids = []
        for address in addresses:
            user = users.find_by_email(session, address)
            if user is None:
                raise Invalid(f"Step {len(steps) + 1}: nobody signs in as {address}.")
            user_ids.append(user.id or 0)
        steps.append(
            ApprovalStepIn.model_validate(
                {
                    "position": len(steps) + 1,
                    "role": role or None,
                    "user_ids": user_ids,
                    "rule": rule,
                }
            )
        )
    return steps


def route_facts(session: Session, author_id: int, revision: PostRevision) -> RouteFacts:
    """Everything the routing decision needs about one revision, as plain data."""
    reviewers = _active_reviewers(session)
    active = {u.id for u in reviewers}
    steps = tuple(
        Step(
            s.account_id,
            s.position,
            s.rule,
            s.role,
            frozenset(i for i in s.user_ids if i in active),
        )
        for s in steps_of(session, revision.account_ids)
    )
    decisions = session.exec(
        select(PostDecision)
        .where(PostDecision.revision_id == revision.id, PostDecision.decision == "approve")
        .order_by(col(PostDecision.id))
    ).all()
    return RouteFacts(
        author_id=author_id,
        steps=steps,
        rule_needs=frozenset(
            r.needed_role for r in checks.stored_results(revision) if r.needed_role
        ),
        approvals=tuple(Approval(d.reviewer_id, d.reviewer_role) for d in decisions),
        role_members={
            role: frozenset(u.id for u in reviewers if u.role == role and u.id is not None)
            for role in routing.role_steps(steps)
        },
        names={u.id: u.email for u in reviewers if u.id is not None},
    )


def needs(session: Session, author_id: int, revision: PostRevision) -> list[str]:
    """What the revision still needs, as labels for people (roles or emails)."""
    facts = route_facts(session, author_id, revision)
    return routing.needs_labels(routing.route(facts), facts.names)
