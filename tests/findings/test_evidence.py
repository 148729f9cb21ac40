"""The takedown evidence pack: both accounts, images, hashes, and where to report."""

import base64
import hashlib
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from service.users.models import Role
from tests.conftest import Person
from tests.findings.conftest import LOGO, OTHER_IMAGE, Record, profile

BASE = "/api/v1/findings"


@pytest.fixture
def confirmed(
    app: TestClient, record: Record, demo_institution: None, superintendent: Person
) -> int:
    _, finding = record(profile(display_name="Riverbend Tech"), image=OTHER_IMAGE)
    record(profile(display_name="Riverbend Technology Center"), image=LOGO)
    assert finding is not None
    response = app.post(f"{BASE}/{finding.id}/confirm", headers=superintendent.headers)
    assert response.status_code == 200
    return int(finding.id or 0)


def test_the_pack_shows_the_impostor_beside_the_official_account(
    app: TestClient, confirmed: int, make_person: Callable[..., Person]
) -> None:
    auditor = make_person(Role.auditor)
    response = app.get(f"{BASE}/{confirmed}/evidence-pack", headers=auditor.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "attachment" in response.headers["content-disposition"]
    page = response.text
    detail = app.get(f"{BASE}/{confirmed}", headers=auditor.headers).json()
    newest, oldest = detail["snapshots"]
    for snapshot in (newest, oldest):
        assert snapshot["snapshot_sha256"] in page and snapshot["image_sha256"] in page
    assert base64.b64encode(LOGO).decode() in page  # the impostor's copy and the official logo
    assert base64.b64encode(OTHER_IMAGE).decode() in page  # the earlier avatar
    assert hashlib.sha256(LOGO).hexdigest() in page
    assert "@Riverbend_Tech" in page and "@RiverbendTech on x" in page  # impostor, imitated
    assert "https://help.x.com/forms/impersonation" in page
    assert "display name equals the institution&#x27;s" in page  # the reasons, escaped
    assert detail["first_seen"][:10] in page


def test_no_pack_for_a_finding_nobody_confirmed(
    app: TestClient, record: Record, superintendent: Person
) -> None:
    _, finding = record(profile(platform_id="5"))
    assert finding is not None
    refused = app.get(f"{BASE}/{finding.id}/evidence-pack", headers=superintendent.headers)
    assert refused.status_code == 409
    anonymous = app.get(f"{BASE}/{finding.id}/evidence-pack")
    assert anonymous.status_code == 401


def test_the_pack_names_look_alike_letters(
    app: TestClient, record: Record, superintendent: Person
) -> None:
    _, finding = record(profile(platform_id="7", display_name="Riverbend Technology Cent\u0435r"))
    assert finding is not None
    app.post(f"{BASE}/{finding.id}/confirm", headers=superintendent.headers)
    page = app.get(f"{BASE}/{finding.id}/evidence-pack", headers=superintendent.headers).text
    assert "U+0435 CYRILLIC SMALL LETTER IE" in page


def test_the_pack_escapes_what_the_impostor_wrote(
    app: TestClient, record: Record, superintendent: Person
) -> None:
    hostile = profile(platform_id="6", bio="<script>alert(1)</script> official")
    _, finding = record(hostile)
    assert finding is not None
    app.post(f"{BASE}/{finding.id}/confirm", headers=superintendent.headers)
    page = app.get(f"{BASE}/{finding.id}/evidence-pack", headers=superintendent.headers).text
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_the_schema_documents_the_pack_as_html_and_its_refusals_as_json(
    app: TestClient, record: Record, superintendent: Person
) -> None:
    responses = app.get("/openapi.json").json()["paths"][f"{BASE}/{{finding_id}}/evidence-pack"]
    responses = responses["get"]["responses"]
    assert list(responses["200"]["content"]) == ["text/html"]
    assert list(responses["409"]["content"]) == ["application/json"]
    _, finding = record(profile(platform_id="6"))
    assert finding is not None
    refused = app.get(f"{BASE}/{finding.id}/evidence-pack", headers=superintendent.headers)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/json"
