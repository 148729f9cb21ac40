"""Outbox delivery on committed databases: one message per transaction, never sent twice by
concurrent runs, retried with backoff, given up after `MAX_ATTEMPTS`.

Every test queues mail with `queue_mail` in a committed `session_scope` (which runs no deferred
jobs) and then calls the job, `deliver_in_own_session`, itself.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from service import clock
from service.db import session_scope
from service.notifications import service as notifications
from service.notifications.models import OutgoingMail
from service.notifications.service import (
    MAX_ATTEMPTS,
    deliver_in_own_session,
    deliver_pending,
    queue_mail,
    retry_delay,
)
from tests.notifications.conftest import BouncingMailbox
from tests.posts.test_notifications import SmtpServer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def queue(*addresses: str) -> None:
    with session_scope() as session:
        queue_mail(session, addresses, "Post #1 awaits review", "Please review post #1.")


def rows() -> list[OutgoingMail]:
    with session_scope() as session:
        return list(session.exec(select(OutgoingMail).order_by(col(OutgoingMail.id))).all())


def row(address: str) -> OutgoingMail:
    (mail,) = [m for m in rows() if m.to_address == address]
    return mail


def received_by(mailbox: BouncingMailbox) -> Counter[str]:
    return Counter(address for r in mailbox.received for address in r.rcpt_tos)


def test_concurrent_runs_send_each_message_exactly_once(
    committed_database: str, mailbox: BouncingMailbox
) -> None:
    addresses = [f"reviewer{n:02}@school.example" for n in range(20)]
    queue(*addresses)
    start = threading.Barrier(2)

    def run() -> int:
        start.wait(timeout=10)
        return deliver_in_own_session()

    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(run) for _ in range(2)]
        sent = [future.result(timeout=60) for future in runs]

    assert sum(sent) == 20
    assert received_by(mailbox) == Counter(addresses)
    assert all(m.sent_at is not None and m.attempts == 1 for m in rows())
    assert deliver_in_own_session() == 0
    assert len(mailbox.received) == 20


class Killed(BaseException):
    """The worker process dying in the middle of a run."""


def test_a_run_killed_midway_keeps_what_it_already_sent(
    committed_database: str, mailbox: BouncingMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    addresses = [f"reviewer{n}@school.example" for n in range(5)]
    queue(*addresses)
    real_send = notifications._send
    calls = 0

    def dies_before_the_third(*args: object, **kwargs: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise Killed
        real_send(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(notifications, "_send", dies_before_the_third)
    with pytest.raises(Killed):
        deliver_in_own_session()
    assert [m.sent_at is not None for m in rows()] == [True, True, False, False, False]
    assert [m.attempts for m in rows()] == [1, 1, 0, 0, 0]  # the third rolled back

    monkeypatch.setattr(notifications, "_send", real_send)
    assert deliver_in_own_session() == 3
    assert received_by(mailbox) == Counter(addresses)


def test_failed_mail_is_retried_with_backoff_then_given_up(
    committed_database: str, smtp: SmtpServer
) -> None:
    clock.freeze(T0)
    queue("designee@school.example")

    assert deliver_in_own_session() == 0  # nothing listens on the port
    (mail,) = rows()
    assert (mail.sent_at, mail.attempts, mail.next_attempt_at) == (None, 1, T0 + retry_delay(1))
    assert mail.next_attempt_at == T0 + timedelta(seconds=60)
    assert mail.last_error

    clock.freeze(T0 + timedelta(seconds=59))
    assert deliver_in_own_session() == 0
    assert rows()[0].attempts == 1  # not retried before its time

    delays = []
    for attempt in range(2, MAX_ATTEMPTS + 1):
        waiting_until = rows()[0].next_attempt_at
        assert waiting_until is not None
        clock.freeze(waiting_until)
        assert deliver_in_own_session() == 0
        assert rows()[0].attempts == attempt
        if attempt < MAX_ATTEMPTS:
            following = rows()[0].next_attempt_at
            assert following is not None
            delays.append((following - waiting_until).total_seconds())
    assert delays == [120, 240, 480, 960, 1920, 3600, 3600, 3600]

    given_up = rows()[0]
    assert (given_up.sent_at, given_up.next_attempt_at) == (None, None)
    assert given_up.attempts == MAX_ATTEMPTS
    assert given_up.last_error
    smtp.start()
    clock.freeze(T0 + timedelta(days=2))
    assert deliver_in_own_session() == 0
    with session_scope() as session:
        assert deliver_pending(session) == 0  # not even when asked to send everything now
    assert rows()[0].attempts == MAX_ATTEMPTS
    assert smtp.mailbox.received == []


def test_failed_mail_goes_out_once_its_retry_is_due(
    committed_database: str, smtp: SmtpServer
) -> None:
    clock.freeze(T0)
    queue("designee@school.example")
    assert deliver_in_own_session() == 0

    smtp.start()
    clock.freeze(T0 + timedelta(seconds=30))
    assert deliver_in_own_session() == 0
    assert smtp.mailbox.received == []
    clock.freeze(T0 + timedelta(seconds=60))
    assert deliver_in_own_session() == 1
    (mail,) = rows()
    assert (mail.sent_at, mail.attempts, mail.next_attempt_at) == (
        T0 + timedelta(seconds=60),
        2,
        None,
    )
    assert received_by(smtp.mailbox) == Counter(["designee@school.example"])


def test_a_refused_message_does_not_hold_up_the_others(
    committed_database: str, mailbox: BouncingMailbox
) -> None:
    clock.freeze(T0)
    queue("a-bounce@school.example", "b@school.example", "c@school.example")  # bounce is first

    assert deliver_in_own_session() == 2
    assert received_by(mailbox) == Counter(["b@school.example", "c@school.example"])
    bounced = row("a-bounce@school.example")
    assert (bounced.sent_at, bounced.attempts) == (None, 1)
    assert bounced.next_attempt_at == T0 + timedelta(seconds=60)
    assert "No such user" in (bounced.last_error or "")
    assert deliver_in_own_session() == 0
    assert row("a-bounce@school.example").attempts == 1


def test_deliver_pending_on_a_given_session_tries_each_message_once(
    committed_database: str, mailbox: BouncingMailbox
) -> None:
    queue("a-bounce@school.example", "b@school.example")
    with session_scope() as session:
        assert deliver_pending(session) == 1
        assert deliver_pending(session, due_only=True) == 0  # the bounce waits for its retry
    assert [(m.to_address, m.attempts, m.sent_at is None) for m in rows()] == [
        ("a-bounce@school.example", 1, True),
        ("b@school.example", 1, False),
    ]
    assert mailbox.refused == ["a-bounce@school.example"]
