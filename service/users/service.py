"""Provisioning users: only provisioned people (or a configured staff domain) get in."""

from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session, col, select

from service import clock
from service.audit import service as audit
from service.errors import Conflict, Invalid, NotFound
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


def _valid_email(email: str) -> str:
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise Invalid(f"{email!r} is not an email address: {error}") from error


def add_user(
    session: Session, *, actor: str, email: str, role: Role, name: str = "", site: str | None = None
) -> User:
    email = _valid_email(normalize_email(email))
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
