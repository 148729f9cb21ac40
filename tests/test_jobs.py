"""Deferred work runs only after a commit; the embedded scheduler runs jobs until stopped."""

import threading

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth.deps import PUBLIC
from service.db import DbSession
from service.errors import Invalid
from service.jobs import EmbeddedScheduler, defer


@pytest.mark.usefixtures("committed_database")
def test_deferred_jobs_run_after_commit_and_never_after_rollback() -> None:
    ran: list[str] = []
    done = threading.Event()
    router = APIRouter(dependencies=[PUBLIC])

    @router.post("/ok")
    def ok(session: DbSession) -> None:
        defer(session, lambda: (ran.append("ok"), done.set()))

    @router.post("/fail")
    def fail(session: DbSession) -> None:
        defer(session, lambda: ran.append("fail"))
        raise Invalid("no")

    app = create_app()
    app.include_router(router)
    with TestClient(app) as client:
        assert client.post("/fail").status_code == 422
        assert client.post("/ok").status_code == 200
    assert done.wait(timeout=10)
    assert ran == ["ok"]


def test_the_scheduler_repeats_jobs_until_stopped() -> None:
    runs = threading.Semaphore(0)
    scheduler = EmbeddedScheduler()
    scheduler.every(0.01, runs.release)
    scheduler.start()
    assert all(runs.acquire(timeout=10) for _ in range(3))
    scheduler.stop()
    assert scheduler._thread is not None and not scheduler._thread.is_alive()


def test_a_failing_job_does_not_stop_the_scheduler() -> None:
    runs = threading.Semaphore(0)

    def broken() -> None:
        raise RuntimeError("boom")

    scheduler = EmbeddedScheduler()
    scheduler.every(0.01, broken)
    scheduler.every(0.01, runs.release)
    scheduler.start()
    assert all(runs.acquire(timeout=10) for _ in range(3))
    scheduler.stop()
