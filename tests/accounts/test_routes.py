"""The register through the HTTP API: requests, decisions, stewards, public verification."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from service.users.models import Role
from tests.conftest import Person


def request_account(app: TestClient, person: Person, **body: object) -> dict[str, object]:
    response = app.post("/api/v1/accounts", json=body, headers=person.headers)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def test_staff_requests_by_url_and_becomes_first_steward(app: TestClient, staff: Person) -> None:
    account = request_account(app, staff, url="https://twitter.com/RiverbendTech?s=20")
    assert account["status"] == "requested"
    assert (account["platform"], account["handle"]) == ("x", "RiverbendTech")
    assert account["stewards"] == [staff.email]
    assert account["requested_by"] == staff.email


def test_only_the_superintendent_authorizes(
    app: TestClient, staff: Person, superintendent: Person
) -> None:
    account = request_account(app, staff, platform="instagram", handle="@riverbend.tech")
    path = f"/api/v1/accounts/{account['id']}/authorize"

    refused = app.post(path, headers=staff.headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"

    authorized = app.post(path, json={"reason": "district page"}, headers=superintendent.headers)
    assert authorized.status_code == 200
    body = authorized.json()
    assert body["status"] == "authorized"
    assert body["authorized_by"] == superintendent.email
    authorized_at = datetime.fromisoformat(body["authorized_at"])
    assert datetime.fromisoformat(body["review_due"]) == authorized_at + timedelta(days=365)


@pytest.mark.parametrize(
    ("steps", "illegal"),
    [
        ([], "reinstate"),
        ([], "suspend"),
        (["authorize"], "authorize"),
        (["reject"], "authorize"),
        (["authorize", "revoke"], "reinstate"),
        (["authorize", "suspend"], "suspend"),
    ],
)
def test_illegal_transitions_are_409_and_change_nothing(
    app: TestClient, staff: Person, superintendent: Person, steps: list[str], illegal: str
) -> None:
    account = request_account(app, staff, platform="x", handle="RiverbendTech")
    for step in steps:
        ok = app.post(f"/api/v1/accounts/{account['id']}/{step}", headers=superintendent.headers)
        assert ok.status_code == 200, ok.text
    before = app.get(f"/api/v1/accounts/{account['id']}", headers=staff.headers).json()

    response = app.post(
        f"/api/v1/accounts/{account['id']}/{illegal}", headers=superintendent.headers
    )

    assert response.status_code == 409
    assert f"Cannot {illegal}" in response.json()["error"]["message"]
    after = app.get(f"/api/v1/accounts/{account['id']}", headers=staff.headers).json()
    assert after == before


def test_full_lifecycle_is_audited_in_order(
    app: TestClient, staff: Person, superintendent: Person, make_person: Callable[..., Person]
) -> None:
    auditor = make_person(Role.auditor)
    account = request_account(app, staff, url="https://www.facebook.com/RiverbendTech/")
    for step in ("authorize", "suspend", "reinstate", "revoke"):
        assert (
            app.post(
                f"/api/v1/accounts/{account['id']}/{step}", headers=superintendent.headers
            ).status_code
            == 200
        )

    entries = app.get(
        "/api/v1/audit",
        params={"subject_type": "account", "subject_id": account["id"]},
        headers=auditor.headers,
    ).json()

    actions = [e["action"] for e in reversed(entries)]
    assert actions == [
        "account.requested",
        "account.authorize",
        "account.suspend",
        "account.reinstate",
        "account.revoke",
    ]
    assert entries[0]["before"]["status"] == "authorized"
    assert entries[0]["after"]["status"] == "revoked"
    assert {e["actor"] for e in entries[:4]} == {superintendent.email}


def test_handles_are_unique_per_platform_ignoring_case(app: TestClient, staff: Person) -> None:
    request_account(app, staff, platform="x", handle="RiverbendTech")
    clash = app.post(
        "/api/v1/accounts", json={"url": "https://x.com/riverbendtech"}, headers=staff.headers
    )
    assert clash.status_code == 409
    assert "already in the register" in clash.json()["error"]["message"]
    # the same handle on another platform is another account
    request_account(app, staff, platform="tiktok", handle="riverbendtech")


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://example.com/RiverbendTech"},
        {"url": "javascript:alert(1)"},
        {"url": "https://x.com/home"},
        {"platform": "x", "handle": "has space"},
        {"platform": "myspace", "handle": "riverbend"},
        {"display_name": "no url or handle"},
        {"url": 42},
    ],
)
def test_bad_requests_are_422_and_save_nothing(
    app: TestClient, staff: Person, body: dict[str, object]
) -> None:
    response = app.post("/api/v1/accounts", json=body, headers=staff.headers)
    assert response.status_code == 422
    assert response.json()["error"]["message"]
    assert app.get("/api/v1/accounts", headers=staff.headers).json() == []


def test_auditor_reads_but_cannot_request(
    app: TestClient, make_person: Callable[..., Person]
) -> None:
    auditor = make_person(Role.auditor)
    assert app.get("/api/v1/accounts", headers=auditor.headers).status_code == 200
    response = app.post(
        "/api/v1/accounts", json={"platform": "x", "handle": "abc"}, headers=auditor.headers
    )
    assert response.status_code == 403


def test_anonymous_and_bad_tokens_are_401(app: TestClient) -> None:
    assert app.get("/api/v1/accounts").status_code == 401
    bad = app.get("/api/v1/accounts", headers={"Authorization": "Bearer imp_nope"})
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "unauthenticated"
    basic = app.get("/api/v1/accounts", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert basic.status_code == 401


def test_unknown_account_is_404(app: TestClient, superintendent: Person) -> None:
    assert app.get("/api/v1/accounts/999999", headers=superintendent.headers).status_code == 404
    response = app.post("/api/v1/accounts/999999/authorize", headers=superintendent.headers)
    assert response.status_code == 404


def test_superintendent_manages_stewards(
    app: TestClient, staff: Person, superintendent: Person, make_person: Callable[..., Person]
) -> None:
    colleague = make_person(Role.staff)
    account = request_account(app, staff, platform="x", handle="RiverbendTech")
    path = f"/api/v1/accounts/{account['id']}/stewards"

    assert app.post(path, json={"email": colleague.email}, headers=staff.headers).status_code == 403
    added = app.post(path, json={"email": colleague.email.upper()}, headers=superintendent.headers)
    assert added.status_code == 200
    assert added.json()["stewards"] == sorted([staff.email, colleague.email])
    again = app.post(path, json={"email": colleague.email}, headers=superintendent.headers)
    assert again.status_code == 409

    removed = app.delete(f"{path}/{staff.email}", headers=superintendent.headers)
    assert removed.status_code == 200
    assert removed.json()["stewards"] == [colleague.email]
    assert app.delete(f"{path}/{staff.email}", headers=superintendent.headers).status_code == 404
    unknown = app.post(
        path, json={"email": "nobody@school.example"}, headers=superintendent.headers
    )
    assert unknown.status_code == 404


def test_the_superintendent_corrects_an_entry_and_it_is_audited(
    app: TestClient, staff: Person, superintendent: Person, make_person: Callable[..., Person]
) -> None:
    colleague = make_person(Role.staff)
    account = request_account(app, staff, platform="x", handle="RiverbendTech")
    path = f"/api/v1/accounts/{account['id']}"
    change = {"purpose": "District news", "notes": "Runs the alerts.", "owner": colleague.email}
    assert app.patch(path, json=change, headers=staff.headers).status_code == 403
    updated = app.patch(path, json=change, headers=superintendent.headers)
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["purpose"], body["notes"], body["owner"]) == (
        "District news",
        "Runs the alerts.",
        colleague.email,
    )
    assert body["status"] == "requested"
    unknown = app.patch(
        path, json={"owner": "ghost@school.example"}, headers=superintendent.headers
    )
    assert unknown.status_code == 404
    entries = app.get(
        "/api/v1/audit", params={"action": "account.updated"}, headers=superintendent.headers
    ).json()
    assert len(entries) == 1 and entries[0]["after"]["notes"] == "Runs the alerts."
