"""Stewardship over time through the API: annual re-authorization, review and flag filters,
and the public directory that a timer never changes."""

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from typer.testing import CliRunner

from service import clock, demo
from service.accounts import service, stewardship
from service.accounts.models import Account, AccountRequest, ReviewFilter
from service.cli import app as cli
from service.db import session_scope
from service.users import service as users
from service.users.models import Role
from tests.conftest import Browser, Person
from workflows.account_lifecycle import AccountAction
from workflows.platforms import Platform
from workflows.stewardship import Flag

T0 = datetime(2024, 1, 10, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    clock.freeze(T0)
    yield
    clock.freeze(None)


def at(days: float) -> datetime:
    moment = T0 + timedelta(days=days)
    clock.freeze(moment)
    return moment


def official(app: TestClient, staff: Person, boss: Person, handle: str, *stewards: Person) -> int:
    """An authorized x account requested by `staff` (its first steward), plus `stewards`."""
    made = app.post(
        "/api/v1/accounts", json={"platform": "x", "handle": handle}, headers=staff.headers
    )
    assert made.status_code == 201, made.text
    account_id: int = made.json()["id"]
    done = app.post(
        f"/api/v1/accounts/{account_id}/authorize",
        json={"reason": "district page"},
        headers=boss.headers,
    )
    assert done.status_code == 200, done.text
    for steward in stewards:
        added = app.post(
            f"/api/v1/accounts/{account_id}/stewards",
            json={"email": steward.email},
            headers=boss.headers,
        )
        assert added.status_code == 200, added.text
    return account_id


def get(app: TestClient, person: Person, account_id: int) -> dict[str, object]:
    response = app.get(f"/api/v1/accounts/{account_id}", headers=person.headers)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def handles(app: TestClient, person: Person, **params: str) -> list[str]:
    response = app.get("/api/v1/accounts", params=params, headers=person.headers)
    assert response.status_code == 200, response.text
    return sorted(a["handle"] for a in response.json())


def test_authorizing_records_the_authorization_and_its_review_date(
    app: TestClient, staff: Person, superintendent: Person
) -> None:
    account_id = official(app, staff, superintendent, "SchoolNews")
    history = app.get(f"/api/v1/accounts/{account_id}/authorizations", headers=staff.headers).json()
    assert [(h["kind"], h["actor"], h["reason"]) for h in history] == [
        ("authorized", superintendent.email, "district page")
    ]
    assert datetime.fromisoformat(history[0]["review_due"]) == T0 + timedelta(days=365)
    body = get(app, staff, account_id)
    assert (body["review_state"], body["flags"]) == ("current", ["few_stewards"])


def test_the_superintendent_reauthorizes_an_overdue_account(
    app: TestClient,
    staff: Person,
    superintendent: Person,
    make_person: Callable[..., Person],
) -> None:
    auditor = make_person(Role.auditor)
    account_id = official(app, staff, superintendent, "SchoolNews", make_person(Role.staff))
    now = at(400)  # due at day 365, more than the 30 days of grace later
    assert get(app, staff, account_id)["review_state"] == "overdue"

    response = app.post(
        f"/api/v1/accounts/{account_id}/reauthorize",
        json={"reason": "still run by the comms office"},
        headers=superintendent.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "authorized"
    assert datetime.fromisoformat(body["review_due"]) == now + timedelta(days=365)
    assert body["review_state"] == "current"
    assert datetime.fromisoformat(body["authorized_at"]) == T0  # official since, unchanged
    history = app.get(f"/api/v1/accounts/{account_id}/authorizations", headers=staff.headers).json()
    assert [h["kind"] for h in history] == ["reauthorized", "authorized"]
    assert history[0]["reason"] == "still run by the comms office"
    entries = app.get(
        "/api/v1/audit",
        params={"subject_type": "account", "subject_id": account_id},
        headers=auditor.headers,
    ).json()
    assert entries[0]["action"] == "account.reauthorize"
    assert entries[0]["actor"] == superintendent.email
    assert entries[0]["after"]["reason"] == "still run by the comms office"
    assert entries[0]["before"]["review_due"] != entries[0]["after"]["review_due"]


@pytest.mark.parametrize("role", [Role.staff, Role.designee, Role.site_admin, Role.auditor])
def test_only_the_superintendent_reauthorizes(
    app: TestClient,
    staff: Person,
    superintendent: Person,
    make_person: Callable[..., Person],
    role: Role,
) -> None:
    account_id = official(app, staff, superintendent, "SchoolNews")
    at(400)
    before = get(app, staff, account_id)
    path = f"/api/v1/accounts/{account_id}/reauthorize"
    assert app.post(path, json={"reason": "x"}).status_code == 401
    assert (
        app.post(path, json={"reason": "x"}, headers=make_person(role).headers).status_code == 403
    )
    assert get(app, staff, account_id) == before


@pytest.mark.parametrize("steps", [[], ["suspend"], ["revoke"]])
def test_reauthorizing_an_account_that_is_not_authorized_is_409(
    app: TestClient, staff: Person, superintendent: Person, steps: list[str]
) -> None:
    made = app.post(
        "/api/v1/accounts", json={"platform": "x", "handle": "SchoolNews"}, headers=staff.headers
    ).json()
    if steps:
        app.post(f"/api/v1/accounts/{made['id']}/authorize", headers=superintendent.headers)
    for step in steps:
        app.post(f"/api/v1/accounts/{made['id']}/{step}", headers=superintendent.headers)
    before = get(app, staff, made["id"])
    history = app.get(f"/api/v1/accounts/{made['id']}/authorizations", headers=staff.headers)

    refused = app.post(f"/api/v1/accounts/{made['id']}/reauthorize", headers=superintendent.headers)

    assert refused.status_code == 409
    assert "Cannot re-authorize" in refused.json()["error"]["message"]
    assert get(app, staff, made["id"]) == before
    again = app.get(f"/api/v1/accounts/{made['id']}/authorizations", headers=staff.headers)
    assert again.json() == history.json()


def test_reauthorize_unknown_account_and_bad_reason(
    app: TestClient, staff: Person, superintendent: Person
) -> None:
    missing = app.post(f"/api/v1/accounts/{2**70}/reauthorize", headers=superintendent.headers)
    assert missing.status_code in {404, 422}
    assert (
        app.post("/api/v1/accounts/999999/reauthorize", headers=superintendent.headers).status_code
        == 404
    )
    account_id = official(app, staff, superintendent, "SchoolNews")
    too_long = app.post(
        f"/api/v1/accounts/{account_id}/reauthorize",
        json={"reason": "x" * 2001},
        headers=superintendent.headers,
    )
    assert too_long.status_code == 422


def test_review_filters_due_and_overdue(
    app: TestClient, staff: Person, superintendent: Person
) -> None:
    official(app, staff, superintendent, "Overdue")  # due day 365
    at(20)
    official(app, staff, superintendent, "InGrace")  # due day 385
    at(60)
    official(app, staff, superintendent, "DueSoon")  # due day 425
    at(100)
    official(app, staff, superintendent, "Current")  # due day 465
    at(0)
    suspended = official(app, staff, superintendent, "Suspended")  # due day 365, not official
    app.post(f"/api/v1/accounts/{suspended}/suspend", headers=superintendent.headers)
    at(400)

    assert handles(app, staff, review="due") == ["DueSoon", "InGrace", "Overdue"]
    assert handles(app, staff, review="overdue") == ["Overdue"]
    assert handles(app, staff, review="due", platform="facebook") == []
    assert (
        app.get("/api/v1/accounts", params={"review": "late"}, headers=staff.headers).status_code
        == 422
    )


def test_flag_filters(
    app: TestClient,
    session: Session,
    staff: Person,
    superintendent: Person,
    make_person: Callable[..., Person],
) -> None:
    colleague = make_person(Role.staff)
    official(app, staff, superintendent, "WellKept", colleague)
    official(app, staff, superintendent, "OneSteward")
    orphan = official(app, staff, superintendent, "Orphan")
    app.delete(f"/api/v1/accounts/{orphan}/stewards/{staff.email}", headers=superintendent.headers)
    quiet = official(app, staff, superintendent, "Quiet", colleague)
    app.post(  # a request with one steward is not flagged: it is not official yet
        "/api/v1/accounts", json={"platform": "x", "handle": "Pending"}, headers=staff.headers
    )
    at(300)
    row = session.get(Account, quiet)  # what the dormancy job records
    assert row is not None
    row.last_activity_at = T0 + timedelta(days=100)
    session.add(row)
    session.commit()

    assert handles(app, staff, flag="dormant") == ["Quiet"]
    assert handles(app, staff, flag="orphaned") == ["Orphan"]
    assert handles(app, staff, flag="few_stewards") == ["OneSteward", "Orphan"]
    assert get(app, staff, quiet)["flags"] == ["dormant"]
    assert get(app, staff, orphan)["flags"] == ["orphaned", "few_stewards"]
    assert (
        app.get("/api/v1/accounts", params={"flag": "lonely"}, headers=staff.headers).status_code
        == 422
    )


def test_min_stewards_is_a_setting(
    app: TestClient,
    staff: Person,
    superintendent: Person,
    make_person: Callable[..., Person],
    monkeypatch: pytest.MonkeyPatch,
    settings: object,
) -> None:
    official(app, staff, superintendent, "Pair", make_person(Role.staff))
    assert handles(app, staff, flag="few_stewards") == []
    monkeypatch.setattr(settings, "min_stewards", 3)
    assert handles(app, staff, flag="few_stewards") == ["Pair"]


def test_an_overdue_account_stays_official_in_the_public_directory(
    app: TestClient, staff: Person, superintendent: Person
) -> None:
    official(app, staff, superintendent, "SchoolNews")
    at(365 * 3)
    assert handles(app, staff, review="overdue") == ["SchoolNews"]
    directory = app.get("/api/v1/public/accounts").json()
    assert [a["handle"] for a in directory] == ["SchoolNews"]
    verify = app.get("/api/v1/public/verify", params={"url": "https://x.com/SchoolNews"})
    assert verify.json()["official"] is True


def test_the_account_page_shows_review_flags_history_and_reauthorizes(
    app: TestClient,
    staff: Person,
    superintendent: Person,
    browser_as: Callable[[Person], Browser],
) -> None:
    account_id = official(app, staff, superintendent, "SchoolNews")
    at(400)
    page = browser_as(staff).get(f"/accounts/{account_id}")
    assert page.status_code == 200
    assert "review overdue" in page.text and "Few stewards: 1" in page.text
    assert "Authorizations" in page.text and "district page" in page.text
    assert "/reauthorize" not in page.text

    browser = browser_as(superintendent)
    assert (
        f'action="/accounts/{account_id}/reauthorize"'
        in browser.get(f"/accounts/{account_id}").text
    )
    assert browser.post(f"/accounts/{account_id}/reauthorize", {"reason": ""}).status_code == 422
    done = browser.post(f"/accounts/{account_id}/reauthorize", {"reason": "checked"})
    assert done.status_code == 303 and done.headers["location"] == f"/accounts/{account_id}"
    after = browser.get(f"/accounts/{account_id}").text
    assert "Re-authorized @SchoolNews: next review" in after
    assert "review current" in after and "reauthorized" in after
    app.post(f"/api/v1/accounts/{account_id}/suspend", headers=superintendent.headers)
    refused = browser.post(f"/accounts/{account_id}/reauthorize", {"reason": "checked"})
    assert refused.status_code == 409


def test_the_superintendent_dashboard_lists_accounts_needing_attention(
    app: TestClient,
    session: Session,
    staff: Person,
    superintendent: Person,
    make_person: Callable[..., Person],
    browser_as: Callable[[Person], Browser],
) -> None:
    colleague = make_person(Role.staff)
    official(app, staff, superintendent, "OldOne", colleague)
    at(200)
    official(app, staff, superintendent, "Lonely")
    quiet = official(app, staff, superintendent, "Quiet", colleague)
    official(app, staff, superintendent, "Fine", colleague)
    row = session.get(Account, quiet)
    assert row is not None
    row.last_activity_at = T0 - timedelta(days=10)
    session.add(row)
    session.commit()
    at(400)

    page = browser_as(superintendent).get("/")
    assert "Accounts needing attention" in page.text
    assert "@OldOne on X — review overdue 35 days" in page.text
    assert "@Lonely on X — 1 steward(s) only" in page.text
    assert "@Quiet on X — dormant (last post 2023-12-31)" in page.text
    assert "@Fine on X" not in page.text
    assert "Accounts needing attention" not in browser_as(staff).get("/").text


def test_the_review_command_reports_due_accounts(committed_database: str) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["users", "add", "b@s.example", "--role", "superintendent"]).exit_code
        == 0
    )
    with session_scope() as session:
        boss = users.get_by_email(session, "b@s.example")
        for handle, day in (("Overdue", 0), ("Current", 300)):
            clock.freeze(T0 + timedelta(days=day))
            made = service.request_account(
                session, boss, AccountRequest(platform=Platform.x, handle=handle)
            )
            assert made.id is not None
            service.decide(session, made.id, AccountAction.authorize, boss, "")
    at(400)

    result = runner.invoke(cli, ["accounts", "review", "--due", "--format", "json"])

    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert (row["platform"], row["handle"], row["review_state"]) == ("x", "Overdue", "overdue")
    assert (row["days_overdue"], row["stewards"]) == (35, ["b@s.example"])
    assert row["review_due"].startswith("2025-01-09")
    table = runner.invoke(cli, ["accounts", "review", "--due"])
    assert table.exit_code == 0 and "@Overdue" in table.output and "Current" not in table.output
    everything = runner.invoke(cli, ["accounts", "review", "--format", "json"])
    assert sorted(r["handle"] for r in json.loads(everything.output)) == ["Current", "Overdue"]


@pytest.mark.usefixtures("committed_database")
def test_the_demo_has_one_account_of_each_kind_to_resolve() -> None:
    clock.freeze(None)
    for _ in range(2):  # a second start sets nothing up again
        with session_scope() as session:
            demo._seed(session)
    with session_scope() as session:
        waiting = {
            item.account.handle: (item.standing.needs_review, item.standing.flags)
            for item in stewardship.needing_attention(session)
        }
    assert waiting == {
        "RiverbendTechnologyCenter": (True, ()),
        "riverbendtech": (False, (Flag.dormant,)),
        "rtc_culinary": (False, (Flag.few_stewards,)),
    }
    with session_scope() as session:
        boss = users.get_by_email(session, demo.DEMO_USERS[0][0])
        (overdue,) = service.list_accounts(session, review=ReviewFilter.overdue)
        assert overdue.id is not None
        stewardship.reauthorize(session, overdue.id, boss, "checked with comms")
    with session_scope() as session:
        demo._seed(session)  # resolved stays resolved
        assert service.list_accounts(session, review=ReviewFilter.overdue) == []
