"""The consent registry through the HTTP API: who may do what, and who sees what."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service import clock
from service.consent.evidence import MAX_EVIDENCE_BYTES
from service.users.models import Role
from tests.conftest import Person
from tests.consent.factories import PDF, PNG

Json = dict[str, Any]
CONFIDENTIAL = {"student_number", "email", "evidence_sha256", "revocation_reason", "created_by"}


def post(app: TestClient, person: Person, path: str, body: Json, status: int = 201) -> Json:
    response = app.post(path, json=body, headers=person.headers)
    assert response.status_code == status, response.text
    result: Json = response.json()
    return result


def student(app: TestClient, person: Person, **body: object) -> Json:
    fields = {"full_name": "Ana Ruiz", "site": "North", "student_number": "S-1001", **body}
    return post(app, person, "/api/v1/students", fields)


def guardian(app: TestClient, person: Person, student_id: int) -> Json:
    body = {"name": "Rosa Ruiz", "email": "Rosa@Example.org", "relationship": "mother"}
    return post(app, person, f"/api/v1/students/{student_id}/guardians", body)


def consent(app: TestClient, person: Person, student_id: int, **body: object) -> Json:
    guardian_id = guardian(app, person, student_id)["id"]
    fields = {
        "student_id": student_id,
        "guardian_id": guardian_id,
        "scope": "both",
        "granted_on": "2026-09-01",
        **body,
    }
    return post(app, person, "/api/v1/consents", fields)


def upload(
    app: TestClient, person: Person, consent_id: int, data: bytes, name: str = "form.pdf"
) -> Any:
    files = {"file": (name, data, "application/pdf")}
    return app.post(f"/api/v1/consents/{consent_id}/evidence", files=files, headers=person.headers)


def keys(value: object) -> set[str]:
    """Every key anywhere in a JSON document."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def test_the_superintendent_records_a_consent_and_it_becomes_valid_with_its_form(
    app: TestClient, superintendent: Person
) -> None:
    clock.freeze(datetime(2026, 10, 1, 12, tzinfo=UTC))
    created = student(app, superintendent, preferred_name="Annie")
    assert created["student_number"] == "S-1001"
    recorded = consent(app, superintendent, created["id"], expires_on="2027-06-30")
    assert (recorded["status"], recorded["valid"]) == ("pending_evidence", False)
    assert recorded["created_by"] == superintendent.email

    uploaded = upload(app, superintendent, recorded["id"], PDF)

    assert uploaded.status_code == 200, uploaded.text
    body = uploaded.json()
    assert (body["status"], body["valid"]) == ("valid", True)
    assert body["evidence_content_type"] == "application/pdf"
    assert len(body["evidence_sha256"]) == 64
    detail = app.get(f"/api/v1/students/{created['id']}", headers=superintendent.headers).json()
    assert detail["guardians"][0]["email"] == "rosa@example.org"
    assert [c["id"] for c in detail["consents"]] == [recorded["id"]]


@pytest.mark.parametrize("role", [Role.staff, Role.designee])
def test_staff_and_designees_see_names_but_no_confidential_details(
    app: TestClient, superintendent: Person, make_person: Callable[..., Person], role: Role
) -> None:
    reader = make_person(role)
    created = student(app, superintendent)
    recorded = consent(app, superintendent, created["id"])
    upload(app, superintendent, recorded["id"], PDF)
    post(app, superintendent, f"/api/v1/consents/{recorded['id']}/revoke", {"reason": "x"}, 200)

    listed = app.get("/api/v1/students", headers=reader.headers).json()
    detail = app.get(f"/api/v1/students/{created['id']}", headers=reader.headers).json()
    consents = app.get("/api/v1/consents", headers=reader.headers).json()
    one = app.get(f"/api/v1/consents/{recorded['id']}", headers=reader.headers).json()

    assert [s["full_name"] for s in listed] == ["Ana Ruiz"]
    assert detail["guardians"][0]["name"] == "Rosa Ruiz"
    assert consents[0]["status"] == one["status"] == "revoked"
    for document in (listed, detail, consents, one):
        assert keys(document) & CONFIDENTIAL == set()
        assert "S-1001" not in str(document)
    evidence = app.get(f"/api/v1/consents/{recorded['id']}/evidence", headers=reader.headers)
    assert evidence.status_code == 403


