"""Use cases of the approval workflow: draft, edit, attach media, submit, review, withdraw.

Decisions come from `workflows.post_lifecycle` (who may, from which state) and
`workflows.content_rules` (what the policy says about the content); this module loads the
facts, applies the decision in one transaction and audits it.
"""

from collections.abc import Sequence

from sqlalchemy import update
from sqlmodel import Session, col, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from service import clock
from service.accounts.models import Account, AccountSteward
from service.audit import service as audit
from service.db import first_or_404
from service.errors import Conflict, Forbidden, Invalid, refusal
from service.posts import checks, notices, routing
from service.posts.models import (
    Post,
    PostCreate,
    PostDecision,
    PostMedia,
    PostRevision,
    PostTarget,
    PostUpdate,
)
from service.users.models import Role, User
from workflows import post_lifecycle as lifecycle
from workflows.post_lifecycle import Actor, PostAction, PostFacts, PostStatus

PRIVATE_DRAFT_STATES = frozenset({PostStatus.draft, PostStatus.withdrawn})
READ_ALL = frozenset({Role.auditor})


def visible_posts(user: User) -> SelectOfScalar[Post]:
    """Staff see their own posts; reviewers see everyone's once submitted; the auditor all."""
    query = select(Post)
    if user.role in READ_ALL:
        return query
    if user.role is Role.staff:
        return query.where(Post.author_id == user.id)
    return query.where(
        or_(Post.author_id == user.id, col(Post.status).not_in(list(PRIVATE_DRAFT_STATES)))
    )


def get_post(session: Session, user: User, post_id: int) -> Post:
    return first_or_404(
        session, visible_posts(user).where(Post.id == post_id), f"No post with id {post_id}."
    )


def list_posts(session: Session, user: User, status: PostStatus | None) -> list[Post]:
    query = visible_posts(user)
    if status is not None:
        query = query.where(Post.status == status)
    return list(session.exec(query.order_by(col(Post.id).desc())).all())


def current_revision(session: Session, post: Post) -> PostRevision:
    revision = session.exec(
        select(PostRevision)
        .where(PostRevision.post_id == post.id)
        .order_by(col(PostRevision.number).desc())
    ).first()
    assert revision is not None, "every post has a revision"
    return revision


def decisions_of(session: Session, revision: PostRevision) -> list[PostDecision]:
    return list(
        session.exec(select(PostDecision).where(PostDecision.revision_id == revision.id)).all()
    )


def _check_accounts_exist(session: Session, account_ids: list[int]) -> None:
    found = set(session.exec(select(Account.id).where(col(Account.id).in_(account_ids))).all())
    missing = sorted(set(account_ids) - found)
    if missing:
        raise Invalid(f"No account with id {', '.join(map(str, missing))} in the register.")


def check_may_target(
    session: Session, author: User, account_ids: list[int], *, kept: Sequence[int] = ()
) -> None:
    """Only an account's stewards post to it (DESIGN.md): a new target the author does not
    steward is refused. Targets already on the post (`kept`) stay even if their stewardship
    has lapsed since; the `account.authorized` rule then blocks the post and says why."""
    _check_accounts_exist(session, account_ids)
    added = set(account_ids) - set(kept)
    stewarded = set(
        session.exec(
            select(AccountSteward.account_id).where(
                AccountSteward.user_id == author.id, col(AccountSteward.account_id).in_(added)
            )
        ).all()
    )
    foreign = sorted(added - stewarded)
    if foreign:
        raise Forbidden(
            f"You are not a steward of account {', '.join(map(str, foreign))}; "
            "only an account's stewards post to it."
        )


def _facts(session: Session, post: Post, revision: PostRevision) -> PostFacts:
    results = checks.stored_results(revision)
    approvals = [
        d.reviewer_role for d in decisions_of(session, revision) if d.decision == "approve"
    ]
    needed = {r.needed_role for r in results if r.needed_role}
    return PostFacts(
        status=post.status,
        author_id=post.author_id,
        publish_at=post.publish_at,
        blocking_rules=tuple(r.rule for r in results if r.blocks),
        needed_roles=lifecycle.still_needed(needed, approvals),
        route=routing.route_facts(session, post.author_id, revision),
    )


def decide_action(session: Session, post: Post, action: PostAction, actor: User) -> PostStatus:
    revision = current_revision(session, post)
    decision = lifecycle.decide(
        _facts(session, post, revision), action, Actor(actor.id, actor.role), clock.now()
    )
    if isinstance(decision, lifecycle.Refused):
        raise refusal(decision.kind, decision.reason)
    return decision.new_status


