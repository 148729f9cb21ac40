"""Open redirects: wherever a sign-in or sign-out sends the browser next, it stays on this site.

Every `next` goes through `safe_next`; the property below holds it to what a browser would
do with the result (WHATWG URL parsing strips tabs and newlines and reads a backslash as a
slash), and the routes are checked with the tricks people actually use. The OIDC callback's
own redirect is checked end to end in `test_oidc.py` (`test_next_off_site_is_ignored`).
"""

import re
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from service.auth.oidc import MAX_NEXT_LENGTH, safe_next
from service.settings import Settings
from service.users import service as users

SITE = "https://school.example/accounts/"
HOSTILE = [
    "//evil.example",
    "https://evil.example",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "%2F%2Fevil.example",
    "/\t/evil.example",
    "\t//evil.example",
    "/\n/evil.example",
    " //evil.example",
    "/\r\nLocation: https://evil.example",
    "///evil.example",
    "//evil.example/%2F..",
    "https:/\\evil.example",
    "data:text/html,<script>alert(1)</script>",
    "/" + "a" * 5000,
]


def browser_target(location: str) -> tuple[str, str]:
    """Scheme and host a browser would go to from a page on SITE, following `location`."""
    cleaned = re.sub(r"[\t\n\r]", "", location.strip("".join(map(chr, range(0x21)))))
    resolved = urlsplit(urljoin(SITE, cleaned.replace("\\", "/")))
    return resolved.scheme, resolved.netloc


@settings(max_examples=200)
@given(candidate=st.text() | st.builds("{}{}".format, st.sampled_from(HOSTILE), st.text()))
@example(candidate="/accounts?page=2")
def test_safe_next_only_ever_names_a_path_on_this_site(candidate: str) -> None:
    destination = safe_next(candidate)

    assert destination.startswith("/")
    assert browser_target(destination) == ("https", "school.example")


@pytest.mark.parametrize("candidate", HOSTILE)
def test_safe_next_refuses_each_trick(candidate: str) -> None:
    assert safe_next(candidate) == "/"


# Where the browser goes next does not depend on the database: SQLite is enough.
SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


@pytest.fixture
def demo_person(settings: Settings, session: Session, monkeypatch: pytest.MonkeyPatch) -> str:
    """The demo on, with its first user on file; their email."""
    from service.demo import DEMO_USERS

    monkeypatch.setattr(settings, "demo", True)
    email, role, name = DEMO_USERS[0]
    users.add_user(session, actor="test", email=email, role=role, name=name)
    session.commit()
    return email


def hidden_next(page: str) -> str:
    (value,) = re.findall(r'<input type="hidden" name="next" value="([^"]*)">', page)
    return unescape(value)


def csrf_token(page: str) -> str:
    (value,) = re.findall(r'name="csrf_token" value="([^"]*)"', page)
    return str(value)


@SQLITE_ONLY
def test_the_sign_in_page_and_demo_sign_in_go_home_instead(
    app: TestClient, demo_person: str
) -> None:
    for candidate in HOSTILE:
        page = app.get("/login", params={"next": candidate}, headers={"accept": "text/html"})
        assert page.status_code == 200, page.text
        assert hidden_next(page.text) == "/", candidate

        form = {"email": demo_person, "next": candidate, "csrf_token": csrf_token(page.text)}
        signed_in = app.post("/login/demo", data=form, follow_redirects=False)
        if len(candidate) > MAX_NEXT_LENGTH:  # refused by the form's own limit
            assert signed_in.status_code == 422, candidate
            continue
        assert signed_in.status_code == 303, signed_in.text
        assert signed_in.headers["location"] == "/", candidate


@pytest.fixture
def oidc_on(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-in through an issuer (never contacted: /login only hands over to /login/oidc)."""
    monkeypatch.setattr(settings, "oidc_issuer", "https://id.school.example")
    monkeypatch.setattr(settings, "oidc_client_id", "imprimatur")
    monkeypatch.setattr(settings, "oidc_client_secret", "secret")


def handed_over_next(app: TestClient, candidate: str) -> str:
    """The `next` that /login passes on to /login/oidc, as that route will read it."""
    response = app.get("/login", params={"next": candidate}, follow_redirects=False)
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("", "", "/login/oidc")
    (value,) = parse_qs(location.query)["next"]
    return value


@SQLITE_ONLY
@pytest.mark.usefixtures("oidc_on")
def test_sign_in_through_the_issuer_hands_over_only_a_local_path_whole(app: TestClient) -> None:
    for candidate in HOSTILE:
        assert handed_over_next(app, candidate) == "/", candidate
    for local in ("/accounts?page=2&status=requested", "/findings#open", "/a%2F%2Fb"):
        assert handed_over_next(app, local) == local


@SQLITE_ONLY
def test_signing_out_goes_home_whatever_is_asked(app: TestClient) -> None:
    for candidate in HOSTILE[:6]:
        response = app.post("/logout", params={"next": candidate}, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/")
        page = app.get("/logout", params={"next": candidate}, follow_redirects=False)
        assert (page.status_code, page.headers["location"]) == (303, "/")


@SQLITE_ONLY
def test_an_error_page_links_back_only_to_this_site(app: TestClient) -> None:
    for referer in ("https://evil.example/accounts", "http://testserver//evil.example/x"):
        page = app.get("/no/such/page", headers={"accept": "text/html", "referer": referer})
        assert page.status_code == 404
        assert "evil.example" not in page.text, referer
