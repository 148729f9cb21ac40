"""The command line, end to end against a real database: what a new user does from the README."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from service.app import create_app
from service.cli import app as cli
from service.db import get_engine

SHARED_INSTITUTION = (
    Path(__file__).resolve().parents[2] / "shared/eval/impersonation/dev/institution.yaml"
)
DEMO_INSTITUTION = Path(__file__).resolve().parents[1] / "service/demo/institution.yaml"


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def database(committed_database: str) -> str:
    run("db", "upgrade")  # the CLI's own migration entry point, on an already current schema
    return committed_database


@pytest.fixture
def api(database: str) -> Iterator[TestClient]:
    with TestClient(create_app()) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token.strip()}"}


def test_the_readme_walkthrough(api: TestClient) -> None:
    run("users", "add", "boss@school.example", "--role", "superintendent", "--name", "Boss")
    run("users", "add", "comms@school.example", "--role", "staff")
    boss = bearer(run("tokens", "issue", "boss@school.example"))
    comms = bearer(run("tokens", "issue", "comms@school.example", "--expires-days", "30"))

    requested = api.post(
        "/api/v1/accounts", json={"url": "https://x.com/SchoolNews"}, headers=comms
    )
    account_id = requested.json()["id"]
    assert api.post(f"/api/v1/accounts/{account_id}/authorize", headers=comms).status_code == 403
    assert api.post(f"/api/v1/accounts/{account_id}/authorize", headers=boss).status_code == 200
    assert api.get("/api/v1/public/verify", params={"url": "twitter.com/schoolnews"}).json()[
        "official"
    ]

    assert "intact" in run("audit", "verify")
    with get_engine().begin() as connection:
        connection.execute(text("UPDATE audit_entry SET actor = 'someone-else' WHERE id = 3"))
    output = run("audit", "verify", code=2)
    assert "entry 3" in output


def test_tokens_are_listed_without_secrets_and_revocable(api: TestClient) -> None:
    run("users", "add", "a@school.example", "--role", "auditor")
    token = run("tokens", "issue", "a@school.example").strip()
    listing = run("tokens", "list", "a@school.example")
    assert token not in listing
    assert token[:12] in listing
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 200

    run("tokens", "revoke", "1")
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 401
    with get_engine().connect() as connection:
        stored = connection.execute(text("SELECT token_hash FROM api_token")).scalar_one()
    assert token not in stored


def test_expired_tokens_stop_working(api: TestClient) -> None:
    run("users", "add", "a@school.example", "--role", "staff")
    token = run("tokens", "issue", "a@school.example", "--expires-days", "1").strip()
    with get_engine().begin() as connection:
        connection.execute(text("UPDATE api_token SET expires_at = created_at"))
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 401


@pytest.mark.usefixtures("database")
def test_cli_errors_are_plain_and_nonzero() -> None:
    assert "No user" in run("tokens", "issue", "ghost@school.example", code=1)
    run("users", "add", "a@school.example", "--role", "staff")
    assert "already exists" in run("users", "add", "A@School.example", "--role", "staff", code=1)
    assert run("users", "add", "b@school.example", "--role", "janitor", code=2)
    assert "not an email address" in run("users", "add", "not-an-email", "--role", "staff", code=1)
    assert run("tokens", "issue", "a@school.example", "--expires-days", "99999999", code=2)


@pytest.mark.usefixtures("database")
def test_institution_import_authorizes_its_accounts_and_exports_back(
    api: TestClient, tmp_path: Path
) -> None:
    source = SHARED_INSTITUTION if SHARED_INSTITUTION.exists() else DEMO_INSTITUTION
    declared = yaml.safe_load(source.read_text())
    run("institution", "import", str(source))
    run("institution", "import", str(source))  # a second import changes nothing

    directory = api.get("/api/v1/public/accounts").json()
    assert sorted((e["platform"], e["handle"].lower()) for e in directory) == sorted(
        (a["platform"], a["handle"].lower()) for a in declared["official_accounts"]
    )
    run("users", "add", "audit@school.example", "--role", "auditor")
    auditor = bearer(run("tokens", "issue", "audit@school.example"))
    authorizations = api.get(
        "/api/v1/audit", params={"action": "account.authorize"}, headers=auditor
    ).json()
    assert len(authorizations) == len(declared["official_accounts"])

    exported = tmp_path / "out" / "institution.yaml"
    run("institution", "export", str(exported))
    document = yaml.safe_load(exported.read_text())
    assert document["name"] == declared["name"]
    assert document["aliases"] == declared["aliases"]
    assert len(document["official_accounts"]) == len(declared["official_accounts"])
    for logo in document["logos"]:
        assert (exported.parent / logo).read_bytes().startswith(b"\x89PNG")


@pytest.mark.usefixtures("database")
def test_a_bad_profile_changes_nothing(api: TestClient, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: Somewhere High\nlogos: [missing.png]\n"
        "official_accounts:\n- {platform: x, handle: SomewhereHigh}\n"
    )
    assert "missing.png" in run("institution", "import", str(bad), code=1)
    bad.write_text(
        "name: Somewhere High\nofficial_accounts:\n- {platform: x, handle: 'no spaces'}\n"
    )
    assert "no spaces" in run("institution", "import", str(bad), code=1)
    bad.write_text("- just\n- a list\n")
    assert "not a valid institution profile" in run("institution", "import", str(bad), code=1)
    assert api.get("/api/v1/public/accounts").json() == []
    assert "0 entries" in run("audit", "verify")
