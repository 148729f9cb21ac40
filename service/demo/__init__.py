"""Seed data for `imprimatur serve --demo`: a fictional institution anyone can click through.

Idempotent: a second start adds nothing but fresh one-day tokens for the demo users.
"""

from functools import cache
from pathlib import Path

import yaml
from rich.console import Console
from sqlmodel import Session

from service.accounts import service as accounts
from service.accounts.models import AccountRequest, AccountSteward
from service.auth import service as auth
from service.db import session_scope
from service.demo.roster import seed_roster
from service.demo.stewardship import seed_stewardship
from service.institution import service as institution
from service.settings import get_settings
from service.users import service as users
from service.users.models import Role, User
from workflows.account_lifecycle import AccountStatus
from workflows.platforms import Platform

DEMO_DIR = Path(__file__).parent
DEMO_ACTOR = "demo"
# The demo's simulated platform: its official accounts, impostors and bystanders.
SIMULATED_PROFILES = DEMO_DIR / "simulated_profiles.jsonl"
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
    superintendent, staff = people[0], people[3]
    for account in accounts.list_accounts(session, status=AccountStatus.authorized):
        assert account.id is not None and staff.id is not None
        if session.get(AccountSteward, (account.id, staff.id)) is None:
            accounts.add_steward(session, account.id, staff.email, superintendent)
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
    seed_roster(session, superintendent)
    seed_stewardship(session, superintendent, people[1])
    return [
        (user, auth.issue_token(session, user, actor=DEMO_ACTOR, expires_days=1).token)
        for user in people
    ]


@cache
def demo_institution_name() -> str:
    data = yaml.safe_load((DEMO_DIR / "institution.yaml").read_text(encoding="utf-8"))
    return str(data["name"])


def is_demo_database(session: Session) -> bool:
    """Whether the database holds the demo institution (seeded by `serve --demo`)."""
    return institution.institution_name(session) == demo_institution_name()


def seed_demo(console: Console) -> None:
    settings = get_settings()
    if settings.simulated_profiles_path is None:
        settings.simulated_profiles_path = SIMULATED_PROFILES
    with session_scope() as session:
        tokens = _seed(session)
    console.print("[bold]Demo users[/bold] and API tokens (valid one day):")
    for user, token in tokens:
        console.print(f"  {user.role:<15} {user.email:<40} {token}", soft_wrap=True)
    console.print(
        f"Try: curl '{settings.base_url}/api/v1/public/verify?url=https://x.com/RiverbendTech'"
    )
