"""Issuing, checking and revoking credentials.

Tokens are random 256-bit secrets, so a plain SHA-256 is enough to store them safely: there
is nothing to brute-force. The clear token is shown once, when it is issued.
"""

import hashlib
import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from service import clock
from service.audit import service as audit
from service.auth.models import ApiToken, WebSession
from service.errors import NotFound
from service.users.models import User

SESSION_KEY = "sid"  # the web session's secret, in the signed session cookie
TOKEN_PREFIX = "imp_"  # noqa: S105 - a marker for secret scanners, not a secret  # nosec B105


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: ApiToken


def issue_token(
    session: Session, user: User, *, actor: str, expires_days: int | None
) -> IssuedToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    assert user.id is not None
    record = ApiToken(
        user_id=user.id,
        token_hash=_hash(secret),
        prefix=secret[:12],
        created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days else None,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="token.issued",
        subject_type="user",
        subject_id=user.id,
        after={"token_id": record.id, "prefix": record.prefix, "expires_at": record.expires_at},
    )
    return IssuedToken(secret, record)


def list_tokens(session: Session, user: User | None = None) -> list[tuple[ApiToken, User]]:
    query = select(ApiToken, User).join(User, col(User.id) == ApiToken.user_id)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return [(t, u) for t, u in session.exec(query.order_by(col(ApiToken.id))).all()]


def revoke_token(session: Session, token_id: int, *, actor: str) -> ApiToken:
    record = session.get(ApiToken, token_id)
    if record is None:
        raise NotFound(f"No token with id {token_id}.")
    if record.revoked_at is None:
        record.revoked_at = clock.now()
        session.add(record)
        audit.record(
            session,
            actor=actor,
            action="token.revoked",
            subject_type="user",
            subject_id=record.user_id,
            after={"token_id": record.id, "prefix": record.prefix},
        )
    return record


def user_for_token(session: Session, secret: str) -> User | None:
    row = session.exec(
        select(ApiToken, User)
        .join(User, col(User.id) == ApiToken.user_id)
        .where(ApiToken.token_hash == _hash(secret))
    ).first()
    if row is None:
        return None
    token, user = row
    now = clock.now()
    if token.revoked_at or (token.expires_at and token.expires_at <= now) or not user.active:
        return None
    return user


def start_web_session(session: Session, user: User, *, days: int) -> str:
    """Record a sign-in server-side, so logout and deactivation end it at once."""
    secret = secrets.token_urlsafe(32)
    now = clock.now()
    assert user.id is not None
    session.add(
        WebSession(
            user_id=user.id,
            token_hash=_hash(secret),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    audit.record(
        session, actor=user.email, action="user.signed_in", subject_type="user", subject_id=user.id
    )
    return secret


def end_web_session(session: Session, secret: str) -> None:
    web_session = session.exec(
        select(WebSession).where(WebSession.token_hash == _hash(secret))
    ).first()
    if web_session is None or web_session.revoked_at is not None:
        return
    web_session.revoked_at = clock.now()
    session.add(web_session)
    audit.record(
        session,
        actor=f"user:{web_session.user_id}",
        action="user.signed_out",
        subject_type="user",
        subject_id=web_session.user_id,
    )


def switch_web_session(
    session: Session, cookie: MutableMapping[str, Any], user: User, *, days: int
) -> None:
    """Sign `user` in on this browser: the earlier session ends, the cookie starts afresh (so
    nothing of the earlier visitor, such as a CSRF token, carries over)."""
    earlier = cookie.get(SESSION_KEY)
    if isinstance(earlier, str):
        end_web_session(session, earlier)
    cookie.clear()
    cookie[SESSION_KEY] = start_web_session(session, user, days=days)


def user_for_web_session(session: Session, secret: str) -> User | None:
    row = session.exec(
        select(WebSession, User)
        .join(User, col(User.id) == WebSession.user_id)
        .where(WebSession.token_hash == _hash(secret))
    ).first()
    if row is None:
        return None
    web_session, user = row
    if web_session.revoked_at or web_session.expires_at <= clock.now() or not user.active:
        return None
    return user


def revoke_everything(session: Session, user: User, *, actor: str) -> tuple[int, int]:
    """End every live API token and web session of `user` at once (deactivation); returns how
    many of each were revoked."""
    now = clock.now()
    revoked = []
    for model in (ApiToken, WebSession):
        rows = session.exec(
            select(model).where(model.user_id == user.id, col(model.revoked_at).is_(None))
        ).all()
        for row in rows:
            row.revoked_at = now
            session.add(row)
        revoked.append(len(rows))
    session.flush()
    tokens, sessions = revoked
    audit.record(
        session,
        actor=actor,
        action="user.credentials_revoked",
        subject_type="user",
        subject_id=user.id,
        after={"tokens": tokens, "web_sessions": sessions},
    )
    return tokens, sessions
