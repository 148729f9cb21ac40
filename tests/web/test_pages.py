"""The web layer itself: sign-in pages, the dashboard, errors as pages, CSRF and headers."""

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.accounts import service as accounts
from service.accounts.models import AccountRequest
from service.settings import Settings
from service.users.models import Role
from service.web.security import CONTENT_SECURITY_POLICY
from tests.conftest import Browser, Person
from workflows.platforms import Platform

HTML = {"accept": "text/html"}


def test_signed_out_visitors_get_the_public_start_page(app: TestClient) -> None:
    page = app.get("/", headers=HTML)
    assert page.status_code == 200
    assert 'action="/verify"' in page.text and "Staff sign-in" in page.text


def test_a_signed_out_browser_is_sent_to_sign_in_and_brought_back(app: TestClient) -> None:
    response = app.get("/accounts?status=requested", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Faccounts%3Fstatus%3Drequested"


def test_api_callers_keep_json_errors(app: TestClient) -> None:
    response = app.get("/api/v1/accounts", headers=HTML)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_an_unknown_page_is_a_page_that_leaks_nothing(app: TestClient) -> None:
    response = app.get("/no/such/page", headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text and "Traceback" not in response.text


def test_a_role_without_access_gets_a_403_page(
    browser_as: Callable[[Person], Browser], make_person: Callable[..., Person]
) -> None:
    browser = browser_as(make_person(Role.staff))
    response = browser.get("/audit")
    assert response.status_code == 403
    assert "Not allowed" in response.text


def test_every_page_carries_a_strict_content_security_policy(app: TestClient) -> None:
    for path in ("/", "/verify", "/directory", "/login", "/static/style.css", "/missing"):
        headers = app.get(path, headers=HTML).headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert headers["x-content-type-options"] == "nosniff"
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY


def test_pages_have_no_inline_script_or_style(
    app: TestClient, browser_as: Callable[[Person], Browser], superintendent: Person
) -> None:
    pages = [app.get(path, headers=HTML).text for path in ("/", "/verify", "/directory")]
    pages.append(browser_as(superintendent).get("/").text)
    for text in pages:
        assert "<script>" not in text and "style=" not in text and "<style" not in text


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (Role.staff, ["/posts", "/accounts"], ["/audit", "/findings", "/review"]),
        (Role.auditor, ["/audit", "/findings"], ["/review"]),
        (Role.superintendent, ["/audit", "/findings", "/review", "/consents"], []),
    ],
)
def test_the_menu_offers_exactly_the_pages_a_role_may_open(
    browser_as: Callable[[Person], Browser],
    make_person: Callable[..., Person],
    role: Role,
    shown: list[str],
    hidden: list[str],
) -> None:
    page = browser_as(make_person(role)).get("/").text
    menu = page.split('aria-label="Main"')[1].split("</nav>")[0]
    for path in shown:
        assert f'href="{path}"' in menu
    for path in hidden:
        assert f'href="{path}"' not in menu


def test_the_dashboard_shows_what_waits_for_the_superintendent(
    browser_as: Callable[[Person], Browser], superintendent: Person, session: Session
) -> None:
    requested = accounts.request_account(
        session,
        superintendent.user,
        AccountRequest(platform=Platform.x, handle="northfield_news", purpose="News"),
    )
    session.commit()
    page = browser_as(superintendent).get("/")
    assert page.status_code == 200
    assert "Findings to triage" in page.text and "Posts to approve" in page.text
    assert "account.requested" in page.text  # recent activity, from the audit log
    assert requested.id is not None


def test_a_state_change_without_the_csrf_token_is_refused(
    browser_as: Callable[[Person], Browser], superintendent: Person
) -> None:
    browser = browser_as(superintendent)
    forged = browser.client.post(
        "/api/v1/accounts",
        json={"platform": "x", "handle": "forged_request", "purpose": "x"},
    )
    assert forged.status_code == 400
    assert forged.json()["error"]["code"] == "csrf"
    wrong = browser.client.post(
        "/api/v1/accounts",
        json={"platform": "x", "handle": "forged_request", "purpose": "x"},
        headers={"x-csrf-token": "not-the-token"},
    )
    assert wrong.status_code == 400
    sent = browser.client.post(
        "/api/v1/accounts",
        json={"platform": "x", "handle": "real_request", "purpose": "x"},
        headers={"x-csrf-token": browser.csrf_token},
    )
    assert sent.status_code == 201, sent.text


