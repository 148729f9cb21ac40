"""Two superintendents deciding on one account at the same moment: the row lock serialises them.

PostgreSQL only (SQLite serialises writers, so there is no race to test). Each decision reads
the account `FOR UPDATE`, decides from what it read, writes and audits. The requests are real
(own client, own committed transaction) and are made to overlap where it matters: each is held
right after its read until the other one has read too, or is waiting for the row lock. Without
the lock both read the same status and both apply; with it the second reads the first's result
and is refused, or applies after it, as if the two had come one after the other.
"""

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import text
from sqlmodel import Session, col, func, select

from service.accounts import service as accounts
from service.accounts.models import Account, AccountAuthorization
from service.audit.models import AuditEntry
from service.audit.service import verify_chain
from service.db import get_engine, session_scope
from service.users.models import Role
from tests.conftest import Person, post_as

pytestmark = pytest.mark.parametrize("committed_database", ["postgresql"], indirect=True)

HANDLE = "RiverbendTech"
PATIENCE_SECONDS = 60  # against a hang, not a measure of speed


class ReadTogether:
    """Holds each request right after it read the account until every request has read it, or
    another one is waiting for a lock this one holds (then this one must go on, or neither
    would)."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.arrived = 0
        self.changed = threading.Condition()

    def arrive(self, session: Session) -> None:
        backend = session.exec(select(func.pg_backend_pid())).one()
        with self.changed:
            self.arrived += 1
            self.changed.notify_all()
        deadline = time.monotonic() + PATIENCE_SECONDS
        while not self._everyone_read() and not self._someone_waits_for(backend):
            if time.monotonic() > deadline:
                raise TimeoutError("the other request neither read the account nor waited")
            with self.changed:
                self.changed.wait(0.01)

    def _everyone_read(self) -> bool:
        with self.changed:
            return self.arrived >= self.parties

    @staticmethod
    def _someone_waits_for(backend: int) -> bool:
        with get_engine().connect() as connection:
            blocked = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE CAST(:backend AS integer) = ANY(pg_blocking_pids(pid))"
                ),
                {"backend": backend},
            ).scalar_one()
        return bool(blocked)


def read_together(monkeypatch: pytest.MonkeyPatch, parties: int) -> None:
    """Every decision waits at its read of the account, as `ReadTogether` says."""
    gate = ReadTogether(parties)
    original = accounts.get_account
    # decide() calls the module's own name, stewardship.reauthorize `service.get_account`.

    def read_then_wait(session: Session, account_id: int, *, for_update: bool = False) -> Account:
        account = original(session, account_id, for_update=for_update)
        if for_update:
            gate.arrive(session)
        return account

    monkeypatch.setattr(accounts, "get_account", read_then_wait)


def at_once(live_app: TestClient, *requests: tuple[Person, str]) -> list[Response]:
    """The requests, each from its own client and thread, in the order given."""
    with ThreadPoolExecutor(len(requests)) as pool:
        futures = [pool.submit(post_as, live_app, who, url, {}) for who, url in requests]
        return [future.result() for future in futures]


def requested_account(live_app: TestClient, requester: Person) -> int:
    response = live_app.post(
        "/api/v1/accounts", json={"url": f"https://x.com/{HANDLE}"}, headers=requester.headers
    )
    assert response.status_code == 201, response.text
    account_id: int = response.json()["id"]
    return account_id


def jsonable(state: dict[str, Any]) -> dict[str, Any]:
    """A state as the audit log stores it."""
    result: dict[str, Any] = json.loads(json.dumps(state, default=str))
    return result


def history(account_id: int) -> list[AuditEntry]:
    with session_scope() as session:
        return list(
            session.exec(
                select(AuditEntry)
                .where(
                    AuditEntry.subject_type == accounts.AUDIT_SUBJECT,
                    AuditEntry.subject_id == str(account_id),
                )
                .order_by(col(AuditEntry.id))
            ).all()
        )


def assert_history_replays(account_id: int) -> list[str]:
    """Each decision's `before` is the state the previous one left, and the last one's `after`
    is the account as it is: nothing was decided on a state that no longer held. Returns the
    actions in order."""
    entries = history(account_id)
    with session_scope() as session:
        now = jsonable(accounts.account_state(accounts.get_account(session, account_id)))
    left: dict[str, Any] | None = None
    for entry in entries:
        assert entry.after is not None
        if left is not None:
            assert entry.before == left, entry.action
        left = {k: v for k, v in entry.after.items() if k != "reason"}
    assert left == now
    assert verify_chain(get_engine()).intact
    return [entry.action for entry in entries]


def authorization_kinds(account_id: int) -> list[str]:
    with session_scope() as session:
        return list(
            session.exec(
                select(AccountAuthorization.kind)
                .where(AccountAuthorization.account_id == account_id)
                .order_by(col(AccountAuthorization.id))
            ).all()
        )


def publicly_official(live_app: TestClient) -> bool:
    """What anyone is told: the verify answer and the directory, which must agree."""
    verify = live_app.get("/api/v1/public/verify", params={"url": f"https://x.com/{HANDLE}"})
    directory = live_app.get("/api/v1/public/accounts")
    assert verify.status_code == directory.status_code == 200
    listed = any(entry["handle"] == HANDLE for entry in directory.json())
    official: bool = verify.json()["official"]
    assert official is listed
    return official


def assert_refused(response: Response, action: str, status: str) -> None:
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert error["message"].startswith(f"Cannot {action} an account that is {status}")


@pytest.fixture
def superintendents(make_live_person: Callable[..., Person]) -> tuple[Person, Person]:
    return make_live_person(Role.superintendent), make_live_person(Role.superintendent)


def test_an_authorization_and_a_rejection_at_once_cannot_both_happen(
    live_app: TestClient,
    make_live_person: Callable[..., Person],
    superintendents: tuple[Person, Person],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account_id = requested_account(live_app, make_live_person(Role.staff))
    first, second = superintendents
    read_together(monkeypatch, 2)

    authorized, rejected = at_once(
        live_app,
        (first, f"/api/v1/accounts/{account_id}/authorize"),
        (second, f"/api/v1/accounts/{account_id}/reject"),
    )

    assert sorted([authorized.status_code, rejected.status_code]) == [200, 409]
    if authorized.status_code == 200:
        assert_refused(rejected, "reject", "authorized")
        winner, kinds, official = "authorize", ["authorized"], True
    else:
        assert_refused(authorized, "authorize", "rejected")
        winner, kinds, official = "reject", [], False
    assert assert_history_replays(account_id) == ["account.requested", f"account.{winner}"]
    assert authorization_kinds(account_id) == kinds
    assert publicly_official(live_app) is official


def test_a_reauthorization_racing_a_revocation_ends_as_if_one_came_first(
    live_app: TestClient,
    make_live_person: Callable[..., Person],
    superintendents: tuple[Person, Person],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = superintendents
    account_id = requested_account(live_app, make_live_person(Role.staff))
    authorized = live_app.post(f"/api/v1/accounts/{account_id}/authorize", headers=first.headers)
    assert authorized.status_code == 200, authorized.text
    read_together(monkeypatch, 2)

    reauthorized, revoked = at_once(
        live_app,
        (first, f"/api/v1/accounts/{account_id}/reauthorize"),
        (second, f"/api/v1/accounts/{account_id}/revoke"),
    )

    assert revoked.status_code == 200, revoked.text
    actions = assert_history_replays(account_id)
    if reauthorized.status_code == 200:  # it came first; the revocation applied after it
        assert actions[2:] == ["account.reauthorize", "account.revoke"]
        assert authorization_kinds(account_id) == ["authorized", "reauthorized"]
    else:  # the revocation came first: nothing is left to re-authorize
        assert_refused(reauthorized, "re-authorize", "revoked")
        assert actions[2:] == ["account.revoke"]
        assert authorization_kinds(account_id) == ["authorized"]
    assert publicly_official(live_app) is False
