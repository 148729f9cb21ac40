"""Provisioning users: only provisioned people (or a configured staff domain) get in."""

from sqlmodel import Session, col, select

from service import clock
from service.audit import service as audit
from service.errors import Conflict, NotFound
from service.users.models import Role, User


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalize_email(email))).first()


def get_by_email(session: Session, email: str) -> User:
    user = find_by_email(session, email)
    if user is None:
        raise NotFound(f"No user with email {normalize_email(email)}.")
    return user


def add_user(
    session: Session, *, actor: str, email: str, role: Role, name: str = "", site: str | None = None
) -> User:
    email = normalize_email(email)
    if find_by_email(session, email) is not None:
        raise Conflict(f"A user with email {email} already exists.")
    user = User(email=email, name=name.strip(), role=role, site=site, created_at=clock.now())
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.added",
        subject_type="user",
        subject_id=user.id,
        after=user_state(user),
    )
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.email))).all())


def user_state(user: User) -> dict[str, object]:
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "site": user.site,
        "active": user.active,
    }
