"""Triage through the API: the whole lifecycle, per role, and its unhappy paths."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from service.accounts.models import Account
from service.audit.models import AuditEntry
from service.users.models import Role
from tests.conftest import Person
from tests.findings.conftest import Record, profile
from workflows.account_lifecycle import AccountStatus

BASE = "/api/v1/findings"


@pytest.fixture
def finding_id(record: Record) -> int:
    _, finding = record(profile())
    assert finding is not None and finding.id is not None
    return finding.id


@pytest.fixture
def program_page(record: Record) -> int:
    seen = profile(
        platform_id="3201", handle="rtc_nursing", display_name="RTC Nursing", bio="Nursing news"
    )
    _, finding = record(seen, verdict="unofficial_presence", score=0.7)
    assert finding is not None and finding.id is not None
    return finding.id


def post(app: TestClient, path: str, person: Person, json: object = None) -> dict:
    response = app.post(f"{BASE}/{path}", headers=person.headers, json=json)
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


@pytest.mark.parametrize("role", [Role.superintendent, Role.designee])
def test_confirm_request_takedown_resolve(
    app: TestClient,
    session: Session,
    finding_id: int,
    make_person: Callable[..., Person],
    role: Role,
) -> None:
    triager = make_person(role)
    assert post(app, f"{finding_id}/confirm", triager)["status"] == "confirmed_impersonation"
    assert post(app, f"{finding_id}/request-takedown", triager)["status"] == "takedown_requested"
    done = post(app, f"{finding_id}/resolve", triager, {"note": "X removed it"})
    assert (done["status"], done["resolution"], done["note"]) == (
        "resolved",
        "taken_down",
        "X removed it",
    )
    audited = session.exec(
        select(AuditEntry.action, AuditEntry.actor)
        .where(AuditEntry.subject_type == "finding", AuditEntry.subject_id == str(finding_id))
        .order_by(col(AuditEntry.id))
    ).all()
    assert [a for a, _ in audited] == [
        "finding.opened",
        "finding.confirm",
        "finding.request_takedown",
        "finding.resolve",
    ]
    assert {actor for _, actor in audited[1:]} == {triager.email}


def test_read_list_filter_and_detail(
    app: TestClient, finding_id: int, program_page: int, make_person: Callable[..., Person]
) -> None:
    auditor = make_person(Role.auditor)
    listed = app.get(BASE, headers=auditor.headers).json()
    assert [f["id"] for f in listed] == [finding_id, program_page]  # highest score first
    assert [f["id"] for f in app.get(f"{BASE}?min_score=0.9", headers=auditor.headers).json()] == [
        finding_id
    ]
    status_filter = app.get(f"{BASE}?status=dismissed&platform=x", headers=auditor.headers)
    assert status_filter.json() == []
    assert app.get(f"{BASE}?min_score=2", headers=auditor.headers).status_code == 422
    detail = app.get(f"{BASE}/{finding_id}", headers=auditor.headers).json()
    assert (
        detail["handle"] == "Riverbend_Tech"
        and detail["profile_url"] == "https://x.com/Riverbend_Tech"
    )
    (snapshot,) = detail["snapshots"]
    assert snapshot["profile"]["display_name"] == "Riverbend Technology Center"
    assert len(snapshot["snapshot_sha256"]) == 64


def test_who_may_not(app: TestClient, finding_id: int, make_person: Callable[..., Person]) -> None:
    assert app.get(BASE).status_code == 401
    assert app.post(f"{BASE}/{finding_id}/confirm").status_code == 401
    for role in (Role.staff, Role.site_admin):
        person = make_person(role)
        assert app.get(f"{BASE}/{finding_id}", headers=person.headers).status_code == 403
    auditor = make_person(Role.auditor)
    refused = app.post(f"{BASE}/{finding_id}/confirm", headers=auditor.headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    boss = make_person(Role.superintendent)
    assert app.get(f"{BASE}/999999", headers=boss.headers).status_code == 404
    assert app.post(f"{BASE}/999999/confirm", headers=boss.headers).status_code == 404


def test_illegal_transitions_and_stale_versions_are_conflicts(
    app: TestClient, finding_id: int, superintendent: Person
) -> None:
    early = app.post(f"{BASE}/{finding_id}/request-takedown", headers=superintendent.headers)
    assert early.status_code == 409 and early.json()["error"]["code"] == "conflict"
    stale = app.post(
        f"{BASE}/{finding_id}/confirm", headers=superintendent.headers, json={"version": 0}
    )
    assert stale.status_code == 409
    assert post(app, f"{finding_id}/confirm", superintendent, {"version": 1})["version"] == 2
    again = app.post(f"{BASE}/{finding_id}/confirm", headers=superintendent.headers)
    assert again.status_code == 409


def test_dismiss_needs_a_reason(
    app: TestClient, finding_id: int, make_person: Callable[..., Person]
) -> None:
    designee = make_person(Role.designee)
    path = f"{BASE}/{finding_id}/dismiss"
    assert app.post(path, headers=designee.headers, json={}).status_code == 422
    assert app.post(path, headers=designee.headers, json={"reason": "bored"}).status_code == 422
    other = app.post(path, headers=designee.headers, json={"reason": "other"})
    assert other.status_code == 422 and "note" in other.json()["error"]["message"]
    dismissed = post(app, f"{finding_id}/dismiss", designee, {"reason": "parody", "note": "satire"})
    assert dismissed["status"] == "dismissed" and dismissed["dismissed_reason"] == "parody"
    assert dismissed["dismissed_at"] is not None


def test_bring_into_register_requests_the_account_for_the_superintendent(
    app: TestClient,
    session: Session,
    program_page: int,
    make_person: Callable[..., Person],
) -> None:
    designee, boss = make_person(Role.designee), make_person(Role.superintendent)
    path = f"{BASE}/{program_page}/bring-into-register"
    assert app.post(path, headers=designee.headers).status_code == 409  # still open
    post(app, f"{program_page}/mark-unofficial", designee)
    done = post(app, f"{program_page}/bring-into-register", designee, {"purpose": "Nursing news"})
    assert (done["status"], done["resolution"]) == ("resolved", "brought_into_register")
    account = session.get(Account, done["account_id"])
    assert account is not None and account.status is AccountStatus.requested
    assert (account.platform, account.handle, account.platform_account_id) == (
        "x",
        "rtc_nursing",
        "3201",
    )
    assert account.purpose == "Nursing news" and str(program_page) in account.notes
    # only the superintendent authorizes it, through the register
    decide = f"/api/v1/accounts/{account.id}/authorize"
    assert app.post(decide, headers=designee.headers).status_code == 403
    assert app.post(decide, headers=boss.headers).json()["status"] == "authorized"


def test_bring_into_register_refuses_an_account_already_there(
    app: TestClient, record: Record, superintendent: Person, staff: Person
) -> None:
    requested = app.post(
        "/api/v1/accounts",
        json={"platform": "x", "handle": "rtc_welding"},
        headers=staff.headers,
    )
    assert requested.status_code == 201
    _, finding = record(
        profile(platform_id="8", handle="RTC_Welding"), verdict="unofficial_presence"
    )
    assert finding is not None
    post(app, f"{finding.id}/mark-unofficial", superintendent)
    refused = app.post(f"{BASE}/{finding.id}/bring-into-register", headers=superintendent.headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["account_id"] == requested.json()["id"]


def test_ask_to_close(app: TestClient, program_page: int, superintendent: Person) -> None:
    post(app, f"{program_page}/mark-unofficial", superintendent)
    closed = post(app, f"{program_page}/ask-to-close", superintendent, {"note": "asked HR"})
    assert (closed["status"], closed["resolution"]) == ("resolved", "asked_to_close")
