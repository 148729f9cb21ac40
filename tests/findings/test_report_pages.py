"""The report pages: the public form on /verify and its answer, the staff report page, the
reports on a finding's page and the queue's source filter."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.findings.models import Finding, FindingReport
from service.settings import get_settings
from service.users.models import Role
from tests.conftest import Person
from tests.findings.test_reports import LOOKALIKE, png

pytestmark = pytest.mark.usefixtures("demo_institution")
HTML = {"accept": "text/html"}


def public_post(app: TestClient, **data: str) -> Any:
    return app.post("/report", data=data, headers=HTML, follow_redirects=False)


def test_the_verify_page_offers_the_report_form_prefilled(app: TestClient) -> None:
    page = app.get("/verify", params={"url": LOOKALIKE}, headers=HTML)
    assert page.status_code == 200
    assert "not an official account" in page.text
    assert 'action="/report"' in page.text and 'name="csrf_token"' in page.text
    assert f'value="{LOOKALIKE}"' in page.text and 'class="honeypot"' in page.text
    official = app.get("/verify", params={"url": "https://x.com/RiverbendTech"}, headers=HTML)
    assert 'action="/report"' not in official.text


def test_a_visitor_reports_and_sees_a_reference(app: TestClient, session: Session) -> None:
    page = public_post(app, url=LOOKALIKE, description="asks for money")
    assert page.status_code == 200, page.text
    saved = session.exec(select(FindingReport)).one()
    assert saved.reference in page.text and "Thank you" in page.text
    assert "score" not in page.text.lower() and f"/findings/{saved.finding_id}" not in page.text


def test_the_public_form_answers_official_and_bad_urls(app: TestClient, session: Session) -> None:
    official = public_post(app, url="https://x.com/riverbendtech")
    assert official.status_code == 200 and "IS an official account" in official.text
    bad = public_post(app, url="https://example.com/x")
    assert bad.status_code == 422 and "example.com" in bad.text
    assert session.exec(select(FindingReport)).all() == []


def test_the_public_form_shows_the_rate_limit(
    app: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPRIMATUR_REPORT_RATE_LIMIT", "1/3600")
    get_settings.cache_clear()
    assert public_post(app, url=LOOKALIKE).status_code == 200
    limited = public_post(app, url=LOOKALIKE)
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    assert "as many reports as we accept" in limited.text and 'role="alert"' in limited.text
    assert len(session.exec(select(FindingReport)).all()) == 1


def test_a_signed_in_visitor_needs_the_csrf_token(
    app: TestClient, staff: Person, browser_as: Callable[..., Any], session: Session
) -> None:
    browser_as(staff)
    refused = app.post("/report", data={"url": LOOKALIKE}, headers=HTML)
    assert refused.status_code == 400
    assert session.exec(select(FindingReport)).all() == []


def test_the_staff_report_page(
    app: TestClient, staff: Person, browser_as: Callable[..., Any], session: Session
) -> None:
    browser = browser_as(staff)
    form = browser.get("/report/staff")
    assert form.status_code == 200 and 'action="/report/staff"' in form.text
    assert 'class="honeypot"' not in form.text
    files = {"screenshot": ("s.png", png(), "image/png")}
    sent = browser.post("/report/staff", {"url": LOOKALIKE, "description": "rude"}, files=files)
    assert sent.status_code == 303 and sent.headers["location"] == "/report/staff"
    saved = session.exec(select(FindingReport)).one()
    assert saved.reporter_id == staff.user.id and saved.screenshot_sha256
    assert saved.reference in browser.get("/report/staff").text
    bad = browser.post("/report/staff", {"url": "nonsense"})
    assert bad.status_code == 422 and len(session.exec(select(FindingReport)).all()) == 1


def test_anonymous_staff_page_redirects_to_sign_in(app: TestClient) -> None:
    response = app.get("/report/staff", headers=HTML, follow_redirects=False)
    assert response.status_code in {302, 303, 307}
    assert "/login" in response.headers["location"]


def test_a_designee_sees_the_reports_on_the_finding_and_filters_the_queue(
    app: TestClient,
    make_person: Callable[..., Person],
    browser_as: Callable[..., Any],
    session: Session,
) -> None:
    files = {"screenshot": ("s.png", png(), "image/png")}
    assert (
        app.post("/report", data={"url": LOOKALIKE, "description": "fake"}, files=files).status_code
        == 200
    )
    saved = session.exec(select(FindingReport)).one()
    finding = session.exec(select(Finding)).one()
    designee = browser_as(make_person(Role.designee))
    page = designee.get(f"/findings/{finding.id}")
    assert page.status_code == 200
    assert saved.reference in page.text and "fake" in page.text
    assert f"/findings/{finding.id}/reports/{saved.id}/screenshot" in page.text
    queue = designee.get("/findings", source="report")
    assert queue.status_code == 200 and "@Riverbend_Techs" in queue.text
    assert "@Riverbend_Techs" not in designee.get("/findings", source="scan").text
    assert designee.get("/findings", source="gossip").status_code == 422
