"""Publishing approved posts: at most once per target, however often the job runs.

A worker claims a target in the database (committed) before it calls the platform, and
records the outcome after. A claim whose worker vanished, or an attempt that timed out,
leaves the outcome unknown: the next attempt first asks the platform (`find_published`)
and only posts again if the post is not there.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import structlog
from sqlalchemy import case, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

import connectors
from connectors import Connector, Credentials, MediaFile, Published, PublishRequest
from service import clock, media
from service.accounts import credentials as account_credentials
from service.accounts.models import Account
from service.audit import service as audit
from service.db import session_scope
from service.errors import DomainError
from service.jobs import defer, job
from service.observability import PUBLISH_OUTCOMES
from service.posts.media import public_media_url
from service.posts.models import Post, PostMedia
from service.posts.service import current_revision, move
from service.publishing.models import PublishTarget, TargetStatus
from service.ratelimit import platform_connector
from service.settings import get_settings
from workflows.post_lifecycle import PUBLISHABLE, PostStatus

log = structlog.get_logger()
ACTOR = "system:publisher"
MAX_ATTEMPTS = 8
T = PublishTarget


@dataclass(frozen=True)
class Claim:
    post_id: int
    account_id: int
    uncertain: bool
    first_attempt_at: datetime


def due_post_ids(session: Session, now: datetime) -> list[int]:
    query = select(Post.id).where(
        col(Post.status).in_(list(PUBLISHABLE)),
        or_(col(Post.publish_at).is_(None), col(Post.publish_at) <= now),
    )
    return [post_id for post_id in session.exec(query) if post_id is not None]


@job("imprimatur.publish_due")
def publish_due() -> int:
    """The scheduled job: publish every post whose time has come, retry pending deletions."""
    with session_scope() as session:
        post_ids = due_post_ids(session, clock.now())
        removing = session.exec(
            select(T.post_id).where(T.status == TargetStatus.deleting).distinct()
        ).all()
    for post_id in post_ids:
        publish_post(post_id)
    for post_id in removing:  # deletions that failed before are tried again
        delete_from_platforms(post_id)
    return len(post_ids)


def schedule_publication(session: Session, post: Post) -> None:
    """After the approving transaction commits, publish at once if nothing holds it back."""
    if post.status is PostStatus.approved and post.id is not None:
        defer(session, partial(publish_post, post.id))


def _prepare(post_id: int) -> list[int]:
    with session_scope() as session:
        post = session.get(Post, post_id)
        if post is None or post.status not in PUBLISHABLE:
            return []
        if post.publish_at is not None and post.publish_at > clock.now():
            return []
        account_ids = current_revision(session, post).account_ids
        existing = set(session.exec(select(T.account_id).where(T.post_id == post_id)))
        for account_id in account_ids:
            if account_id not in existing:
                _add_target(session, T(post_id=post_id, account_id=account_id))
        return account_ids


def _add_target(session: Session, target: PublishTarget) -> None:
    """Two workers may prepare the same post at once; the second one's row already exists."""
    try:
        with session.begin_nested():
            session.add(target)
    except IntegrityError:
        pass