def move(session: Session, post: Post, new_status: PostStatus, *, expected_version: int) -> None:
    """Compare-and-set on `version`: of two reviewers acting at once, the second gets a 409."""
    now = clock.now()
    result = session.execute(
        update(Post)
        .where(col(Post.id) == post.id, col(Post.version) == expected_version)
        .values(status=new_status, version=expected_version + 1, updated_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("Someone else changed this post at the same time; reload and try again.")
    session.refresh(post)


def audit_post(session: Session, actor: str, post: Post, action: str, **after: object) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"post.{action}",
        subject_type="post",
        subject_id=post.id,
        after={"status": post.status, "version": post.version, **after},
    )


def create_post(session: Session, author: User, data: PostCreate) -> Post:
    check_may_target(session, author, data.account_ids)
    now = clock.now()
    post = Post(
        author_id=author.id or 0,
        status=PostStatus.draft,
        publish_at=data.publish_at,
        created_at=now,
        updated_at=now,
    )
    session.add(post)
    session.flush()
    for account_id in dict.fromkeys(data.account_ids):
        session.add(PostTarget(post_id=post.id or 0, account_id=account_id))
    revision = PostRevision(
        post_id=post.id or 0,
        number=1,
        text=data.text,
        account_ids=list(dict.fromkeys(data.account_ids)),
        media_ids=[],
        third_party=[d.model_dump() for d in data.third_party],
        visibility=data.visibility,
        publish_at=data.publish_at,
        checks=[],
        created_at=now,
    )
    session.add(revision)
    session.flush()
    checks.run_checks(session, revision, author, now)
    audit_post(session, author.email, post, "created", revision=1)
    return post


def revision_for_edit(session: Session, post: Post) -> PostRevision:
    """A revision nobody has reviewed is edited in place; a reviewed one is never changed."""
    revision = current_revision(session, post)
    if revision.submitted_at is None:
        return revision
    copy = PostRevision.model_validate(
        revision.model_dump(exclude={"id", "submitted_at", "created_at", "number"}),
        update={"number": revision.number + 1, "created_at": clock.now()},
    )
    session.add(copy)
    session.flush()
    return copy


def _apply_update(
    session: Session, post: Post, revision: PostRevision, data: PostUpdate, author: User
) -> None:
    fields = data.model_fields_set
    if "text" in fields and data.text is not None:
        revision.text = data.text
    if "account_ids" in fields and data.account_ids is not None:
        check_may_target(session, author, data.account_ids, kept=revision.account_ids)
        revision.account_ids = list(dict.fromkeys(data.account_ids))
        for target in session.exec(select(PostTarget).where(PostTarget.post_id == post.id)).all():
            session.delete(target)
        session.flush()
        for account_id in revision.account_ids:
            session.add(PostTarget(post_id=post.id or 0, account_id=account_id))
    if "visibility" in fields and data.visibility is not None:
        revision.visibility = data.visibility
    if "third_party" in fields and data.third_party is not None:
        revision.third_party = [d.model_dump() for d in data.third_party]
    if "media_ids" in fields and data.media_ids is not None:
        unknown = set(data.media_ids) - set(_media_ids_of(session, post))
        if unknown:
            raise Invalid(f"Media {sorted(unknown)} do not belong to this post.")
        revision.media_ids = list(dict.fromkeys(data.media_ids))
    if "publish_at" in fields:
        revision.publish_at = post.publish_at = data.publish_at
        session.add(post)


def _media_ids_of(session: Session, post: Post) -> list[int]:
    return [m for m in session.exec(select(PostMedia.id).where(PostMedia.post_id == post.id)) if m]


def edit_post(
    session: Session,
    post_id: int,
    author: User,
    data: PostUpdate,
    *,
    media: PostMedia | None = None,
) -> Post:
    post = get_post(session, author, post_id)
    version = post.version
    new_status = decide_action(session, post, PostAction.edit, author)
    revision = revision_for_edit(session, post)
    if media is not None:
        media.post_id = post.id or 0
        session.add(media)
        session.flush()
        revision.media_ids = [*revision.media_ids, media.id or 0]
    _apply_update(session, post, revision, data, author)
    session.add(revision)
    session.flush()
    results = checks.run_checks(session, revision, author, clock.now())
    new_status = lifecycle.status_after_edit(new_status, blocked=any(r.blocks for r in results))
    if new_status is PostStatus.submitted:
        revision.submitted_at = clock.now()  # back in review: frozen from now on
        notices.tell_reviewers(session, post, revision, author)
    move(session, post, new_status, expected_version=version)
    audit_post(session, author.email, post, "edited", revision=revision.number)
    return post
