"""Approvals over time: a post left waiting escalates once; an approval not used lapses.

`check_approvals` is the periodic job; `escalate_waiting` and `expire_lapsed` do the work in
the caller's session so they can be tested and run inside one transaction.
"""

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from service import clock
from service.db import session_scope
from service.errors import refusal
from service.jobs import job
from service.notifications.service import queue_mail
from service.posts import checks, notices
from service.posts.models import Post, PostDecision, PostRevision
from service.posts.service import audit_post, current_revision, move, revision_for_edit
from service.publishing import service as publishing
from service.publishing.models import TargetStatus
from service.settings import get_settings
from service.users.models import Role, User
from workflows import post_lifecycle as lifecycle
from workflows.approval_routing import approval_expires_at
from workflows.post_lifecycle import Actor, PostFacts, PostStatus

ACTOR = "system:approvals"


def start_clock(session: Session, post: Post) -> None:
    """The post was just approved: from now its approval lasts only so long."""
    settings = get_settings()
    post.approval_expires_at = approval_expires_at(
        clock.now(),
        post.publish_at,
        days_after_schedule=settings.approval_valid_days_after_schedule,
        days_unscheduled=settings.approval_valid_days_unscheduled,
    )
    session.add(post)
    session.flush()


def _emails(session: Session, user_ids: list[int]) -> list[str]:
    query = select(User.email).where(col(User.id).in_(user_ids), col(User.active).is_(True))
    return list(session.exec(query))


def _escalation_recipients(session: Session) -> list[str]:
    query = select(User.email).where(
        col(User.role).in_([Role.superintendent, Role.designee]), col(User.active).is_(True)
    )
    return list(session.exec(query))


def escalate_waiting(session: Session, now: datetime) -> list[Post]:
    """Submitted posts waiting longer than allowed since submission: escalated once each, and
    one digest to the superintendent and the designees."""
    cutoff = now - timedelta(hours=get_settings().escalate_after_hours)
    candidates = session.exec(
        select(Post)
        .where(Post.status == PostStatus.submitted, col(Post.escalated_at).is_(None))
        .order_by(col(Post.id))
    ).all()
    escalated: list[tuple[Post, PostRevision]] = []
    for post in candidates:
        revision = current_revision(session, post)
        if revision.submitted_at is None or revision.submitted_at > cutoff:
            continue
        post.escalated_at = now
        session.add(post)
        session.flush()
        audit_post(
            session, ACTOR, post, "escalated", waiting_since=revision.submitted_at.isoformat()
        )
        escalated.append((post, revision))
    if escalated:
        lines = [
            f"Post #{p.id} (revision {r.number}), waiting since {r.submitted_at:%Y-%m-%d %H:%M} "
            f"UTC: {notices.post_link(p)}"
            for p, r in escalated
        ]
        queue_mail(
            session,
            _escalation_recipients(session),
            f"{len(escalated)} post(s) waiting too long for review",
            "These posts have waited for review longer than "
            f"{get_settings().escalate_after_hours:g} hours:\n\n" + "\n".join(lines) + "\n",
        )
    return [p for p, _ in escalated]


def _partly_published(session: Session, post: Post) -> bool:
    return any(
        t.status is TargetStatus.published for t in publishing.publications(session, post.id or 0)
    )


def _return_to_review(session: Session, post: Post, now: datetime) -> None:
    decision = lifecycle.expire(
        PostFacts(status=post.status, author_id=post.author_id, publish_at=post.publish_at),
        Actor(None, lifecycle.SYSTEM),
    )
    if isinstance(decision, lifecycle.Refused):
        raise refusal(decision.kind, decision.reason)
    version = post.version
    lapsed = current_revision(session, post)
    approvers = [
        d.reviewer_id
        for d in session.exec(select(PostDecision).where(PostDecision.revision_id == lapsed.id))
        if d.decision == "approve"
    ]
    # A fresh revision: approvals are of a revision, so the lapsed ones no longer count.
    revision = revision_for_edit(session, post)
    revision.submitted_at = now
    author = session.get(User, post.author_id)
    assert author is not None
    results = checks.run_checks(session, revision, author, now)
    session.flush()
    expired_at = post.approval_expires_at
    assert expired_at is not None
    new_status = lifecycle.status_after_edit(
        decision.new_status, blocked=any(r.blocks for r in results)
    )
    move(session, post, new_status, expected_version=version)
    post.approval_expires_at = None
    post.escalated_at = None  # a new wait for review, which may escalate again
    session.add(post)
    session.flush()
    audit_post(
        session,
        ACTOR,
        post,
        "approval_expired",
        revision=revision.number,
        lapsed_revision=lapsed.number,
        expired_at=expired_at.isoformat(),
    )
    queue_mail(
        session,
        _emails(session, [post.author_id, *approvers]),
        f"Post #{post.id}: approval expired, back in review",
        f"Post #{post.id} was approved but not published by {expired_at:%Y-%m-%d %H:%M} UTC, "
        f"so its approval lapsed. It is {post.status} again as revision {revision.number} "
        f"and needs its approvals again.\n\n{notices.post_link(post)}\n",
    )


def expire_lapsed(session: Session, now: datetime) -> list[Post]:
    """Approved or scheduled posts not published by their approval's end go back to review."""
    lapsed = session.exec(
        select(Post)
        .where(
            col(Post.status).in_(list(lifecycle.PUBLISHABLE)),
            col(Post.approval_expires_at).is_not(None),
            col(Post.approval_expires_at) <= now,
        )
        .order_by(col(Post.id))
    ).all()
    expired = [post for post in lapsed if not _partly_published(session, post)]
    for post in expired:
        _return_to_review(session, post, now)
    return expired


@job("imprimatur.check_approvals")
def check_approvals() -> int:
    """Run every few minutes (it is idempotent). Returns how many posts it escalated or expired."""
    now = clock.now()
    with session_scope() as session:
        return len(escalate_waiting(session, now)) + len(expire_lapsed(session, now))
