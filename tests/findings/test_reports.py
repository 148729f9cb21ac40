"""Reports from people through the API: public (rate-limited, honeypot, screenshot limits) and
signed-in, onto new and existing findings, scored when a connector can look the account up."""

import hashlib
import io
import re
import struct
import zlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, SQLModel, col, func, select

import connectors
from connectors import Profile
from connectors.simulated import SimulatedConnector
from service import clock, demo, media
from service.audit.models import AuditEntry
from service.findings import service as findings
from service.findings.models import Finding, FindingReport, FindingSnapshot, TriageRequest
from service.notifications.models import OutgoingMail
from service.settings import get_settings
from service.users.models import CONTRIBUTORS, Role
from tests.conftest import MULTIPART_TYPE, Person, raw_multipart
from tests.findings.conftest import Record, profile
from workflows.finding_lifecycle import FindingAction, FindingStatus

PUBLIC = "/api/v1/public/reports"
STAFF = "/api/v1/reports"
REFERENCE = re.compile(r"^R-[A-Z2-7]{8}$")
LOOKALIKE = "https://x.com/Riverbend_Techs"  # on no platform: not looked up in these tests
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("demo_institution")


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "GIF")
    return buffer.getvalue()


def bomb() -> bytes:
    """A tiny PNG whose header declares 60000 x 60000 pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def report(app: TestClient, url: str = LOOKALIKE, files: Any = None, **fields: str) -> Any:
    return app.post(PUBLIC, data={"url": url, **fields}, files=files)


def count(session: Session, model: type[SQLModel]) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def counts(session: Session) -> tuple[int, ...]:
    models: Sequence[type[SQLModel]] = (Finding, FindingReport, OutgoingMail, AuditEntry)
    return tuple(count(session, m) for m in models)


@pytest.fixture
def triagers(make_person: Callable[..., Person]) -> list[str]:
    return [make_person(Role.designee).email, make_person(Role.superintendent).email]


def set_env(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()


class Simulated:
    """Every connector is the demo's simulated platform (optionally failing its lookups)."""

    def __init__(self, error: connectors.ConnectorError | None = None) -> None:
        self.error = error

    def get(self, name: str, settings: object = None) -> SimulatedConnector:
        error = self.error

        class Connector(SimulatedConnector):
            def lookup_handles(self, handles: Sequence[str]) -> list[Profile]:
                if error is not None:
                    raise error
                return super().lookup_handles(handles)

        return Connector(profiles_path=demo.SIMULATED_PROFILES)


def test_a_public_report_opens_a_finding_and_answers_only_a_reference(
    app: TestClient, session: Session, triagers: list[str]
) -> None:
    image = png()
    response = report(
        app,
        description="It asks parents for money.",
        email="parent@example.org",
        files={"screenshot": ("shot.png", image, "image/png")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"official", "reference", "message"}
    assert REFERENCE.match(body["reference"]) and body["official"] is False
    for secret in ("status", "score", "open", "finding", "verdict", "id"):
        assert secret not in response.text.lower().replace("official", "")

    finding = session.exec(select(Finding)).one()
    assert (finding.handle, finding.status, finding.source) == (
        "Riverbend_Techs",
        FindingStatus.open,
        "report",
    )
    assert str(finding.id) not in response.text
    saved = session.exec(select(FindingReport)).one()
    assert (saved.reference, saved.finding_id, saved.reporter_id) == (
        body["reference"],
        finding.id,
        None,
    )
    assert (saved.description, saved.contact_email) == (
        "It asks parents for money.",
        "parent@example.org",
    )
    assert re.fullmatch(r"[0-9a-f]{64}", saved.client_key) and "testclient" not in saved.client_key
    assert saved.screenshot_path and saved.screenshot_sha256
    stored = media.read_stored(saved.screenshot_path)
    assert hashlib.sha256(stored).hexdigest() == saved.screenshot_sha256
    assert saved.screenshot_path == f"reports/{saved.screenshot_sha256}.png"

    mails = session.exec(select(OutgoingMail)).all()
    assert sorted(m.to_address for m in mails) == sorted(triagers)
    assert all(
        body["reference"] in m.subject and f"/findings/{finding.id}" in m.body for m in mails
    )
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "finding.reported")).one()
    assert (entry.actor, entry.subject_id, entry.before) == ("public:report", str(finding.id), None)
    assert entry.after is not None and entry.after["report"] == body["reference"]
    assert "not looked up" in entry.after["lookup"]  # no connector for X in tests


