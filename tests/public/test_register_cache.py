"""The verify endpoint answers from an in-memory register that is never stale once a change
has committed, whichever process made it.

Two instances of the application on two engines of their own stand for two processes (two
`serve` workers, or a worker and the Celery worker): each keeps its own copy of the register,
and a change committed through one must be answered by the other on its very next request.
"""

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session

from service.accounts import service as accounts
from service.app import create_app
from service.db import get_engine, get_session, make_engine, session_scope
from service.public import register
from service.public import service as public
from service.users.models import Role
from tests.conftest import Person
from workflows.platforms import Platform

HANDLE = "RiverbendTech"
REF = accounts.resolve_reference(platform=Platform.x, handle=HANDLE)
VERIFY = "/api/v1/public/verify"


@pytest.fixture
def other_instance(committed_database: str) -> Iterator[TestClient]:
    """A second application on an engine (pool, register copy) of its own: another process."""
    engine = make_engine(committed_database)
    application = create_app()

    def own_session() -> Iterator[Session]:
        with session_scope(engine) as session:
            yield session

    async def own_register() -> register.Register:
        return await register.committed(engine)

    application.dependency_overrides[get_session] = own_session
    application.dependency_overrides[register.public_register] = own_register
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


@pytest.fixture
def stamp_reads(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The stamps read for the verify route while the test runs, in order."""
    reads: list[str | None] = []
    read = register.StampWatch.read

    async def recorded(watch: register.StampWatch) -> str | None:
        reads.append(await read(watch))
        return reads[-1]

    monkeypatch.setattr(register.StampWatch, "read", recorded)
    return reads


@pytest.mark.usefixtures("official_id")
def test_an_unchanged_register_is_answered_from_memory(
    live_app: TestClient, stamp_reads: list[str | None]
) -> None:
    """Once loaded, a lookup reads the version stamp and no account row."""
    assert answer(live_app)["official"] is True
    stamp_reads.clear()
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(Engine, "before_cursor_execute", record)  # every engine's statements
    try:
        assert answer(live_app)["official"] is True
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert len(stamp_reads) == 1 and stamp_reads[0] is not None
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


def test_requests_arriving_during_a_stamp_read_share_the_next_one(
    official_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read already under way may predate a commit the later requests must see: they wait
    for the next read, and share it."""
    engine = get_engine()
    stamps: list[str | None] = []
    first_read, go_on = asyncio.Event(), asyncio.Event()
    read = register.StampWatch.read

    async def read_and_hold_the_first(watch: register.StampWatch) -> str | None:
        stamps.append(await read(watch))
        if len(stamps) == 2:  # the first after the warm-up
            first_read.set()
            await go_on.wait()
        return stamps[-1]

    monkeypatch.setattr(register.StampWatch, "read", read_and_hold_the_first)
    newcomer = accounts.resolve_reference(platform=Platform.x, handle="RiverbendNews")

    def register_newcomer() -> None:
        with session_scope() as session:
            accounts.register_official(session, actor="test", ref=newcomer, display_name="News")

    async def lookups() -> tuple[register.Register, list[register.Register]]:
        await register.committed(engine)  # the copy is loaded
        first = asyncio.create_task(register.committed(engine))
        await first_read.wait()
        await anyio.to_thread.run_sync(register_newcomer)
        later = [asyncio.create_task(register.committed(engine)) for _ in range(5)]
        await asyncio.sleep(0)  # they ask while the first read is still under way
        go_on.set()
        return await first, list(await asyncio.gather(*later))

    first, later = asyncio.run(lookups())
    assert first.official(newcomer) is None  # asked before the newcomer was registered
    assert all(copy.official(newcomer) is not None for copy in later)
    assert len(stamps) == 3
    assert stamps[0] == stamps[1] != stamps[2]


@pytest.mark.usefixtures("official_id")
def test_under_load_stamp_reads_are_spaced_and_shared(stamp_reads: list[str | None]) -> None:
    """Requests asking round after round for 50 ms are answered by at most one read per
    READ_SPACING_SECONDS (back to back, a read takes a fraction of that: many more)."""
    engine = get_engine()

    async def crowd() -> float:
        loop = asyncio.get_running_loop()
        await register.committed(engine)
        started = loop.time()
        while loop.time() - started < 0.05:
            copies = await asyncio.gather(*(register.committed(engine) for _ in range(4)))
            assert all(copy.official(REF) is not None for copy in copies)
        return loop.time() - started

    elapsed = asyncio.run(crowd())
    assert len(stamp_reads) <= elapsed / register.READ_SPACING_SECONDS + 2
