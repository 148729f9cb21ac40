"""The verify endpoint answers from an in-memory register that is never stale once a change
has committed, whichever process made it.

Two instances of the application on two engines of their own stand for two processes (two
`serve` workers, or a worker and the Celery worker): each keeps its own copy of the register,
and a change committed through one must be answered by the other on its very next request.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session

from service.accounts import service as accounts
from service.app import create_app
from service.db import get_session, make_engine, session_scope
from service.public import service as public
from service.users.models import Role
from tests.conftest import Person
from workflows.platforms import Platform

HANDLE = "RiverbendTech"
VERIFY = "/api/v1/public/verify"


@pytest.fixture
def other_instance(committed_database: str) -> Iterator[TestClient]:
    """A second application on an engine (pool, register copy) of its own: another process."""
    engine = make_engine(committed_database)
    application = create_app()

    def own_session() -> Iterator[Session]:
        with session_scope(engine) as session:
            yield session

    application.dependency_overrides[get_session] = own_session
    with TestClient(application, raise_server_exceptions=False) as client:
        yield client
    engine.dispose()


@pytest.fixture
def official_id(committed_database: str) -> int:
    with session_scope() as session:
        ref = accounts.resolve_reference(platform=Platform.x, handle=HANDLE)
        account = accounts.register_official(
            session, actor="test", ref=ref, display_name="Riverbend Tech"
        )
        assert account.id is not None
        return account.id


def answer(client: TestClient) -> dict[str, Any]:
    response = client.get(VERIFY, params={"url": f"https://x.com/{HANDLE}"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_revocation_through_one_instance_is_answered_by_the_other_at_once(
    live_app: TestClient,
    other_instance: TestClient,
    official_id: int,
    make_live_person: Callable[..., Person],
) -> None:
    superintendent = make_live_person(Role.superintendent)
    assert answer(live_app)["official"] is True  # both copies loaded, the account official
    assert answer(other_instance)["official"] is True

    revoked = other_instance.post(
        f"/api/v1/accounts/{official_id}/revoke",
        json={"reason": "Handed over to the district"},
        headers=superintendent.headers,
    )
    assert revoked.status_code == 200, revoked.text

    assert answer(live_app) == {
        "official": False,
        "platform": "x",
        "handle": HANDLE,
        "account": None,
        "institution": None,
    }


def test_a_correction_through_one_instance_is_answered_by_the_other(
    live_app: TestClient,
    other_instance: TestClient,
    official_id: int,
    make_live_person: Callable[..., Person],
) -> None:
    superintendent = make_live_person(Role.superintendent)
    assert answer(other_instance)["account"]["display_name"] == "Riverbend Tech"

    corrected = live_app.patch(
        f"/api/v1/accounts/{official_id}",
        json={"display_name": "Riverbend Technical College"},
        headers=superintendent.headers,
    )
    assert corrected.status_code == 200, corrected.text

    assert answer(other_instance)["account"]["display_name"] == "Riverbend Technical College"


@pytest.mark.usefixtures("official_id")
def test_an_unchanged_register_is_answered_from_memory(live_app: TestClient) -> None:
    """Once loaded, a lookup reads the version stamp and no account row."""
    assert answer(live_app)["official"] is True
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(Engine, "before_cursor_execute", record)  # every engine, the stamp's own too
    try:
        assert answer(live_app)["official"] is True
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert any("register_version" in sql for sql in statements)
    assert not any("official_account" in sql for sql in statements)


def test_a_session_sees_its_own_uncommitted_register_changes(
    session: Session, superintendent: Person
) -> None:
    """Within one transaction the stamp cannot show the change yet: the lookup reads through."""
    assert public.verify(session, platform=Platform.x, handle=HANDLE).official is False
    accounts.register_official(
        session,
        actor=superintendent.email,
        ref=accounts.resolve_reference(platform=Platform.x, handle=HANDLE),
        display_name="Riverbend Tech",
    )
    assert public.verify(session, platform=Platform.x, handle=HANDLE).official is True
