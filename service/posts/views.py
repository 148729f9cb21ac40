"""The post as its author and reviewers see it: current revision, rule results, who decided."""

import difflib

from sqlmodel import Session, col, select

from service.errors import NotFound
from service.posts import checks, routing
from service.posts.models import (
    CheckPublic,
    DecisionPublic,
    MediaPublic,
    Post,
    PostDecision,
    PostMedia,
    PostPublic,
    PostRevision,
    RevisionPublic,
    ThirdPartyDeclaration,
)
from service.posts.service import current_revision
from service.publishing import service as publishing
from service.publishing.models import PublicationPublic
from service.users.models import User


def _emails(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.exec(select(User.id, User.email).where(col(User.id).in_(ids))).all()
    return {user_id: email for user_id, email in rows if user_id is not None}


def to_public(session: Session, post: Post) -> PostPublic:
    revision = current_revision(session, post)
    decisions = list(
        session.exec(
            select(PostDecision, PostRevision.number)
            .join(PostRevision, col(PostRevision.id) == PostDecision.revision_id)
            .where(PostDecision.post_id == post.id)
            .order_by(col(PostDecision.id))
        ).all()
    )
    emails = _emails(session, {post.author_id} | {d.reviewer_id for d, _ in decisions})
    media = session.exec(select(PostMedia).where(col(PostMedia.id).in_(revision.media_ids))).all()
    results = checks.stored_results(revision)
    return PostPublic(
        id=post.id or 0,
        author=emails.get(post.author_id, ""),
        status=post.status,
        version=post.version,
        publish_at=post.publish_at,
        removal_required=post.removal_required,
        account_ids=revision.account_ids,
        text=revision.text,
        revision=revision.number,
        revision_id=revision.id or 0,
        checks=[CheckPublic.model_validate(r, from_attributes=True) for r in results],
        needs=routing.needs(session, post.author_id, revision),
        media=[MediaPublic.model_validate(m, from_attributes=True) for m in media],
        third_party=[ThirdPartyDeclaration.model_validate(d) for d in revision.third_party],
        visibility=revision.visibility,
        decisions=[
            DecisionPublic(
                revision=number,
                reviewer=emails.get(d.reviewer_id, ""),
                reviewer_role=d.reviewer_role,
                decision=d.decision,
                comment=d.comment,
                decided_at=d.decided_at,
            )
            for d, number in decisions
        ],
        publications=[
            PublicationPublic.model_validate(t, from_attributes=True)
            for t in publishing.publications(session, post.id or 0)
        ],
        created_at=post.created_at,
        updated_at=post.updated_at,
    )


def revisions(session: Session, post: Post) -> list[RevisionPublic]:
    rows = session.exec(
        select(PostRevision)
        .where(PostRevision.post_id == post.id)
        .order_by(col(PostRevision.number))
    ).all()
    return [RevisionPublic.model_validate(r, from_attributes=True) for r in rows]


def text_diff(session: Session, post: Post, old: int, new: int) -> str:
    """A unified diff of two revisions' text, for the reviewer."""
    by_number = {r.number: r for r in revisions(session, post)}
    for number in (old, new):
        if number not in by_number:
            raise NotFound(f"Post {post.id} has no revision {number}.")
    texts = [by_number[n].text.splitlines() for n in (old, new)]
    return "\n".join(
        difflib.unified_diff(texts[0], texts[1], f"revision {old}", f"revision {new}", lineterm="")
    )
