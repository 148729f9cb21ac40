"""Provisioning users: only provisioned people (or a configured staff domain) get in."""

from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session, col, select

from service import clock
from service.accounts import stewardship
from service.audit import service as audit
from service.auth import service as auth
from service.errors import Conflict, Invalid, NotFound
from service.notifications.service import queue_mail
from service.users.models import AccountLeft, DeactivationPublic, Role, User, UserPublic
from workflows.stewardship import Flag


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


def active_emails(session: Session, role: Role) -> list[str]:
    query = select(User.email).where(User.role == role, col(User.active).is_(True))
    return list(session.exec(query.order_by(col(User.email))).all())


def _summary(user: User, left: list[AccountLeft]) -> str:
    lines = [f"{user.email} ({user.role}) was deactivated; their tokens and sessions are revoked."]
    if not left:
        lines.append("They stewarded no account.")
    else:
        lines.append("Accounts they stewarded:")
    for account in left:
        warning = (
            " — ORPHANED: nobody stewards it now"
            if Flag.orphaned in account.flags
            else " — below the minimum of stewards"
            if Flag.few_stewards in account.flags
            else ""
        )
        remaining = ", ".join(account.stewards) or "none"
        lines.append(f"- {account.platform} @{account.handle} (stewards: {remaining}){warning}")
    return "\n".join(lines) + "\n"


def deactivate_user(session: Session, email: str, actor: str) -> DeactivationPublic:
    """Deactivate a person at once: they can no longer sign in or call the API, they leave
    every account they stewarded, and the superintendent is told which accounts that leaves
    short of stewards or with none."""
    user = session.exec(
        select(User).where(User.email == normalize_email(email)).with_for_update()
    ).first()
    if user is None:
        raise NotFound(f"No user with email {normalize_email(email)}.")
    if not user.active:
        raise Conflict(f"{user.email} is already deactivated.")
    if user.role is Role.superintendent and active_emails(session, Role.superintendent) == [
        user.email
    ]:
        raise Conflict(f"{user.email} is the only active superintendent; add another first.")
    before = user_state(user)
    user.active = False
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.deactivated",
        subject_type="user",
        subject_id=user.id,
        before=before,
        after=user_state(user),
    )
    tokens, sessions = auth.revoke_everything(session, user, actor=actor)
    left = [
        AccountLeft(
            account_id=s.account.id or 0,
            platform=s.account.platform,
            handle=s.account.handle,
            stewards=s.stewards,
            flags=list(s.standing.flags),
        )
        for s in stewardship.release_stewardships(session, user, actor=actor)
    ]
    queue_mail(
        session,
        active_emails(session, Role.superintendent),
        f"Deactivated {user.email}: {len(left)} account(s) to look at",
        _summary(user, left),
    )
    return DeactivationPublic(
        user=UserPublic.model_validate(user),
        tokens_revoked=tokens,
        sessions_revoked=sessions,
        accounts=left,
    )
