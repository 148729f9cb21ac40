"""The audit chain: written with every change, and tampering is detected."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from service.audit import service as audit
from service.audit.models import AuditEntry
from service.db import session_scope
from tests.conftest import Person


@pytest.fixture
def chain(
    database_url_factory: Callable[[str], str], request: pytest.FixtureRequest, engine: Engine
) -> Engine:
    """A committed chain of five entries in a database of the same kind as `engine`."""
    from service import migrations
    from service.db import make_engine

    url = database_url_factory(engine.dialect.name)
    migrations.upgrade(url)
    fresh = make_engine(url)
    request.addfinalizer(fresh.dispose)
    for n in range(5):
        with session_scope(fresh) as session:
            audit.record(
                session,
                actor="test",
                action="thing.changed",
                subject_type="thing",
                subject_id=n,
                before={"n": n},
                after={"n": n + 1, "note": "café ✓"},
            )
    return fresh


def test_an_untouched_chain_verifies(chain: Engine) -> None:
    report = audit.verify_chain(chain)
    assert report.intact and report.entries == 5


def test_an_empty_chain_verifies(engine: Engine) -> None:
    assert audit.verify_chain(engine).intact


@pytest.mark.parametrize(
    ("tamper", "bad_id"),
    [
        ("UPDATE audit_entry SET actor = 'mallory' WHERE id = 3", 3),
        ("UPDATE audit_entry SET after = '{\"n\": 99}' WHERE id = 2", 2),
        ("DELETE FROM audit_entry WHERE id = 3", 4),
        ("DELETE FROM audit_entry WHERE id = 5", 5),
        ("DELETE FROM audit_entry WHERE id = 1", 2),
    ],
)
def test_editing_or_deleting_any_row_is_detected(chain: Engine, tamper: str, bad_id: int) -> None:
    with chain.begin() as connection:
        connection.execute(text(tamper))
    report = audit.verify_chain(chain)
    assert not report.intact
    assert report.first_bad_id == bad_id


def test_entries_link_to_their_predecessor(session: Session) -> None:
    first = audit.record(session, actor="a", action="x.y", subject_type="x", subject_id=1)
    second = audit.record(session, actor="a", action="x.y", subject_type="x", subject_id=2)
    assert second.prev_hash == first.hash
    assert second.hash == audit.entry_hash(second)
    assert session.get(AuditEntry, second.id) is second


def test_the_audit_api_filters_by_actor_and_time(
    app: TestClient, superintendent: Person, staff: Person
) -> None:
    from datetime import UTC, datetime, timedelta

    from service import clock

    clock.freeze(datetime(2026, 3, 1, 9, tzinfo=UTC))
    app.post("/api/v1/accounts", json={"url": "https://x.com/EarlyOne"}, headers=staff.headers)
    clock.freeze(datetime(2026, 6, 1, 9, tzinfo=UTC))
    app.post("/api/v1/accounts", json={"url": "https://x.com/LaterOne"}, headers=staff.headers)
    headers = superintendent.headers

    def actions(**params: str) -> list[str]:
        response = app.get("/api/v1/audit", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [e["after"]["handle"] for e in response.json() if e["action"] == "account.requested"]

    assert actions(actor=staff.email) == ["LaterOne", "EarlyOne"]
    assert actions(actor="someone@else.example") == []
    assert actions(since="2026-05-01T00:00:00Z") == ["LaterOne"]
    assert actions(until="2026-05-01T00:00:00+00:00") == ["EarlyOne"]
    start = datetime(2026, 6, 1, 9, tzinfo=UTC) + timedelta(seconds=1)
    assert actions(since=start.isoformat()) == []
    ambiguous = app.get("/api/v1/audit", params={"since": "2026-05-01"}, headers=headers)
    assert ambiguous.status_code == 422
    assert "since" in ambiguous.text


def test_rewinding_the_head_over_deleted_entries_is_detected(chain: Engine) -> None:
    with chain.begin() as connection:
        fourth = connection.execute(text("SELECT hash FROM audit_entry WHERE id = 4")).scalar()
        connection.execute(text("DELETE FROM audit_entry WHERE id = 5"))
        connection.execute(
            text("UPDATE audit_head SET last_entry_id = 4, last_hash = :h"), {"h": fourth}
        )
    report = audit.verify_chain(chain)
    assert not report.intact
    assert report.problem == "the chain head was rewritten"
