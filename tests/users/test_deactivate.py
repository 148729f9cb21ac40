"""Deactivating a person: access ends at once, the accounts they stewarded are listed and
flagged, the superintendent is told — through the API, the web page and the command line."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from service.accounts import service as accounts
from service.accounts.models import AccountRequest
from service.audit.models import AuditEntry
from service.auth import service as auth
from service.auth.models import ApiToken, WebSession
from service.cli import app as cli
from service.db import session_scope
from service.notifications.models import OutgoingMail
from service.users import service as users
from service.users.models import Role
from tests.conftest import Browser, Person
from workflows.platforms import Platform


def official(app: TestClient, boss: Person, handle: str, *stewards: Person) -> int:
    """An authorized account whose stewards are exactly `stewards` (the first requests it)."""
    made = app.post(
        "/api/v1/accounts", json={"platform": "x", "handle": handle}, headers=stewards[0].headers
    )
    assert made.status_code == 201, made.text
    account_id: int = made.json()["id"]
    assert app.post(f"/api/v1/accounts/{account_id}/authorize", headers=boss.headers).is_success
    for steward in stewards[1:]:
        added = app.post(
            f"/api/v1/accounts/{account_id}/stewards",
            json={"email": steward.email},
            headers=boss.headers,
        )
        assert added.status_code == 200, added.text
    return account_id


@pytest.fixture
def leaver(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.staff, "leaver@school.example")


def mails_to(session: Session, address: str) -> list[OutgoingMail]:
    return list(session.exec(select(OutgoingMail).where(OutgoingMail.to_address == address)))


def test_deactivation_revokes_access_and_reports_the_accounts_left(
    app: TestClient,
    session: Session,
    superintendent: Person,
    make_person: Callable[..., Person],
    leaver: Person,
    browser_as: Callable[[Person], Browser],
) -> None:
    one, two = make_person(Role.staff), make_person(Role.staff)
    orphaned = official(app, superintendent, "OnlyLeaver", leaver)
    short = official(app, superintendent, "LeaverAndOne", leaver, one)
    fine = official(app, superintendent, "LeaverAndTwo", leaver, one, two)
    official(app, superintendent, "NotTheirs", one, two)
    browser = browser_as(leaver)
    assert browser.get("/accounts").status_code == 200
    assert app.get("/api/v1/me", headers=leaver.headers).status_code == 200
    app.cookies.clear()

    response = app.post(f"/api/v1/users/{leaver.email}/deactivate", headers=superintendent.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["active"] is False
    assert (body["tokens_revoked"], body["sessions_revoked"]) == (1, 1)
    left = {a["account_id"]: (a["handle"], a["stewards"], a["flags"]) for a in body["accounts"]}
    assert left == {
        orphaned: ("OnlyLeaver", [], ["orphaned", "few_stewards"]),
        short: ("LeaverAndOne", [one.email], ["few_stewards"]),
        fine: ("LeaverAndTwo", sorted([one.email, two.email]), []),
    }
    # their bearer token and their web session stop working at once
    assert app.get("/api/v1/me", headers=leaver.headers).status_code == 401
    for model in (ApiToken, WebSession):
        rows = session.exec(select(model).where(model.user_id == leaver.user.id)).all()
        assert rows and all(row.revoked_at is not None for row in rows)
    # the register no longer lists them; the superintendent sees the flags
    flagged = app.get(
        "/api/v1/accounts", params={"flag": "few_stewards"}, headers=superintendent.headers
    ).json()
    assert sorted(a["handle"] for a in flagged) == ["LeaverAndOne", "OnlyLeaver"]
    # one summary mail to the superintendent, naming the accounts left short
    (mail,) = mails_to(session, superintendent.email)
    assert leaver.email in mail.subject
    assert "@OnlyLeaver" in mail.body and "ORPHANED" in mail.body
    assert "@LeaverAndOne" in mail.body and "@NotTheirs" not in mail.body
    assert mails_to(session, leaver.email) == []
    actions = [
        e.action
        for e in session.exec(select(AuditEntry).where(AuditEntry.actor == superintendent.email))
    ]
    assert "user.deactivated" in actions and "user.credentials_revoked" in actions
    assert actions.count("account.steward_removed") == 3


def test_a_deactivated_web_session_is_signed_out(
    app: TestClient,
    superintendent: Person,
    leaver: Person,
    browser_as: Callable[[Person], Browser],
) -> None:
    browser = browser_as(leaver)
    assert browser.get("/accounts").status_code == 200
    cookie = dict(app.cookies)
    app.cookies.clear()
    deactivated = app.post(
        f"/api/v1/users/{leaver.email}/deactivate", headers=superintendent.headers
    )
    assert deactivated.status_code == 200
    app.cookies.update(cookie)  # the leaver's browser comes back with its old cookie

    page = browser.get("/accounts")
    assert page.status_code in {302, 303, 307}
    assert page.headers["location"].startswith("/login")
    assert browser.client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("role", [Role.staff, Role.designee, Role.site_admin, Role.auditor])
def test_only_the_superintendent_deactivates(
    app: TestClient, make_person: Callable[..., Person], leaver: Person, role: Role
) -> None:
    path = f"/api/v1/users/{leaver.email}/deactivate"
    assert app.post(path).status_code == 401
    assert app.post(path, headers=make_person(role).headers).status_code == 403
    assert app.get("/api/v1/me", headers=leaver.headers).status_code == 200


def test_refusals_change_nothing(
    app: TestClient, session: Session, superintendent: Person, leaver: Person
) -> None:
    missing = app.post(
        "/api/v1/users/nobody@school.example/deactivate", headers=superintendent.headers
    )
    assert missing.status_code == 404
    only_boss = app.post(
        f"/api/v1/users/{superintendent.email}/deactivate", headers=superintendent.headers
    )
    assert only_boss.status_code == 409
    assert "only active superintendent" in only_boss.json()["error"]["message"]
    assert app.get("/api/v1/me", headers=superintendent.headers).status_code == 200

    path = f"/api/v1/users/{leaver.email}/deactivate"
    assert app.post(path, headers=superintendent.headers).status_code == 200
    mails = len(mails_to(session, superintendent.email))
    again = app.post(path, headers=superintendent.headers)
    assert again.status_code == 409
    assert "already deactivated" in again.json()["error"]["message"]
    assert len(mails_to(session, superintendent.email)) == mails


def test_the_people_page_deactivates(
    app: TestClient,
    superintendent: Person,
    staff: Person,
    leaver: Person,
    browser_as: Callable[[Person], Browser],
) -> None:
    official(app, superintendent, "OnlyLeaver", leaver)
    assert browser_as(staff).get("/users").status_code == 403
    browser = browser_as(superintendent)
    page = browser.get("/users")
    assert page.status_code == 200
    assert f'action="/users/{leaver.email.replace("@", "%40")}/deactivate"' in page.text
    assert f'action="/users/{superintendent.email.replace("@", "%40")}/deactivate"' not in page.text

    no_csrf = app.post(
        f"/users/{leaver.email}/deactivate", headers={"accept": "text/html"}, follow_redirects=False
    )
    assert no_csrf.status_code == 400
    assert app.get("/api/v1/me", headers=leaver.headers).status_code == 200

    done = browser.post(f"/users/{leaver.email}/deactivate")
    assert done.status_code == 303 and done.headers["location"] == "/users"
    after = browser.get("/users")
    assert "Deactivated leaver@school.example" in after.text
    assert "@OnlyLeaver (orphaned, few stewards)" in after.text
    assert app.get("/api/v1/me", headers=leaver.headers).status_code == 401
    assert browser.post(f"/users/{leaver.email}/deactivate").status_code == 409


def test_the_command_line_deactivates(committed_database: str) -> None:
    runner = CliRunner()
    for email, role in (
        ("boss@school.example", "superintendent"),
        ("leaver@school.example", "staff"),
    ):
        assert runner.invoke(cli, ["users", "add", email, "--role", role]).exit_code == 0
    token = runner.invoke(cli, ["tokens", "issue", "leaver@school.example"]).output.strip()
    with session_scope() as session:
        requester = users.get_by_email(session, "leaver@school.example")
        accounts.request_account(
            session, requester, AccountRequest(platform=Platform.x, handle="SchoolNews")
        )

    result = runner.invoke(cli, ["users", "deactivate", "leaver@school.example"])

    assert result.exit_code == 0, result.output
    assert "Deactivated leaver@school.example" in result.output
    assert "@SchoolNews" in result.output
    with session_scope() as session:
        assert auth.user_for_token(session, token) is None
    again = runner.invoke(cli, ["users", "deactivate", "leaver@school.example"])
    assert again.exit_code == 1
    assert "already deactivated" in again.output
