"""Scans through the API, and the demo walkthrough: scan, confirm, download the evidence pack."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import service as auth
from service.db import session_scope
from service.jobs import Job
from service.scans import service as scans
from service.users import service as users
from tests.conftest import Person
from tests.scans.conftest import IMPOSTORS


@pytest.fixture
def api(demo_db: str, deferred: list[Job]) -> Iterator[TestClient]:
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client


def demo_person(email: str) -> Person:
    with session_scope() as session:
        user = users.get_by_email(session, email)
        token = auth.issue_token(session, user, actor="test", expires_days=None).token
    return Person(user, token)


@pytest.fixture
def boss() -> Person:
    return demo_person("superintendent@riverbend-tech.example")


def test_start_a_scan_list_runs_confirm_and_download_the_pack(
    api: TestClient, deferred: list[Job], boss: Person
) -> None:
    started = api.post("/api/v1/scans", json={"platform": "simulated"}, headers=boss.headers)
    assert started.status_code == 202, started.text
    run = started.json()
    assert run["status"] == "queued" and run["requested_by"] == boss.email
    scan_jobs = [j for j in deferred if getattr(j, "func", None) is scans.resume_scan]
    assert len(scan_jobs) == 1
    scan_jobs[0]()
    scan_jobs[0]()  # a second delivery of the job does nothing: the run is taken

    auditor = demo_person("auditor@riverbend-tech.example")
    (listed,) = api.get("/api/v1/scans", headers=auditor.headers).json()
    assert listed["id"] == run["id"] and listed["status"] == "finished"
    assert listed["counts"]["new"] == 6 and listed["seconds"] is not None
    assert api.get(f"/api/v1/scans/{run['id']}", headers=auditor.headers).json() == listed

    impostors = api.get(
        "/api/v1/findings?status=open&min_score=0.7&platform=x", headers=boss.headers
    ).json()
    assert {f["handle"] for f in impostors} == IMPOSTORS & {"Riverbend_Tech", "RlverbendTech"}
    chosen = next(f for f in impostors if f["handle"] == "Riverbend_Tech")
    confirmed = api.post(f"/api/v1/findings/{chosen['id']}/confirm", headers=boss.headers)
    assert confirmed.json()["status"] == "confirmed_impersonation"
    pack = api.get(f"/api/v1/findings/{chosen['id']}/evidence-pack", headers=boss.headers)
    assert pack.status_code == 200 and "@Riverbend_Tech" in pack.text
    assert "data:image/png;base64," in pack.text
    assert "https://help.x.com/forms/impersonation" in pack.text


def test_who_may_start_and_read_scans(api: TestClient, boss: Person) -> None:
    body = {"platform": "simulated"}
    assert api.post("/api/v1/scans", json=body).status_code == 401
    for email in ("comms@riverbend-tech.example", "auditor@riverbend-tech.example"):
        person = demo_person(email)
        assert api.post("/api/v1/scans", json=body, headers=person.headers).status_code == 403
    staff = demo_person("comms@riverbend-tech.example")
    assert api.get("/api/v1/scans", headers=staff.headers).status_code == 403
    designee = demo_person("designee@riverbend-tech.example")
    assert api.post("/api/v1/scans", json=body, headers=designee.headers).status_code == 202
    unknown = api.post("/api/v1/scans", json={"platform": "myspace"}, headers=boss.headers)
    assert unknown.status_code == 422 and "myspace" in unknown.json()["error"]["message"]
    bad_budget = {"platform": "simulated", "budget": 0}
    assert api.post("/api/v1/scans", json=bad_budget, headers=boss.headers).status_code == 422
    assert api.get("/api/v1/scans/999999", headers=boss.headers).status_code == 404