@pytest.mark.parametrize("role", [Role.superintendent, Role.site_admin, Role.auditor])
def test_confidential_readers_see_student_numbers_and_the_signed_form(
    app: TestClient, superintendent: Person, make_person: Callable[..., Person], role: Role
) -> None:
    reader = make_person(role)
    created = student(app, superintendent)
    recorded = consent(app, superintendent, created["id"])
    upload(app, superintendent, recorded["id"], PNG, name="scan.png")

    listed = app.get("/api/v1/students", headers=reader.headers).json()
    detail = app.get(f"/api/v1/students/{created['id']}", headers=reader.headers).json()
    evidence = app.get(f"/api/v1/consents/{recorded['id']}/evidence", headers=reader.headers)

    assert listed[0]["student_number"] == detail["student_number"] == "S-1001"
    assert detail["consents"][0]["evidence_content_type"] == "image/png"
    assert evidence.status_code == 200
    assert evidence.content == PNG
    assert evidence.headers["content-type"] == "image/png"
    assert evidence.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("role", [Role.staff, Role.designee, Role.auditor])
def test_only_superintendent_and_site_admins_change_the_registry(
    app: TestClient, superintendent: Person, make_person: Callable[..., Person], role: Role
) -> None:
    person = make_person(role)
    created = student(app, superintendent)
    recorded = consent(app, superintendent, created["id"])
    sid, cid = created["id"], recorded["id"]
    attempts = [
        app.post(
            "/api/v1/students", json={"full_name": "X", "site": "North"}, headers=person.headers
        ),
        app.patch(f"/api/v1/students/{sid}", json={"active": False}, headers=person.headers),
        app.post(f"/api/v1/students/{sid}/guardians", json={"name": "G"}, headers=person.headers),
        app.post(
            "/api/v1/consents",
            json={
                "student_id": sid,
                "guardian_id": 1,
                "scope": "photo",
                "granted_on": "2026-09-01",
            },
            headers=person.headers,
        ),
        upload(app, person, cid, PDF),
        app.post(f"/api/v1/consents/{cid}/revoke", json={"reason": "x"}, headers=person.headers),
        app.post(
            "/api/v1/students/import",
            files={"file": ("roster.csv", b"full_name,site\nAna,North\n", "text/csv")},
            headers=person.headers,
        ),
    ]

    assert [a.status_code for a in attempts] == [403] * len(attempts)
    assert {a.json()["error"]["code"] for a in attempts} == {"forbidden"}
    after = app.get(f"/api/v1/consents/{cid}", headers=superintendent.headers).json()
    assert after == recorded


def test_anonymous_callers_are_401(app: TestClient) -> None:
    assert app.get("/api/v1/students").status_code == 401
    assert app.get("/api/v1/consents").status_code == 401
    assert app.post("/api/v1/consents/1/revoke", json={"reason": "x"}).status_code == 401


def test_a_site_admin_works_only_with_the_students_of_their_site(
    app: TestClient, superintendent: Person, site_admin: Callable[[str], Person]
) -> None:
    north_admin = site_admin("North")
    theirs = student(app, superintendent, full_name="Ana", site="North", student_number="N-1")
    foreign = student(app, superintendent, full_name="Ben", site="South", student_number="S-1")
    foreign_consent = consent(app, superintendent, foreign["id"])
    fid, fcid = foreign["id"], foreign_consent["id"]
    headers = north_admin.headers

    listed = app.get("/api/v1/students", headers=headers).json()
    assert [s["id"] for s in listed] == [theirs["id"]]
    assert app.get("/api/v1/students?site=South", headers=headers).json() == []
    assert app.get(f"/api/v1/consents?student_id={fid}", headers=headers).status_code == 404
    assert app.get("/api/v1/consents", headers=headers).json() == []
    refused = [
        app.get(f"/api/v1/students/{fid}", headers=headers),
        app.patch(f"/api/v1/students/{fid}", json={"active": False}, headers=headers),
        app.post(f"/api/v1/students/{fid}/guardians", json={"name": "G"}, headers=headers),
        app.post(
            "/api/v1/consents",
            json={
                "student_id": fid,
                "guardian_id": foreign_consent["guardian_id"],
                "scope": "photo",
                "granted_on": "2026-09-01",
            },
            headers=headers,
        ),
        app.get(f"/api/v1/consents/{fcid}", headers=headers),
        upload(app, north_admin, fcid, PDF),
        app.get(f"/api/v1/consents/{fcid}/evidence", headers=headers),
        app.post(f"/api/v1/consents/{fcid}/revoke", json={"reason": "x"}, headers=headers),
    ]
    assert [r.status_code for r in refused] == [404] * len(refused)
    assert {r.json()["error"]["code"] for r in refused} == {"not_found"}

    elsewhere = app.post(
        "/api/v1/students", json={"full_name": "Cy", "site": "South"}, headers=headers
    )
    assert elsewhere.status_code == 403
    own = post(app, north_admin, "/api/v1/students", {"full_name": "Dee"})
    assert own["site"] == "North"
    own_consent = consent(app, north_admin, own["id"], scope="photo")
    assert upload(app, north_admin, own_consent["id"], PDF).status_code == 200


