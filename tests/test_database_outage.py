"""The database going away: mid-request, at the start of a request, and coming back.

On PostgreSQL, a request's own connection is terminated (`pg_terminate_backend`, as a restart
or a failover does) after its first write reached the database, or just before it commits.
The caller gets a 503 in the shape it asked for (JSON error or HTML page), nothing of the
request is kept (no row, no audit entry), the audit chain still verifies, and once the database
is back the same request succeeds on a fresh connection.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import event
from sqlmodel import Session, SQLModel, col, func, select

from service.accounts.models import Account
from service.audit.models import AuditEntry
from service.audit.service import verify_chain
from service.db import get_engine, session_scope
from service.demo import DEMO_DIR
from service.findings.models import FindingReport
from service.institution import service as institution
from service.users.models import Role
from tests.conftest import Person

# Jobs a request defers are collected, not run on threads that would commit meanwhile.
pytestmark = [
    pytest.mark.parametrize("committed_database", ["postgresql"], indirect=True),
    pytest.mark.usefixtures("deferred"),
]
HTML = {"accept": "text/html"}
UNAVAILABLE = "The database is unavailable; nothing was saved."
LOOKALIKE = "https://x.com/Riverbend_Techs"


def admin_url() -> str:
    return get_engine().url.set(drivername="postgresql").render_as_string(hide_password=False)


def terminate(where: str, *args: object) -> None:
    """End the matching backends of the test database and wait until they are gone."""
    with psycopg.connect(admin_url(), autocommit=True) as admin:
        query = f"SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND {where}"
        pids = [pid for (pid,) in admin.execute(query, args)]
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(100):
            alive = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)
            )
            if alive.fetchone() == (0,):
                return
            time.sleep(0.05)
    raise AssertionError(f"backends {pids} outlived pg_terminate_backend")


def backend_pid(session: Session) -> int:
    raw = session.connection().connection.dbapi_connection
    assert isinstance(raw, psycopg.Connection)
    return raw.info.backend_pid


KILL_POINTS = ("after_flush", "before_commit")
WROTE = "outage_test_wrote"


@contextmanager
def connection_killed(point: str, model: type[SQLModel]) -> Iterator[list[int]]:
    """The session that writes a `model` row has its database connection terminated right after
    that flush (`after_flush`) or as it is about to commit (`before_commit`)."""
    killed: list[int] = []

    def kill(session: Session) -> None:
        killed.append(backend_pid(session))
        terminate("pid = %s", killed[0])

    def flushed(session: Session, _context: object) -> None:
        if not killed and any(isinstance(obj, model) for obj in session.new):
            session.info[WROTE] = True
            if point == "after_flush":
                kill(session)

    def committing(session: Session) -> None:
        if not killed and session.info.get(WROTE):
            kill(session)

    event.listen(Session, "after_flush", flushed)
    event.listen(Session, "before_commit", committing)
    try:
        yield killed
    finally:
        event.remove(Session, "after_flush", flushed)
        event.remove(Session, "before_commit", committing)


def audit_entries() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(AuditEntry)).one()


def the_database_restarts() -> None:
    """Every connection the service holds is gone, as after a restart or a failover."""
    terminate("pid <> pg_backend_pid()")


@pytest.fixture
def staff(make_live_person: Callable[..., Person]) -> Person:
    return make_live_person(Role.staff)


@pytest.fixture
def riverbend(committed_database: str) -> None:
    with session_scope() as session:
        institution.import_profile(session, actor="test", path=DEMO_DIR / "institution.yaml")


def request_account(client: TestClient, staff: Person) -> Response:
    return client.post(
        "/api/v1/accounts", json={"url": "https://x.com/rtc_welding"}, headers=staff.headers
    )


def accounts_named(handle: str) -> list[Account]:
    with session_scope() as session:
        return list(session.exec(select(Account).where(col(Account.handle) == handle)).all())


@pytest.mark.parametrize("point", KILL_POINTS)
def test_an_api_request_cut_off_mid_way_is_a_503_and_leaves_nothing(
    live_app: TestClient, staff: Person, point: str
) -> None:
    before = audit_entries()
    with connection_killed(point, Account) as killed:
        cut = request_account(live_app, staff)

    assert killed, "the request never reached the point where its connection dies"
    assert cut.status_code == 503, cut.text
    assert cut.json() == {"error": {"code": "unavailable", "message": UNAVAILABLE}}
    assert accounts_named("rtc_welding") == [] and audit_entries() == before
    assert verify_chain(get_engine()).intact

    the_database_restarts()
    again = request_account(live_app, staff)
    assert again.status_code == 201, again.text
    assert len(accounts_named("rtc_welding")) == 1 and audit_entries() > before
    assert verify_chain(get_engine()).intact


@pytest.mark.usefixtures("riverbend")
@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_form_cut_off_mid_way_is_a_503_page_and_leaves_nothing(
    live_app: TestClient, point: str
) -> None:
    report = {"url": LOOKALIKE, "description": "asks for money"}
    before = audit_entries()
    with connection_killed(point, FindingReport) as killed:
        cut = live_app.post("/report", data=report, headers=HTML)

    assert killed and cut.status_code == 503
    assert cut.headers["content-type"].startswith("text/html")
    assert "Temporarily unavailable" in cut.text and UNAVAILABLE in cut.text
    with session_scope() as session:
        assert session.exec(select(FindingReport)).all() == []
    assert audit_entries() == before and verify_chain(get_engine()).intact

    the_database_restarts()
    again = live_app.post("/report", data=report, headers=HTML)
    assert again.status_code == 200 and "Thank you" in again.text
    with session_scope() as session:
        assert len(session.exec(select(FindingReport)).all()) == 1
    assert verify_chain(get_engine()).intact


def test_verify_answers_through_a_restart(live_app: TestClient, staff: Person) -> None:
    """The register's stamp is read over a connection of its own (service/public/register.py):
    one that died with the server is replaced on the next lookup, not answered with a 503."""
    assert request_account(live_app, staff).status_code == 201
    lookup = {"url": "https://x.com/rtc_welding"}
    assert live_app.get("/api/v1/public/verify", params=lookup).json()["official"] is False

    the_database_restarts()
    again = live_app.get("/api/v1/public/verify", params=lookup)
    assert again.status_code == 200 and again.json()["official"] is False
