"""Seed data for `imprimatur serve --demo`: a fictional institution anyone can click through.

Idempotent: a second start adds nothing but fresh one-day tokens for the demo users.
"""

from pathlib import Path

from rich.console import Console
from sqlmodel import Session

from service.accounts import service as accounts
from service.accounts.models import AccountRequest
from service.auth import service as auth
from service.db import session_scope
from service.institution import service as institution
from service.users import service as users
from service.users.models import Role, User
from workflows.platforms import Platform

DEMO_DIR = Path(__file__).parent
DEMO_ACTOR = "demo"
DEMO_USERS = [
    ("superintendent@riverbend-tech.example", Role.superintendent, "Dana Whitfield"),
    ("designee@riverbend-tech.example", Role.designee, "Marcus Lee"),
    ("siteadmin@riverbend-tech.example", Role.site_admin, "Priya Raman"),
    ("comms@riverbend-tech.example", Role.staff, "Jordan Alvarez"),
    ("auditor@riverbend-tech.example", Role.auditor, "Sam Okafor"),
]


def _demo_user(session: Session, email: str, role: Role, name: str) -> User:
    existing = users.find_by_email(session, email)
    return existing or users.add_user(session, actor=DEMO_ACTOR, email=email, role=role, name=name)


def _seed(session: Session) -> list[tuple[User, str]]:
    if institution.institution_name(session) is None:
        institution.import_profile(session, actor=DEMO_ACTOR, path=DEMO_DIR / "institution.yaml")
    people = [_demo_user(session, *spec) for spec in DEMO_USERS]
    staff = people[3]
    pending = AccountRequest(
        platform=Platform.tiktok, handle="riverbend_welding", purpose="Welding program news"
    )
    if (
        accounts.find_by_reference(
            session, accounts.resolve_reference(platform=pending.platform, handle=pending.handle)
        )
        is None
    ):
        accounts.request_account(session, staff, pending)
    return [
        (user, auth.issue_token(session, user, actor=DEMO_ACTOR, expires_days=1).token)
        for user in people
    ]


def seed_demo(console: Console) -> None:
    with session_scope() as session:
        tokens = _seed(session)
    console.print("[bold]Demo users[/bold] and API tokens (valid one day):")
    for user, token in tokens:
        console.print(f"  {user.role:<15} {user.email:<40} {token}", soft_wrap=True)
    console.print(
        "Try: curl 'http://127.0.0.1:8000/api/v1/public/verify?url=https://x.com/RiverbendTech'"
    )