def test_revoking_twice_is_409(app: TestClient, superintendent: Person) -> None:
    recorded = consent(app, superintendent, student(app, superintendent)["id"])
    path = f"/api/v1/consents/{recorded['id']}/revoke"

    first = post(app, superintendent, path, {"reason": "family moved"}, 200)
    again = app.post(path, json={"reason": "again"}, headers=superintendent.headers)

    assert first["status"] == "revoked"
    assert first["revocation_reason"] == "family moved"
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    "change",
    [
        {"scope": "video"},
        {"granted_on": "2026-09-01", "expires_on": "2026-08-31"},
        {"granted_on": "yesterday"},
        {"guardian_id": 999999},
    ],
)
def test_bad_consents_are_422_and_save_nothing(
    app: TestClient, superintendent: Person, change: Json
) -> None:
    created = student(app, superintendent)
    rosa = guardian(app, superintendent, created["id"])
    body = {
        "student_id": created["id"],
        "guardian_id": rosa["id"],
        "scope": "photo",
        "granted_on": "2026-09-01",
        **change,
    }

    response = app.post("/api/v1/consents", json=body, headers=superintendent.headers)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid"
    assert app.get("/api/v1/consents", headers=superintendent.headers).json() == []


def test_a_guardian_of_another_student_is_422(app: TestClient, superintendent: Person) -> None:
    ana = student(app, superintendent, full_name="Ana", student_number=None)
    ben = student(app, superintendent, full_name="Ben", student_number=None)
    bens = guardian(app, superintendent, ben["id"])
    body = {"student_id": ana["id"], "guardian_id": bens["id"], "scope": "name"}

    response = app.post(
        "/api/v1/consents",
        json={**body, "granted_on": "2026-09-01"},
        headers=superintendent.headers,
    )

    assert response.status_code == 422
    assert "not a guardian" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/students", {"full_name": "", "site": "North"}),
        ("/api/v1/students", {"full_name": '=HYPERLINK("http://x")', "site": "North"}),
        ("/api/v1/students", {"full_name": "Ana", "site": "North", "student_number": "1" * 65}),
        ("/api/v1/students", {"full_name": "Ana"}),
        ("guardians", {"name": "Rosa", "email": "not-an-email"}),
        ("guardians", {"name": "@Rosa"}),
        ("guardians", {"name": ""}),
    ],
)
def test_bad_students_and_guardians_are_422(
    app: TestClient, superintendent: Person, path: str, body: Json
) -> None:
    if path == "guardians":
        path = f"/api/v1/students/{student(app, superintendent)['id']}/guardians"

    response = app.post(path, json=body, headers=superintendent.headers)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid"


def test_duplicate_student_number_in_a_site_is_409(app: TestClient, superintendent: Person) -> None:
    student(app, superintendent)
    clash = app.post(
        "/api/v1/students",
        json={"full_name": "Other", "site": "North", "student_number": "S-1001"},
        headers=superintendent.headers,
    )
    assert clash.status_code == 409
    assert "S-1001" not in clash.text
    student(app, superintendent, site="South")


