"""OpenID Connect sign-in, end to end against a real (in-process) OpenID provider.

The provider (`oidc-provider-mock`) is a genuine authlib authorization server: it signs ID
tokens, checks the nonce, and forgets a code once redeemed. It does not check PKCE, so the
tests check our half of it by reading the token request authlib sends.
"""

import base64
import hashlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, urlsplit

import httpx2
import oidc_provider_mock
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.audit.models import AuditEntry
from service.settings import Settings, get_settings
from service.users import service as users
from service.users.models import Role

SESSION_COOKIE = "imprimatur_session"
STAFF_DOMAIN = "staff.example"
SETTINGS_OVERRIDES = "oidc_overrides"


@dataclass(frozen=True)
class Provider:
    url: str

    def add_user(self, claims: dict[str, Any]) -> str:
        """Registers claims under a fresh subject (the provider's users outlive one test)."""
        sub = f"sub-{uuid.uuid4().hex}"
        response = httpx2.put(f"{self.url}/users/{quote(sub)}", json=claims)
        assert response.status_code == 204, response.text
        return sub

    def approve(self, authorization_url: str, sub: str) -> str:
        """What the user's click on the provider's consent form does: the callback URL."""
        response = httpx2.post(authorization_url, data={"sub": sub})
        assert response.status_code == 302, response.text
        return response.headers["location"]


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with oidc_provider_mock.run_server_in_thread() as server:
        yield Provider(f"http://localhost:{server.server_port}")


@pytest.fixture
def oidc_overrides(request: pytest.FixtureRequest) -> dict[str, str | None]:
    """Per-test changes to the OIDC environment (parametrize indirectly); None unsets."""
    overrides: dict[str, str | None] = getattr(request, "param", {})
    return overrides