def _claim(post_id: int, account_id: int) -> Claim | None:
    """Compare-and-set: of two workers, only one moves a target to `sending`."""
    now = clock.now()
    stale = now - timedelta(seconds=get_settings().publish_lease_seconds)
    with session_scope() as session:
        result = session.execute(
            update(T)
            .where(
                col(T.post_id) == post_id,
                col(T.account_id) == account_id,
                or_(
                    col(T.status) == TargetStatus.pending,
                    (col(T.status) == TargetStatus.retry) & (col(T.next_attempt_at) <= now),
                    (col(T.status) == TargetStatus.sending) & (col(T.claimed_at) < stale),
                ),
            )
            .values(
                uncertain=case(
                    (col(T.status) == TargetStatus.sending, True), else_=col(T.uncertain)
                ),
                status=TargetStatus.sending,
                claimed_at=now,
                attempts=col(T.attempts) + 1,
                first_attempt_at=case(
                    (col(T.first_attempt_at).is_(None), now), else_=col(T.first_attempt_at)
                ),
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        target = session.get(T, (post_id, account_id))
        assert target is not None and target.first_attempt_at is not None
        return Claim(post_id, account_id, target.uncertain, target.first_attempt_at)


def _request(session: Session, post: Post, account: Account, claim: Claim) -> PublishRequest:
    revision = current_revision(session, post)
    items = session.exec(select(PostMedia).where(col(PostMedia.id).in_(revision.media_ids))).all()
    return PublishRequest(
        post_id=claim.post_id,
        target_id=claim.account_id,
        text=revision.text,
        idempotency_key=f"imprimatur-{claim.post_id}-{claim.account_id}",
        media=tuple(
            MediaFile(m.filename, m.content_type, media.read_stored(m.path)) for m in items
        ),
        public_media_urls=tuple(public_media_url(m) for m in items),
        handle=account.handle,
        not_before=claim.first_attempt_at,
    )


def _credentials(session: Session, connector: Connector, account_id: int) -> Credentials:
    stored = account_credentials.credentials_for(session, account_id)
    if stored is not None:
        return stored
    if connector.name == "simulated":
        return Credentials(access_token="simulated")  # noqa: S106 - the simulator checks none  # nosec B106
    raise connectors.AuthError(
        connector.name, "the account is not connected: the superintendent must add its token"
    )


def _send(claim: Claim) -> Published:
    with session_scope() as session:
        post = session.get(Post, claim.post_id)
        account = session.get(Account, claim.account_id)
        assert post is not None and account is not None
        connector = platform_connector(account.platform, credential=f"account:{account.id}")
        request = _request(session, post, account, claim)
        creds = _credentials(session, connector, claim.account_id)
    if claim.uncertain:
        found = connector.find_published(request, creds)
        if found is not None:
            return found
    return connector.publish(request, creds)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _record(claim: Claim, outcome: Published | Exception) -> None:
    now = clock.now()
    with session_scope() as session:
        target = session.get(T, (claim.post_id, claim.account_id))
        assert target is not None
        if isinstance(outcome, Published):
            target.status, target.uncertain = TargetStatus.published, False
            target.platform_post_id, target.url = outcome.platform_post_id, outcome.url
            target.published_at, target.last_error = now, None
        elif isinstance(outcome, connectors.RateLimited) and target.attempts < MAX_ATTEMPTS:
            # Still uncertain if the limit hit while reconciling: the post may be out there.
            target.status, target.uncertain = TargetStatus.retry, claim.uncertain
            target.next_attempt_at, target.last_error = outcome.retry_at, str(outcome)
        elif (
            isinstance(outcome, connectors.PlatformError)
            and outcome.retryable
            and target.attempts < MAX_ATTEMPTS
        ):
            # The request may have reached the platform before the failure: reconcile first.
            target.status, target.uncertain = TargetStatus.retry, True
            target.next_attempt_at = now + _backoff(target.attempts)
            target.last_error = str(outcome)
        else:
            target.status, target.last_error = TargetStatus.failed, str(outcome)[:1000]
        session.add(target)
        PUBLISH_OUTCOMES.labels(str(target.status)).inc()
        audit.record(
            session,
            actor=ACTOR,
            action=f"post.publish_{target.status}",
            subject_type="post",
            subject_id=claim.post_id,
            after={
                "account_id": claim.account_id,
                "attempts": target.attempts,
                "url": target.url,
                "error": target.last_error,
            },
        )


def _attempt(claim: Claim) -> None:
    try:
        outcome: Published | Exception = _send(claim)
    except (connectors.ConnectorError, DomainError) as error:
        outcome = error
    except Exception as error:  # unknown failure after the claim: the outcome is uncertain
        log.exception("publish_failed", post_id=claim.post_id, account_id=claim.account_id)
        outcome = connectors.PlatformError("unknown", str(error), retryable=True)
    _record(claim, outcome)


def _finish(post_id: int) -> None:
    with session_scope() as session:
        # Locked: of two workers finishing together, the second sees the post published.
        post = session.exec(select(Post).where(Post.id == post_id).with_for_update()).first()
        if post is None or post.status not in PUBLISHABLE:
            return
        statuses = session.exec(select(T.status).where(T.post_id == post_id)).all()
        if statuses and all(s is TargetStatus.published for s in statuses):
            move(session, post, PostStatus.published, expected_version=post.version)
            audit.record(
                session,
                actor=ACTOR,
                action="post.published",
                subject_type="post",
                subject_id=post_id,
                after={"status": post.status, "version": post.version},
            )


@job("imprimatur.publish_post")
def publish_post(post_id: int) -> None:
    """Idempotent: publishes each target not yet claimed, then marks the post published."""
    for account_id in _prepare(post_id):
        claim = _claim(post_id, account_id)
        if claim is not None:
            _attempt(claim)
    _finish(post_id)


def mark_for_deletion(session: Session, post: Post) -> None:
    """A removed post comes down from every platform it went to."""
    session.execute(
        update(T)
        .where(col(T.post_id) == post.id, col(T.status) == TargetStatus.published)
        .values(status=TargetStatus.deleting)
    )
    if post.id is not None:
        defer(session, partial(delete_from_platforms, post.id))


@job("imprimatur.delete_from_platforms")
def delete_from_platforms(post_id: int) -> None:
    with session_scope() as session:
        targets = session.exec(
            select(T, Account)
            .join(Account, col(Account.id) == T.account_id)
            .where(T.post_id == post_id, T.status == TargetStatus.deleting)
        ).all()
        work = [(t.account_id, t.platform_post_id or "", a.platform) for t, a in targets]
    for account_id, platform_post_id, platform in work:
        error: str | None = None
        try:
            connector = platform_connector(platform, credential=f"account:{account_id}")
            with session_scope() as session:
                creds = _credentials(session, connector, account_id)
            connector.delete(platform_post_id, creds)
        except connectors.NotFound:
            pass  # already gone
        except (connectors.ConnectorError, DomainError) as failure:
            error = str(failure)
        with session_scope() as session:
            target = session.get(T, (post_id, account_id))
            assert target is not None
            target.status = TargetStatus.deleting if error else TargetStatus.deleted
            target.last_error = error
            session.add(target)
            audit.record(
                session,
                actor=ACTOR,
                action=f"post.delete_{'failed' if error else 'done'}",
                subject_type="post",
                subject_id=post_id,
                after={"account_id": account_id, "error": error},
            )


def publications(session: Session, post_id: int) -> list[PublishTarget]:
    return list(session.exec(select(T).where(T.post_id == post_id).order_by(col(T.account_id))))
