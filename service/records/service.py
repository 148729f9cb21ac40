"""The open-records export: every post published in a period, and the register's history.

A post belongs to the period of its first publication on any platform. Consent records,
student numbers and guardians are never exported; names and numbers that only the consent
records know are masked (redaction.py).
"""

from datetime import datetime
from pathlib import PurePosixPath

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from service import clock, media
from service.accounts.models import Account, AccountAuthorization
from service.accounts.service import AUDIT_SUBJECT, steward_emails
from service.audit import service as audit
from service.posts.models import Post, PostDecision, PostMedia, PostRevision
from service.publishing.models import PublishTarget
from service.records.archive import build_zip
from service.records.models import (
    AccountRecord,
    AuthorizationRecord,
    DecisionRecord,
    ExportPeriod,
    HistoryRecord,
    MediaRecord,
    PostRecord,
    PublicationRecord,
    RevisionRecord,
    RuleResultRecord,
)
from service.records.redaction import Confidential, confidential_terms, mask
from service.users.models import User

Records = dict[str, list[BaseModel]]


def published_posts(session: Session, period: ExportPeriod) -> list[tuple[Post, datetime]]:
    """Posts first published in the period, with that moment, oldest first."""
    first = func.min(PublishTarget.published_at)
    query = (
        select(PublishTarget.post_id, first)
        .where(col(PublishTarget.published_at).is_not(None))
        .group_by(col(PublishTarget.post_id))
        .having(first >= period.since, first < period.until)
    )
    found = {post_id: at for post_id, at in session.exec(query).all() if at is not None}
    posts = session.exec(select(Post).where(col(Post.id).in_(found))).all()
    return sorted(((p, found[p.id or 0]) for p in posts), key=lambda pair: (pair[1], pair[0].id))


def _emails(session: Session, user_ids: set[int]) -> dict[int, str]:
    users = session.exec(select(User).where(col(User.id).in_(user_ids))).all()
    return {user.id or 0: user.email for user in users}


def _post_records(
    session: Session, period: ExportPeriod, secrets: Confidential
) -> tuple[Records, dict[str, bytes]]:
    kinds = ("posts", "revisions", "rule_results", "decisions", "media", "publications")
    records: Records = {kind: [] for kind in kinds}
    files: dict[str, bytes] = {}
    posts = published_posts(session, period)
    post_ids = [post.id for post, _ in posts]
    revisions = session.exec(
        select(PostRevision)
        .where(col(PostRevision.post_id).in_(post_ids))
        .order_by(col(PostRevision.post_id), col(PostRevision.number))
    ).all()
    decisions = session.exec(
        select(PostDecision)
        .where(col(PostDecision.post_id).in_(post_ids))
        .order_by(col(PostDecision.id))
    ).all()
    final = {revision.post_id: revision for revision in revisions}  # the last one of each post
    numbers = {revision.id: revision.number for revision in revisions}
    emails = _emails(session, {p.author_id for p, _ in posts} | {d.reviewer_id for d in decisions})
    accounts = {a.id: a for a in session.exec(select(Account)).all()}
    for post, first_published in posts:
        published = final[post.id or 0]
        records["posts"].append(
            PostRecord(
                id=post.id or 0,
                author=emails.get(post.author_id, ""),
                status=post.status,
                text=published.text,
                account_ids=published.account_ids,
                accounts=[
                    f"{accounts[i].platform} @{accounts[i].handle}"
                    for i in published.account_ids
                    if i in accounts
                ],
                publish_at=post.publish_at,
                first_published_at=first_published,
                removal_required=post.removal_required,
                created_at=post.created_at,
            )
        )
        items = session.exec(
            select(PostMedia)
            .where(col(PostMedia.id).in_(published.media_ids))
            .order_by(col(PostMedia.id))
        ).all()
        for item in items:
            name = f"media/{PurePosixPath(item.path).name}"
            files[name] = media.read_stored(item.path)
            records["media"].append(
                MediaRecord(
                    id=item.id or 0,
                    post_id=post.id or 0,
                    filename=mask(item.filename, published.text, secrets),
                    content_type=item.content_type,
                    sha256=item.sha256,
                    file=name,
                    width=item.width,
                    height=item.height,
                    faces=item.faces,
                    depicts=item.depicts,
                )
            )
        records["publications"].extend(
            PublicationRecord.model_validate(target, from_attributes=True)
            for target in session.exec(
                select(PublishTarget)
                .where(PublishTarget.post_id == post.id)
                .order_by(col(PublishTarget.account_id))
            ).all()
        )
    for revision in revisions:
        public = final[revision.post_id].text
        records["revisions"].append(
            RevisionRecord(
                post_id=revision.post_id,
                number=revision.number,
                text=mask(revision.text, public, secrets),
                account_ids=revision.account_ids,
                media_ids=revision.media_ids,
                third_party=[
                    {key: mask(str(value), public, secrets) for key, value in item.items()}
                    for item in revision.third_party
                ],
                visibility=revision.visibility,
                publish_at=revision.publish_at,
                created_at=revision.created_at,
                submitted_at=revision.submitted_at,
            )
        )
        records["rule_results"].extend(
            RuleResultRecord(
                post_id=revision.post_id,
                revision=revision.number,
                rule=check["rule"],
                clause=check["clause"],
                outcome=check["outcome"],
                message=mask(check["message"], public, secrets),
            )
            for check in revision.checks
        )
    records["decisions"] = [
        DecisionRecord(
            post_id=d.post_id,
            revision=numbers.get(d.revision_id, 0),
            reviewer=emails.get(d.reviewer_id, ""),
            reviewer_role=d.reviewer_role,
            decision=d.decision,
            comment=mask(d.comment, final[d.post_id].text, secrets),
            decided_at=d.decided_at,
        )
        for d in decisions
    ]
    return records, files