@pytest.fixture
def settings(
    settings: Settings,
    provider: Provider,
    oidc_overrides: dict[str, str | None],
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    """The conftest settings, pointed at the provider before anything reads them."""
    environment: dict[str, str | None] = {
        "IMPRIMATUR_OIDC_ISSUER": provider.url,
        "IMPRIMATUR_OIDC_CLIENT_ID": "imprimatur",
        "IMPRIMATUR_OIDC_CLIENT_SECRET": "imprimatur-secret",
        "IMPRIMATUR_OIDC_STAFF_DOMAIN": STAFF_DOMAIN,
        "IMPRIMATUR_BASE_URL": "http://testserver",
        **oidc_overrides,
    }
    for name, value in environment.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def token_requests(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    """Form bodies authlib posts to the token endpoint, as the provider receives them."""
    sent: list[dict[str, str]] = []
    original = httpx2.AsyncClient.send

    async def spy(self: httpx2.AsyncClient, request: httpx2.Request, **kwargs: Any) -> Any:
        if request.url.path == "/oauth2/token":
            sent.append(dict(parse_qsl(request.content.decode())))
        return await original(self, request, **kwargs)

    monkeypatch.setattr(httpx2.AsyncClient, "send", spy)
    return sent


def start_login(app: TestClient, next_path: str | None = None) -> str:
    """GET /login; returns the provider's authorization URL it redirects to."""
    params = {"next": next_path} if next_path is not None else {}
    response: httpx2.Response = app.get("/login/oidc", params=params, follow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def callback(app: TestClient, callback_url: str) -> httpx2.Response:
    parts = urlsplit(callback_url)
    response: httpx2.Response = app.get(f"{parts.path}?{parts.query}", follow_redirects=False)
    return response


def sign_in(
    app: TestClient, provider: Provider, claims: dict[str, Any], next_path: str | None = None
) -> httpx2.Response:
    sub = provider.add_user(claims)
    return callback(app, provider.approve(start_login(app, next_path), sub))


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def me_status(app: TestClient) -> int:
    response: httpx2.Response = app.get("/api/v1/me")
    return response.status_code


def assert_refused(response: httpx2.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == {401: "unauthenticated", 403: "forbidden"}[status]
    assert words in error["message"]


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


MakePerson = Callable[..., Any]


def test_provisioned_user_signs_in_with_pkce(
    app: TestClient,
    provider: Provider,
    make_person: MakePerson,
    token_requests: list[dict[str, str]],
) -> None:
    person = make_person(Role.designee)
    sub = provider.add_user({"email": person.email.upper(), "name": "Dee Signee"})

    authorization_url = start_login(app)
    authorization = query(authorization_url)
    assert authorization_url.startswith(f"{provider.url}/oauth2/authorize?")
    assert authorization["redirect_uri"] == "http://testserver/auth/callback"
    assert authorization["code_challenge_method"] == "S256"
    assert authorization["scope"] == "openid email profile"
    assert authorization["nonce"]

    response = callback(app, provider.approve(authorization_url, sub))

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"
    [token_request] = token_requests
    assert token_request["grant_type"] == "authorization_code"
    assert token_request["redirect_uri"] == "http://testserver/auth/callback"
    assert s256(token_request["code_verifier"]) == authorization["code_challenge"]
    me = app.get("/api/v1/me")
    assert me.status_code == 200, me.text
    assert me.json()["email"] == person.email
    assert me.json()["role"] == "designee"


def test_local_next_path_is_where_sign_in_ends(
    app: TestClient, provider: Provider, make_person: MakePerson
) -> None:
    person = make_person(Role.staff)

    response = sign_in(app, provider, {"email": person.email}, next_path="/accounts?page=2")

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/accounts?page=2"


@pytest.mark.parametrize(
    "next_path",
    ["//evil.com", "https://evil.com", "/\\evil.com", "evil.com", "/ok\r\nSet-Cookie: x=1"],
)
def test_next_off_site_is_ignored(
    app: TestClient, provider: Provider, make_person: MakePerson, next_path: str
) -> None:
    person = make_person(Role.staff)

    response = sign_in(app, provider, {"email": person.email}, next_path=next_path)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"


def test_wrong_state_is_refused(
    app: TestClient, provider: Provider, make_person: MakePerson
) -> None:
    person = make_person(Role.staff)
    sub = provider.add_user({"email": person.email})
    callback_url = provider.approve(start_login(app), sub)

    forged = callback_url.replace("state=", "state=forged")
    response = callback(app, forged)

    assert_refused(response, 401, "start again at /login")
    assert me_status(app) == 401


def test_callback_without_login_is_refused(
    app: TestClient, provider: Provider, make_person: MakePerson
) -> None:
    """A callback URL lured into another browser (login CSRF) finds no state there."""
    person = make_person(Role.staff)
    sub = provider.add_user({"email": person.email})
    callback_url = provider.approve(start_login(app), sub)
    app.cookies.clear()

    assert_refused(callback(app, callback_url), 401, "start again at /login")
    assert me_status(app) == 401


def test_replayed_callback_is_refused(
    app: TestClient, provider: Provider, make_person: MakePerson
) -> None:
    person = make_person(Role.staff)
    sub = provider.add_user({"email": person.email})
    callback_url = provider.approve(start_login(app), sub)
    assert callback(app, callback_url).status_code == 303
    app.cookies.clear()

    same_url_again = callback(app, callback_url)
    assert_refused(same_url_again, 401, "start again at /login")

    fresh_state = query(start_login(app))["state"]
    code = query(callback_url)["code"]
    replayed_code = callback(app, f"/auth/callback?code={code}&state={fresh_state}")
    assert_refused(replayed_code, 401, "did not confirm")
    assert replayed_code.json()["error"]["reason"] == "invalid_grant"
    assert me_status(app) == 401


def test_denied_consent_is_refused(app: TestClient, provider: Provider) -> None:
    authorization_url = start_login(app)
    denied = httpx2.post(authorization_url, data={"action": "deny"})
    assert denied.status_code == 302, denied.text

    response = callback(app, denied.headers["location"])

    assert_refused(response, 401, "did not confirm")
    assert response.json()["error"]["reason"] == "access_denied"


def test_unknown_user_is_forbidden(app: TestClient, provider: Provider) -> None:
    response = sign_in(app, provider, {"email": "Stranger@Elsewhere.example", "name": "S"})

    assert_refused(response, 403, "stranger@elsewhere.example is not provisioned in Imprimatur")
    assert "superintendent" in response.json()["error"]["message"]
    assert me_status(app) == 401


def test_deactivated_user_is_forbidden(
    app: TestClient, provider: Provider, make_person: MakePerson, session: Session
) -> None:
    person = make_person(Role.staff)
    person.user.active = False
    session.add(person.user)
    session.commit()

    response = sign_in(app, provider, {"email": person.email})

    assert_refused(response, 403, "deactivated")
    assert me_status(app) == 401


def test_staff_domain_user_is_provisioned_as_staff(
    app: TestClient, provider: Provider, session: Session
) -> None:
    email = f"new-{uuid.uuid4().hex[:8]}@{STAFF_DOMAIN.upper()}"

    response = sign_in(app, provider, {"email": email, "name": "New Teacher"})

    assert response.status_code == 303, response.text
    me = app.get("/api/v1/me").json()
    assert (me["email"], me["role"], me["name"]) == (email.lower(), "staff", "New Teacher")
    user = users.find_by_email(session, email)
    assert user is not None
    added = session.exec(
        select(AuditEntry).where(
            AuditEntry.action == "user.added", AuditEntry.subject_id == str(user.id)
        )
    ).one()
    assert added.actor == "oidc"


@pytest.mark.parametrize(
    SETTINGS_OVERRIDES, [{"IMPRIMATUR_OIDC_STAFF_DOMAIN": None}], indirect=True
)
def test_without_staff_domain_nobody_is_provisioned(app: TestClient, provider: Provider) -> None:
    response = sign_in(app, provider, {"email": f"someone@{STAFF_DOMAIN}"})

    assert_refused(response, 403, "is not provisioned")


@pytest.mark.parametrize(
    ("claims", "words"),
    [
        ({"name": "No Email"}, "did not share an email"),
        ({"email": "unverified@staff.example", "email_verified": False}, "has not verified"),
    ],
)
def test_untrustworthy_email_is_refused(
    app: TestClient, provider: Provider, claims: dict[str, Any], words: str
) -> None:
    response = sign_in(app, provider, claims)

    assert_refused(response, 401, words)
    assert me_status(app) == 401


def test_logout_ends_the_session_server_side(
    app: TestClient, provider: Provider, make_person: MakePerson
) -> None:
    person = make_person(Role.staff)
    assert sign_in(app, provider, {"email": person.email}).status_code == 303
    kept_cookie = app.cookies[SESSION_COOKIE]
    app.cookies.clear()
    app.cookies.set(SESSION_COOKIE, kept_cookie)
    assert me_status(app) == 200, "the cookie alone carries the session"

    forged = app.post("/logout", follow_redirects=False)
    assert forged.status_code == 400, "a logout from another site is refused"
    assert me_status(app) == 200

    page = app.get("/", headers={"accept": "text/html"}).text
    token = page.split('data-csrf-token="')[1].split('"')[0]
    response = app.post("/logout", data={"csrf_token": token}, follow_redirects=False)

    assert response.status_code == 303
    assert me_status(app) == 401
    app.cookies.clear()
    app.cookies.set(SESSION_COOKIE, kept_cookie)
    assert me_status(app) == 401


def test_signing_in_again_ends_the_earlier_session(
    app: TestClient, provider: Provider, make_person: MakePerson
) -> None:
    first, second = make_person(Role.staff), make_person(Role.auditor)
    assert sign_in(app, provider, {"email": first.email}).status_code == 303
    first_cookie = app.cookies[SESSION_COOKIE]

    assert sign_in(app, provider, {"email": second.email}).status_code == 303

    assert app.get("/api/v1/me").json()["email"] == second.email
    app.cookies.clear()
    app.cookies.set(SESSION_COOKIE, first_cookie)
    assert me_status(app) == 401


def test_session_cookie_is_httponly_and_lax(
    app: TestClient, provider: Provider, make_person: MakePerson
) -> None:
    person = make_person(Role.staff)

    response = sign_in(app, provider, {"email": person.email})

    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie


@pytest.mark.parametrize(
    SETTINGS_OVERRIDES, [{"IMPRIMATUR_BASE_URL": "https://imprimatur.example"}], indirect=True
)
def test_session_cookie_is_secure_over_https(
    app: TestClient, provider: Provider, make_person: MakePerson
) -> None:
    person = make_person(Role.staff)
    app.base_url = httpx2.URL("https://testserver")
    sub = provider.add_user({"email": person.email})
    authorization_url = start_login(app)
    assert query(authorization_url)["redirect_uri"] == "https://imprimatur.example/auth/callback"

    response = callback(app, provider.approve(authorization_url, sub))

    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"].lower()
    assert "secure" in cookie
    assert "httponly" in cookie
    assert me_status(app) == 200


@pytest.mark.parametrize(
    SETTINGS_OVERRIDES,
    [{"IMPRIMATUR_OIDC_ISSUER": None, "IMPRIMATUR_OIDC_CLIENT_ID": None}],
    indirect=True,
)
@pytest.mark.parametrize("path", ["/login/oidc", "/auth/callback?code=x&state=y"])
def test_sign_in_when_not_configured_says_so(app: TestClient, path: str) -> None:
    response = app.get(path, follow_redirects=False)

    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert "Sign-in is not configured" in error["message"]
    assert "IMPRIMATUR_OIDC_ISSUER" in error["message"]


@pytest.mark.parametrize(
    SETTINGS_OVERRIDES, [{"IMPRIMATUR_OIDC_ISSUER": "http://127.0.0.1:9"}], indirect=True
)
def test_unreachable_issuer_is_a_clear_502(app: TestClient) -> None:
    response = app.get("/login/oidc", follow_redirects=False)

    assert response.status_code == 502
    assert response.json()["error"]["code"] == "issuer_unavailable"


def test_the_schema_documents_the_sign_in_redirects(app: TestClient) -> None:
    paths = app.get("/openapi.json").json()["paths"]
    assert "303" in paths["/logout"]["post"]["responses"]
    assert "303" in paths["/auth/callback"]["get"]["responses"]
    assert "302" in paths["/login/oidc"]["get"]["responses"]
    response = app.post("/logout", follow_redirects=False)  # no session: nothing to forge
    assert response.status_code == 303
