"""Submission and review: the second person, and the mail that tells each side what happened."""

from dataclasses import asdict

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from service import clock
from service.consent import service as consent
from service.consent import validity as consent_validity
from service.consent.models import Consent
from service.errors import Conflict, Invalid
from service.notifications.service import queue_mail
from service.posts import checks, expiry, notices
from service.posts.models import Post, PostConsentUse, PostDecision, PostMedia, PostRevision
from service.posts.service import audit_post, current_revision, decide_action, get_post, move
from service.publishing import service as publishing
from service.users.models import User
from workflows.content_rules import Depicts
from workflows.post_lifecycle import PostAction, PostStatus
from workflows.text_checks import find_student_references

REVIEW_DECISIONS = {
    PostAction.approve: "approve",
    PostAction.request_changes: "request_changes",
    PostAction.reject: "reject",
}


def submit(session: Session, post_id: int, author: User) -> Post:
    post = get_post(session, author, post_id)
    version = post.version
    revision = current_revision(session, post)
    checks.run_checks(session, revision, author, clock.now())
    session.flush()
    try:
        new_status = decide_action(session, post, PostAction.submit, author)
    except Invalid as refusal:  # only the content rules refuse a submit as invalid
        blocking = [r for r in checks.stored_results(revision) if r.blocks]
        raise Invalid(
            "The policy blocks this post: "
            + " ".join(f"{r.rule} ({r.clause}): {r.message}" for r in blocking),
            checks=[asdict(r) for r in blocking],
        ) from refusal
    revision.submitted_at = clock.now()
    session.add(revision)
    move(session, post, new_status, expected_version=version)
    audit_post(session, author.email, post, "submitted", revision=revision.number)
    notices.tell_reviewers(session, post, revision, author)
    return post


def _record_consents_relied_on(session: Session, post: Post, revision: PostRevision) -> None:
    """Remember which consents an approval relied on, so revoking one flags the post."""
    media = session.exec(select(PostMedia).where(col(PostMedia.id).in_(revision.media_ids))).all()
    photo_students = {s for m in media if m.depicts is Depicts.group for s in m.student_ids}
    now = clock.now()
    roster = checks.roster_for_rules(session, now)
    named = {r.student_id for r in find_student_references(revision.text, roster)}
    consent_ids = set()
    for scope, students in (("photo", photo_students), ("name", named)):
        for ids in consent_validity.valid_consent_ids(session, students, scope, now).values():
            consent_ids.update(ids)
    for consent_id in sorted(consent_ids):
        if session.get(PostConsentUse, (post.id, consent_id)) is None:
            session.add(PostConsentUse(post_id=post.id or 0, consent_id=consent_id))


def review(
    session: Session,
    post_id: int,
    reviewer: User,
    action: PostAction,
    *,
    revision_id: int | None,
    comment: str,
) -> Post:
    if action is not PostAction.approve and not comment.strip():
        raise Invalid("Say what needs to change, or why the post is rejected, in 'comment'.")
    post = get_post(session, reviewer, post_id)
    version = post.version
    revision = current_revision(session, post)
    if revision_id is not None and revision_id != revision.id:
        raise Conflict(
            f"The post changed since you opened it; it is now at revision {revision.number}."
        )
    author = session.get(User, post.author_id)
    assert author is not None
    if action is PostAction.approve:
        checks.run_checks(session, revision, author, clock.now())  # consents may have changed
        session.flush()
    new_status = decide_action(session, post, action, reviewer)
    session.add(
        PostDecision(
            post_id=post.id or 0,
            revision_id=revision.id or 0,
            reviewer_id=reviewer.id or 0,
            reviewer_role=reviewer.role,
            decision=REVIEW_DECISIONS[action],
            comment=comment.strip(),
            decided_at=clock.now(),
        )
    )
    try:
        session.flush()
    except IntegrityError as error:
        raise Conflict("You already reviewed this revision.") from error
    move(session, post, new_status, expected_version=version)
    if post.status in (PostStatus.approved, PostStatus.scheduled):
        expiry.start_clock(session, post)
        _record_consents_relied_on(session, post, revision)
        publishing.schedule_publication(session, post)
    audit_post(
        session,
        reviewer.email,
        post,
        REVIEW_DECISIONS[action],
        revision=revision.number,
        comment=comment.strip(),
    )
    queue_mail(
        session,
        [author.email],
        f"Post #{post.id}: {REVIEW_DECISIONS[action].replace('_', ' ')} by {reviewer.role}",
        f"{reviewer.name or reviewer.email} ({reviewer.role}) decided on revision "
        f"{revision.number} of your post #{post.id}: {REVIEW_DECISIONS[action]}.\n"
        f"The post is now {post.status}.\n\n{comment.strip()}\n\n{notices.post_link(post)}\n",
    )
    return post


def remove(session: Session, post_id: int, actor: User, comment: str) -> Post:
    """Take a published post down: from the register's view now, from the platforms by a job."""
    if not comment.strip():
        raise Invalid("Say why the post is removed, in 'comment'.")
    post = get_post(session, actor, post_id)
    version = post.version
    new_status = decide_action(session, post, PostAction.remove, actor)
    move(session, post, new_status, expected_version=version)
    publishing.mark_for_deletion(session, post)
    audit_post(session, actor.email, post, "removed", comment=comment.strip())
    return post


def withdraw(session: Session, post_id: int, actor: User) -> Post:
    post = get_post(session, actor, post_id)
    version = post.version
    new_status = decide_action(session, post, PostAction.withdraw, actor)
    move(session, post, new_status, expected_version=version)
    audit_post(session, actor.email, post, "withdrawn")
    return post


def revoke_consent(
    session: Session, consent_id: int, actor: User, reason: str
) -> tuple[Consent, list[Post]]:
    """Revoking a consent takes down what relied on it: the policy needs consent *on file*."""
    revoked = consent.revoke_consent(session, consent_id, actor, reason)
    return revoked, flag_posts_relying_on(session, consent_id, actor.email)


def flag_posts_relying_on(session: Session, consent_id: int, actor: str) -> list[Post]:
    """A revoked consent: every published post that relied on it must come down."""
    posts = session.exec(
        select(Post)
        .join(PostConsentUse, col(PostConsentUse.post_id) == Post.id)
        .where(PostConsentUse.consent_id == consent_id, Post.status == PostStatus.published)
    ).all()
    for post in posts:
        post.removal_required = True
        session.add(post)
        session.flush()
        audit_post(session, actor, post, "removal_required", consent_id=consent_id)
        people = [post.author_id] + [
            d.reviewer_id
            for d in session.exec(select(PostDecision).where(PostDecision.post_id == post.id))
            if d.decision == "approve"
        ]
        emails = session.exec(select(User.email).where(col(User.id).in_(people))).all()
        queue_mail(
            session,
            emails,
            f"Post #{post.id} must be removed: a consent was revoked",
            f"A parent/guardian consent that published post #{post.id} relied on was revoked.\n"
            f"Remove the post from every platform: {notices.post_link(post)}\n",
        )
    return list(posts)