def test_a_report_of_a_known_account_adds_to_its_finding_and_keeps_its_status(
    app: TestClient, session: Session, record: Record, superintendent: Person
) -> None:
    _, scanned = record(profile())  # @Riverbend_Tech, found by a scan
    assert scanned is not None and scanned.id is not None
    findings.triage(
        session, scanned.id, FindingAction.confirm, superintendent.user, TriageRequest()
    )
    session.commit()

    first = report(app, "https://twitter.com/riverbend_tech")
    second = report(app, "https://x.com/RIVERBEND_TECH/", description="again")
    assert first.status_code == second.status_code == 200, second.text
    assert first.json()["reference"] != second.json()["reference"]

    session.expire_all()
    assert count(session, Finding) == 1
    finding = session.get(Finding, scanned.id)
    assert finding is not None
    assert (finding.status, finding.source) == (FindingStatus.confirmed_impersonation, "scan")
    assert "confirmed" not in first.text and "scan" not in first.text
    reports = findings.reports_of(session, scanned.id)
    assert [r.description for r in reports] == ["again", ""]
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "finding.reported")).all()
    assert [e.before["status"] for e in entries if e.before] == ["confirmed_impersonation"] * 2

    listed = app.get(
        "/api/v1/findings", params={"source": "report"}, headers=superintendent.headers
    )
    assert [f["id"] for f in listed.json()] == [scanned.id]
    detail = app.get(f"/api/v1/findings/{scanned.id}", headers=superintendent.headers).json()
    assert [r["reference"] for r in detail["reports"]] == [
        second.json()["reference"],
        first.json()["reference"],
    ]
    assert "client_key" not in detail["reports"][0]


def test_the_source_filter(
    app: TestClient, record: Record, superintendent: Person, session: Session
) -> None:
    _, scanned = record(profile())
    assert scanned is not None
    assert report(app).status_code == 200
    reported = session.exec(select(Finding).where(Finding.source == "report")).one()

    def ids(source: str) -> list[int]:
        response = app.get(
            "/api/v1/findings", params={"source": source}, headers=superintendent.headers
        )
        assert response.status_code == 200, response.text
        return [f["id"] for f in response.json()]

    assert ids("report") == [reported.id]
    assert ids("scan") == [scanned.id]
    bad = app.get("/api/v1/findings", params={"source": "rumour"}, headers=superintendent.headers)
    assert bad.status_code == 422


def test_a_report_is_scored_when_a_connector_can_look_it_up(
    app: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connectors, "get", Simulated().get)
    response = report(app, "https://x.com/RlverbendTech")  # a lowercase L for the i
    assert response.status_code == 200, response.text
    finding = session.exec(select(Finding)).one()
    assert (finding.platform_account_id, finding.verdict) == ("1102", "impersonation")
    assert finding.score > 0.5 and finding.reasons[0].startswith("Reported by a person")
    assert finding.display_name == "Riverbend Technology Cent\u0435r"  # a Cyrillic e
    assert count(session, FindingSnapshot) == 1
    assert "score" not in response.text and "impersonation" not in response.text
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "finding.reported")).one()
    assert entry.after is not None and entry.after["lookup"].startswith("scored")


def test_a_connector_error_is_noted_and_the_report_kept(
    app: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = Simulated(connectors.PlatformError("simulated", "platform is down", status=503))
    monkeypatch.setattr(connectors, "get", failing.get)
    response = report(app, "https://x.com/RlverbendTech")
    assert response.status_code == 200, response.text
    finding = session.exec(select(Finding)).one()
    assert (finding.verdict, finding.score, finding.status) == ("reported", 0.0, FindingStatus.open)
    assert count(session, FindingReport) == 1
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "finding.reported")).one()
    assert entry.after is not None and "platform is down" in entry.after["lookup"]
    mail = session.exec(select(OutgoingMail)).all()
    assert all("platform is down" in m.body for m in mail)