def test_bearer_token_callers_need_no_csrf_token(app: TestClient, superintendent: Person) -> None:
    response = app.post(
        "/api/v1/accounts",
        json={"platform": "x", "handle": "api_request", "purpose": "x"},
        headers=superintendent.headers,
    )
    assert response.status_code == 201


def test_login_page_without_demo_or_oidc_says_sign_in_is_not_configured(app: TestClient) -> None:
    page = app.get("/login", headers=HTML)
    assert page.status_code == 200
    assert "Sign-in is not configured" in page.text
    assert "Demo sign-in" not in page.text


def test_demo_sign_in_does_not_exist_outside_the_demo(app: TestClient) -> None:
    response = app.post("/login/demo", data={"email": "x@y.example"}, headers=HTML)
    assert response.status_code in {400, 404}
    assert "signed in" not in response.text


def test_demo_sign_in_offers_the_demo_users_and_signs_in(
    app: TestClient, settings: Settings, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.demo import DEMO_USERS
    from service.users import service as users

    monkeypatch.setattr(settings, "demo", True)
    email, role, name = DEMO_USERS[0]
    users.add_user(session, actor="test", email=email, role=role, name=name)
    session.commit()
    page = app.get("/login?next=/accounts", headers=HTML)
    assert f"Sign in as {name}" in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    without_token = app.post("/login/demo", data={"email": email}, follow_redirects=False)
    assert without_token.status_code == 400
    signed_in = app.post(
        "/login/demo",
        data={"email": email, "next": "/accounts", "csrf_token": token},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/accounts"
    assert "Waiting for you" in app.get("/", headers=HTML).text
    assert app.post(
        "/login/demo", data={"email": "intruder@evil.example", "csrf_token": token}
    ).status_code in {400, 404}


def test_signing_out_from_the_page_ends_the_session(
    browser_as: Callable[[Person], Browser], superintendent: Person
) -> None:
    browser = browser_as(superintendent)
    assert browser.post("/logout").status_code == 303
    assert browser.get("/accounts").status_code == 303  # back to sign-in


@pytest.mark.parametrize(
    "path",
    [
        *("/", "/accounts", "/posts", "/posts/new", "/review", "/consents", "/consents/import"),
        *("/findings", "/findings/scans", "/audit"),
    ],
)
def test_every_form_carries_this_sessions_csrf_token(
    browser_as: Callable[[Person], Browser], superintendent: Person, path: str
) -> None:
    """The test browser adds the token itself, so check the pages would send the right one."""
    browser = browser_as(superintendent)
    page = browser.get(path)
    assert page.status_code == 200, page.text
    tokens = re.findall(r'name="csrf_token" value="([^"]*)"', page.text)
    assert tokens, "every main page has at least the sign-out form"
    assert set(tokens) == {browser.csrf_token}


def test_an_error_page_keeps_the_person_signed_in_and_offers_the_way_back(
    browser_as: Callable[[Person], Browser], superintendent: Person
) -> None:
    browser = browser_as(superintendent)
    page = browser.client.get(
        "/accounts/999999",
        headers={"accept": "text/html", "referer": "http://testserver/accounts?status=requested"},
    )
    assert page.status_code == 404
    assert "Sign out" in page.text and "Staff sign-in" not in page.text
    assert 'href="/accounts?status=requested"' in page.text
    elsewhere = browser.client.get(
        "/accounts/999999", headers={"accept": "text/html", "referer": "https://evil.example/x"}
    )
    assert "evil.example" not in elsewhere.text


def test_the_logout_page_asks_before_signing_out(
    app: TestClient, browser_as: Callable[[Person], Browser], superintendent: Person
) -> None:
    browser = browser_as(superintendent)
    page = browser.get("/logout")
    assert page.status_code == 200 and 'action="/logout"' in page.text
    assert browser.get("/").text.count("Sign out") >= 1  # still signed in: GET changed nothing
    assert browser.post("/logout").status_code == 303
    assert browser.get("/logout").headers["location"] == "/"