def test_unknown_ids_are_404(app: TestClient, superintendent: Person) -> None:
    headers = superintendent.headers
    assert app.get("/api/v1/students/999999", headers=headers).status_code == 404
    assert app.get("/api/v1/consents/999999", headers=headers).status_code == 404
    assert app.get("/api/v1/consents?student_id=999999", headers=headers).status_code == 404
    gone = app.post("/api/v1/consents/999999/revoke", json={"reason": "x"}, headers=headers)
    assert gone.status_code == 404
    body = {"student_id": 999999, "guardian_id": 1, "scope": "photo", "granted_on": "2026-09-01"}
    assert app.post("/api/v1/consents", json=body, headers=headers).status_code == 404


def test_evidence_is_judged_by_its_bytes(app: TestClient, superintendent: Person) -> None:
    recorded = consent(app, superintendent, student(app, superintendent)["id"])
    cid = recorded["id"]

    html = upload(app, superintendent, cid, b"<!doctype html><script>x()</script>", "form.pdf")
    assert html.status_code == 422
    assert "PDF, JPEG or PNG" in html.json()["error"]["message"]

    too_big = upload(app, superintendent, cid, PDF + b"0" * MAX_EVIDENCE_BYTES)
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "too_large"

    missing = app.post(f"/api/v1/consents/{cid}/evidence", headers=superintendent.headers)
    assert missing.status_code == 422

    assert upload(app, superintendent, cid, PDF).status_code == 200
    assert upload(app, superintendent, cid, PDF).status_code == 409


def test_consents_filter_by_validity_now(app: TestClient, superintendent: Person) -> None:
    clock.freeze(datetime(2026, 10, 1, 12, tzinfo=UTC))
    sid = student(app, superintendent)["id"]
    valid = consent(app, superintendent, sid)
    upload(app, superintendent, valid["id"], PDF)
    pending = consent(app, superintendent, sid)
    expired = consent(app, superintendent, sid, granted_on="2025-09-01", expires_on="2026-06-30")
    upload(app, superintendent, expired["id"], PDF)
    future = consent(app, superintendent, sid, granted_on="2027-01-01")
    upload(app, superintendent, future["id"], PDF)

    def ids(query: str) -> list[int]:
        found = app.get(f"/api/v1/consents?{query}", headers=superintendent.headers).json()
        return [c["id"] for c in found]

    assert ids(f"student_id={sid}&valid=true") == [valid["id"]]
    assert ids("valid=false") == [pending["id"], expired["id"], future["id"]]
    statuses = app.get("/api/v1/consents", headers=superintendent.headers).json()
    assert [c["status"] for c in statuses] == [
        "valid",
        "pending_evidence",
        "expired",
        "not_yet_valid",
    ]

    clock.freeze(datetime(2027, 1, 1, 12, tzinfo=UTC))
    assert ids("valid=true") == [valid["id"], future["id"]]


def test_deactivated_students_are_listed_only_on_request(
    app: TestClient, superintendent: Person
) -> None:
    created = student(app, superintendent)
    path = f"/api/v1/students/{created['id']}"
    changed = app.patch(
        path, json={"active": False, "preferred_name": "Annie"}, headers=superintendent.headers
    )
    assert changed.status_code == 200
    assert (changed.json()["active"], changed.json()["preferred_name"]) == (False, "Annie")
    assert (
        app.patch(path, json={"full_name": None}, headers=superintendent.headers).status_code == 422
    )

    assert app.get("/api/v1/students", headers=superintendent.headers).json() == []
    listed = app.get(
        "/api/v1/students?include_inactive=true", headers=superintendent.headers
    ).json()
    assert [s["id"] for s in listed] == [created["id"]]


def test_the_registry_history_is_in_the_audit_log(
    app: TestClient, superintendent: Person, auditor: Person
) -> None:
    created = student(app, superintendent)
    recorded = consent(app, superintendent, created["id"])
    upload(app, superintendent, recorded["id"], PDF)
    post(app, superintendent, f"/api/v1/consents/{recorded['id']}/revoke", {"reason": "x"}, 200)

    entries = app.get(
        "/api/v1/audit",
        params={"subject_type": "consent", "subject_id": recorded["id"]},
        headers=auditor.headers,
    ).json()

    assert [e["action"] for e in reversed(entries)] == [
        "consent.recorded",
        "consent.evidence_attached",
        "consent.revoked",
    ]
    assert {e["actor"] for e in entries} == {superintendent.email}
    assert entries[1]["after"]["filename"] == "form.pdf"