def test_an_official_account_is_said_to_be_official(app: TestClient, session: Session) -> None:
    before = counts(session)
    response = report(app, "https://x.com/riverbendtech")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["official"] is True and body["reference"] is None
    assert "IS an official account" in body["message"]
    assert counts(session) == before


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://example.com/someone", "example.com"),
        ("not a url at all", ""),
        ("https://x.com/home", ""),
    ],
)
def test_a_bad_url_is_refused_with_nothing_stored(
    app: TestClient, session: Session, url: str, problem: str
) -> None:
    before = counts(session)
    response = report(app, url, files={"screenshot": ("s.png", png(), "image/png")})
    assert response.status_code == 422, response.text
    assert problem in response.json()["error"]["message"]
    assert counts(session) == before


@pytest.mark.parametrize(
    "fields",
    [{}, {"url": ""}, {"description": "x" * 2001}, {"email": "not-an-email"}],
    ids=["no-url", "blank-url", "long-description", "bad-email"],
)
def test_bad_fields_are_422(app: TestClient, session: Session, fields: dict[str, str]) -> None:
    before = counts(session)
    data = {"url": LOOKALIKE, **fields} if fields else {"description": "no url"}
    response = app.post(PUBLIC, data=data)
    assert response.status_code == 422, response.text
    assert counts(session) == before


def test_the_honeypot_answers_as_a_success_and_stores_nothing(
    app: TestClient, session: Session
) -> None:
    before = counts(session)
    response = report(app, website="http://spam.example")
    assert response.status_code == 200, response.text
    assert REFERENCE.match(response.json()["reference"])
    assert set(response.json()) == {"official", "reference", "message"}
    assert counts(session) == before


@pytest.mark.parametrize(
    ("name", "data", "content_type", "status"),
    [
        ("anim.gif", gif(), "image/gif", 422),
        ("doc.png", b"%PDF-1.7 not an image", "image/png", 422),
        ("shot.jpg", png(), "image/jpeg", 422),  # a PNG labelled as JPEG
        ("big.png", png((900, 900)) + b"\0" * 4096, "image/png", 413),
        ("cut.png", png()[:60], "image/png", 422),
        ("bomb.png", bomb(), "image/png", 413),
    ],
)
def test_screenshot_type_and_size_limits(
    app: TestClient,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    data: bytes,
    content_type: str,
    status: int,
) -> None:
    set_env(monkeypatch, "IMPRIMATUR_REPORT_MAX_SCREENSHOT_BYTES", "4096")
    before = counts(session)
    response = report(app, files={"screenshot": (name, data, content_type)})
    assert response.status_code == status, response.text
    assert counts(session) == before
    assert not (get_settings().media_dir / "reports").exists()


def test_webp_and_jpeg_screenshots_are_accepted(app: TestClient, session: Session) -> None:
    for fmt, name in (("WEBP", "s.webp"), ("JPEG", "s.jpg")):
        buffer = io.BytesIO()
        Image.new("RGB", (20, 20), (0, 90, 200)).save(buffer, fmt)
        files = {"screenshot": (name, buffer.getvalue(), "application/octet-stream")}
        assert report(app, files=files).status_code == 200
    kinds = session.exec(select(FindingReport.screenshot_path)).all()
    assert sorted(str(k).rsplit(".", 1)[1] for k in kinds) == ["jpeg", "webp"]


