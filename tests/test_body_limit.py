"""Oversized request bodies are refused with a 413 before anything reads them, and nothing is
stored; uploads keep their own, larger allowance. The limit is a setting (`max_body_bytes`)."""

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, func, select

from service.audit.models import AuditEntry
from service.body_limit import MULTIPART_ALLOWANCE
from service.settings import Settings, get_settings
from service.users.models import User
from tests.conftest import Person

# The limit does not depend on the database: SQLite is enough.
pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
TWENTY_MB = 20 * 1024 * 1024
ROSTER_HEADER = b"full_name,site\n"


@pytest.fixture
def settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Small limits, so the tests send kilobytes rather than megabytes to cross them."""
    monkeypatch.setenv("IMPRIMATUR_MAX_BODY_BYTES", "4096")
    monkeypatch.setenv("IMPRIMATUR_MAX_UPLOAD_BYTES", "8192")
    get_settings.cache_clear()
    return get_settings()


def new_user(name: str) -> dict[str, str]:
    return {"email": "new@school.example", "role": "staff", "name": name}


def stored(session: Session) -> tuple[int, int]:
    users = session.exec(select(func.count()).select_from(User)).one()
    audit = session.exec(select(func.count()).select_from(AuditEntry)).one()
    return users, audit


def assert_too_large(response: Response) -> None:
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "too_large" and "larger than" in error["message"]


def test_a_20_mb_json_body_is_413_and_nothing_is_stored(
    app: TestClient, superintendent: Person, session: Session
) -> None:
    before = stored(session)
    body = json.dumps(new_user("x" * TWENTY_MB)).encode()

    response = app.post(
        "/api/v1/users",
        content=body,
        headers={**superintendent.headers, "content-type": "application/json"},
    )

    assert_too_large(response)
    assert stored(session) == before
    accepted = app.post("/api/v1/users", json=new_user("Nell"), headers=superintendent.headers)
    assert accepted.status_code == 201, accepted.text


def chunks(total: int, size: int = 1024) -> Iterator[bytes]:
    """A body sent without a Content-Length: the limit counts what actually arrives."""
    yield b'{"email": "new@school.example", "role": "staff", "name": "'
    for _ in range(total // size):
        yield b"x" * size
    yield b'"}'


def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit(
    app: TestClient, superintendent: Person, session: Session, settings: Settings
) -> None:
    before = stored(session)

    response = app.post(
        "/api/v1/users",
        content=chunks(settings.max_body_bytes * 2),
        headers={**superintendent.headers, "content-type": "application/json"},
    )

    assert_too_large(response)
    assert stored(session) == before


def roster(rows: int) -> bytes:
    return ROSTER_HEADER + b"".join(b"Student %d,North\n" % i for i in range(rows))


def test_an_upload_may_exceed_the_body_limit_but_not_its_own(
    app: TestClient, superintendent: Person, session: Session, settings: Settings
) -> None:
    within = roster(400)  # past max_body_bytes, within max_upload_bytes
    assert settings.max_body_bytes < len(within) < settings.max_upload_bytes
    imported = app.post(
        "/api/v1/students/import",
        files={"file": ("roster.csv", within, "text/csv")},
        headers=superintendent.headers,
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 400

    before = stored(session)
    beyond = roster(1) + b"x" * (settings.max_upload_bytes + MULTIPART_ALLOWANCE)
    refused = app.post(
        "/api/v1/students/import",
        files={"file": ("roster.csv", beyond, "text/csv")},
        headers=superintendent.headers,
    )
    assert_too_large(refused)
    assert stored(session) == before


def test_an_oversized_page_form_is_a_413_page(app: TestClient) -> None:
    response = app.post(
        "/report",
        data={"url": "https://x.com/" + "x" * 8192, "description": "An impostor."},
        headers={"accept": "text/html"},
    )
    assert response.status_code == 413
    assert "text/html" in response.headers["content-type"]