def _register_records(session: Session, period: ExportPeriod) -> Records:
    """Every entry of the register now; its authorizations and audit history in the period."""
    accounts = session.exec(select(Account).order_by(col(Account.id))).all()
    stewards = steward_emails(session, [a.id for a in accounts if a.id is not None])
    authorizations = session.exec(
        select(AccountAuthorization)
        .where(
            col(AccountAuthorization.at) >= period.since,
            col(AccountAuthorization.at) < period.until,
        )
        .order_by(col(AccountAuthorization.id))
    ).all()
    actors = _emails(session, {a.actor_id for a in authorizations if a.actor_id is not None})
    where = audit.AuditFilter(subject_type=AUDIT_SUBJECT, since=period.since, until=period.until)
    history = sorted(audit.each_entry(session, where), key=lambda entry: entry.id or 0)
    return {
        "accounts": [
            AccountRecord.model_validate(
                {**account.model_dump(), "stewards": stewards.get(account.id or 0, [])}
            )
            for account in accounts
        ],
        "authorizations": [
            AuthorizationRecord.model_validate(
                {**a.model_dump(), "actor": actors.get(a.actor_id or 0)}
            )
            for a in authorizations
        ],
        "register_history": [
            HistoryRecord.model_validate(entry, from_attributes=True) for entry in history
        ],
    }


def collect(session: Session, period: ExportPeriod) -> tuple[Records, dict[str, bytes]]:
    """The export's rows of every kind, and its media files by their path in the archive."""
    records, files = _post_records(session, period, confidential_terms(session))
    records.update(_register_records(session, period))
    return records, files


def count_published(session: Session, period: ExportPeriod) -> int:
    return len(published_posts(session, period))


def export_records(session: Session, period: ExportPeriod, *, actor: str) -> bytes:
    """The zip of the period's open records; who exported what is audited."""
    records, files = collect(session, period)
    now = clock.now()
    archive = build_zip(
        records, files, parameters=period.parameters(), generated_at=now, generated_by=actor
    )
    audit.record(
        session,
        actor=actor,
        action="records.exported",
        subject_type="records",
        subject_id=f"{period.start}..{period.end}",
        after={**period.parameters(), "posts": len(records["posts"]), "bytes": len(archive)},
    )
    return archive


def filename(period: ExportPeriod) -> str:
    return f"open-records-{period.start}-to-{period.end}.zip"