def test_the_public_rate_limit_per_client(
    app: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_env(monkeypatch, "IMPRIMATUR_REPORT_RATE_LIMIT", "2/3600")
    clock.freeze(NOW)
    assert [report(app).status_code for _ in range(2)] == [200, 200]
    limited = report(app)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1800"
    assert limited.json()["error"]["code"] == "rate_limited"
    assert "try again in 30 minutes" in limited.json()["error"]["message"]
    assert count(session, FindingReport) == 2

    clock.freeze(NOW + timedelta(seconds=1800))
    assert report(app).status_code == 200
    assert report(app).status_code == 429
    keys = set(session.exec(select(FindingReport.client_key)).all())
    assert len(keys) == 1


@pytest.mark.parametrize("role", sorted(CONTRIBUTORS))
def test_every_contributing_role_may_report_without_the_public_limit(
    app: TestClient,
    session: Session,
    make_person: Callable[..., Person],
    monkeypatch: pytest.MonkeyPatch,
    role: Role,
) -> None:
    set_env(monkeypatch, "IMPRIMATUR_REPORT_RATE_LIMIT", "1/3600")
    person = make_person(role)
    payload = {"url": LOOKALIKE, "description": "posts rude replies"}
    for _ in range(3):
        response = app.post(STAFF, json=payload, headers=person.headers)
        assert response.status_code == 200, response.text
        assert set(response.json()) == {"official", "reference", "message"}
    saved = session.exec(select(FindingReport)).all()
    assert {r.reporter_id for r in saved} == {person.user.id}
    assert {r.client_key for r in saved} == {""}
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "finding.reported")).first()
    assert entry is not None and entry.actor == person.email


def test_a_staff_report_as_a_form_with_a_screenshot(
    app: TestClient, session: Session, staff: Person
) -> None:
    files = {"screenshot": ("s.png", png(), "image/png")}
    response = app.post(STAFF, data={"url": LOOKALIKE}, files=files, headers=staff.headers)
    assert response.status_code == 200, response.text
    saved = session.exec(select(FindingReport)).one()
    assert saved.reporter_id == staff.user.id and saved.screenshot_sha256


def test_staff_reports_need_a_sign_in_and_good_input(app: TestClient, staff: Person) -> None:
    assert app.post(STAFF, json={"url": LOOKALIKE}).status_code == 401
    assert app.post(STAFF, json=["x"], headers=staff.headers).status_code == 422
    assert app.post(STAFF, json={}, headers=staff.headers).status_code == 422
    bad = app.post(
        STAFF,
        content=b"{not json",
        headers={**staff.headers, "content-type": "application/json"},
    )
    assert bad.status_code == 422


def test_the_screenshot_is_served_to_finding_readers_only(
    app: TestClient,
    session: Session,
    make_person: Callable[..., Person],
    browser_as: Callable[..., Any],
) -> None:
    image = png()
    assert report(app, files={"screenshot": ("s.png", image, "image/png")}).status_code == 200
    saved = session.exec(select(FindingReport)).one()
    path = f"/findings/{saved.finding_id}/reports/{saved.id}/screenshot"
    designee = browser_as(make_person(Role.designee))
    shown = designee.get(path)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
    assert hashlib.sha256(shown.content).hexdigest() == saved.screenshot_sha256
    assert (
        designee.get(f"/findings/{saved.finding_id + 1}/reports/{saved.id}/screenshot").status_code
        == 404
    )
    assert browser_as(make_person(Role.staff)).get(path).status_code == 403


def test_reports_are_kept_out_of_other_findings(
    app: TestClient, session: Session, record: Record, superintendent: Person
) -> None:
    _, other = record(profile(platform_id="77", handle="SomeoneElse"))
    assert other is not None
    assert report(app).status_code == 200
    detail = app.get(f"/api/v1/findings/{other.id}", headers=superintendent.headers).json()
    assert detail["reports"] == []
    reported = session.exec(select(Finding).where(col(Finding.id) != other.id)).one()
    assert reported.handle == "Riverbend_Techs"


def test_a_refused_screenshot_is_named_by_its_cleaned_file_name(app: TestClient) -> None:
    """The client's file name comes back in the message only as its last segment, printable."""
    hostile = "..\\..\\shot\u202e\x00\x07.gif"
    body = raw_multipart({"url": LOOKALIKE}, hostile, "image/gif", gif(), file_field="screenshot")
    response = app.post(PUBLIC, content=body, headers={"content-type": MULTIPART_TYPE})
    assert response.status_code == 422, response.text
    message = response.json()["error"]["message"]
    assert message.startswith("shot.gif is a GIF image"), message
