"""Public verification: anyone can ask if an account is official, and learns nothing private."""

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Person

X_SPELLINGS = [
    "https://x.com/RiverbendTech",
    "http://twitter.com/riverbendtech",
    "twitter.com/RIVERBENDTECH/",
    "https://mobile.twitter.com/RiverbendTech?ref_src=twsrc",
    "https://www.x.com/RiverbendTech/status/1234567890",
    " https://X.com/RiverbendTech#top ",
]


@pytest.fixture
def official_x(app: TestClient, staff: Person, superintendent: Person) -> dict[str, object]:
    account = app.post(
        "/api/v1/accounts",
        json={"url": "https://x.com/RiverbendTech", "display_name": "Riverbend Tech"},
        headers=staff.headers,
    ).json()
    app.post(f"/api/v1/accounts/{account['id']}/authorize", headers=superintendent.headers)
    result: dict[str, object] = account
    return result


@pytest.mark.usefixtures("official_x")
@pytest.mark.parametrize("url", X_SPELLINGS)
def test_every_spelling_of_an_official_url_is_official(app: TestClient, url: str) -> None:
    answer = app.get("/api/v1/public/verify", params={"url": url})
    assert answer.status_code == 200
    body = answer.json()
    assert body["official"] is True
    assert body["account"]["handle"] == "RiverbendTech"
    assert body["account"]["display_name"] == "Riverbend Tech"


@pytest.mark.usefixtures("official_x")
@pytest.mark.parametrize(
    "url",
    [
        "https://x.com/RiverbendTech_",
        "https://x.com/RiverbendTeck",
        "https://x.com/R1verbendTech",
        "https://www.instagram.com/RiverbendTech",
    ],
)
def test_lookalikes_are_not_official(app: TestClient, url: str) -> None:
    body = app.get("/api/v1/public/verify", params={"url": url}).json()
    assert body["official"] is False
    assert body["account"] is None


@pytest.mark.usefixtures("official_x")
def test_platform_and_handle_form(app: TestClient) -> None:
    yes = app.get("/api/v1/public/verify", params={"platform": "x", "handle": "@riverbendtech"})
    assert yes.json()["official"] is True
    no = app.get("/api/v1/public/verify", params={"platform": "x", "handle": "riverbendtec"})
    assert no.json()["official"] is False


def test_requested_suspended_and_revoked_accounts_are_not_official(
    app: TestClient, official_x: dict[str, object], superintendent: Person
) -> None:
    url = "https://x.com/RiverbendTech"
    app.post(f"/api/v1/accounts/{official_x['id']}/suspend", headers=superintendent.headers)
    assert app.get("/api/v1/public/verify", params={"url": url}).json()["official"] is False
    app.post(f"/api/v1/accounts/{official_x['id']}/reinstate", headers=superintendent.headers)
    assert app.get("/api/v1/public/verify", params={"url": url}).json()["official"] is True


@pytest.mark.usefixtures("official_x")
def test_directory_lists_only_public_fields(app: TestClient, staff: Person) -> None:
    app.post("/api/v1/accounts", json={"url": "https://tiktok.com/@pending"}, headers=staff.headers)
    directory = app.get("/api/v1/public/accounts")
    assert directory.status_code == 200
    entries = directory.json()
    assert [e["handle"] for e in entries] == ["RiverbendTech"]
    assert set(entries[0]) == {
        "platform",
        "handle",
        "url",
        "display_name",
        "purpose",
        "official_since",
    }
    assert staff.email not in directory.text


@pytest.mark.parametrize(
    "params",
    [{}, {"url": "https://evil.example/x"}, {"platform": "x"}, {"platform": "nope", "handle": "a"}],
)
def test_unanswerable_questions_are_422(app: TestClient, params: dict[str, str]) -> None:
    response = app.get("/api/v1/public/verify", params=params)
    assert response.status_code == 422
    assert response.json()["error"]["message"]
