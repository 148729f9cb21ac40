"""Work that runs after a transaction commits, and the embedded scheduler of `imprimatur serve`.

Jobs are plain functions that take ids, open their own sessions and are idempotent, so running
one twice (a retry, a second worker, the scheduler catching up) does no harm. Embedded (the
default), deferred jobs run on background threads of the serving process; with
`IMPRIMATUR_JOBS_BACKEND=celery` they are sent to Celery workers under the name they were
registered with (`service/celery_app.py` defines a task of that name for each).
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import structlog
from sqlmodel import Session

from service.observability import bound_to_request, counted_job, current_request_id

log = structlog.get_logger()
DEFERRED = "deferred_jobs"

Job = Callable[[], object]
JOB_NAMES: dict[Callable[..., Any], str] = {}


F = TypeVar("F", bound=Callable[..., Any])


def job(name: str) -> Callable[[F], F]:
    """Register a function as a job Celery knows by `name`."""

    def register(function: F) -> F:
        JOB_NAMES[function] = name
        return function

    return register


def defer(session: Session, work: Job) -> None:
    """Run `work` once this session's transaction has committed; never if it rolls back."""
    jobs: list[Job] = session.info.setdefault(DEFERRED, [])
    if work not in jobs:
        jobs.append(work)


def job_name(work: Job) -> str:
    function = work.func if isinstance(work, partial) else work
    return JOB_NAMES.get(function, getattr(function, "__name__", repr(function)))


def _run_logged(work: Job) -> None:
    try:
        counted_job(job_name(work), work)
    except Exception:  # a background job must never take the process down
        log.exception("job_failed", job=job_name(work))


def _send_to_celery(work: Job, request_id: str | None) -> None:
    from service.celery_app import celery  # the broker client is loaded only in Celery mode

    args = work.args if isinstance(work, partial) else ()
    celery.send_task(job_name(work), args=list(args), headers={"request_id": request_id})


def run_deferred(session: Session) -> None:
    """Start what the committed transaction deferred, without delaying the response."""
    from service.settings import get_settings

    use_celery = get_settings().jobs_backend == "celery"
    request_id = current_request_id()
    for work in session.info.pop(DEFERRED, []):
        if use_celery:
            try:
                _send_to_celery(work, request_id)
            except Exception:  # the change is committed; the scheduled sweeps will catch up
                log.exception("job_not_sent", job=job_name(work))
        else:
            runner = bound_to_request(partial(_run_logged, work), request_id)
            threading.Thread(target=runner, daemon=True).start()


def discard_deferred(session: Session) -> None:
    session.info.pop(DEFERRED, None)


@dataclass
class EmbeddedScheduler:
    """Periodic jobs on one background thread: the embedded default (Celery beat in production)."""

    jobs: list[tuple[float, Job]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def every(self, seconds: float, work: Job) -> None:
        self.jobs.append((seconds, work))

    def _loop(self) -> None:
        due = dict.fromkeys(range(len(self.jobs)), 0.0)
        elapsed = 0.0
        tick = min((seconds for seconds, _ in self.jobs), default=1.0)
        while not self._stop.wait(0 if elapsed == 0 else tick):
            for index, (seconds, work) in enumerate(self.jobs):
                if elapsed >= due[index]:
                    _run_logged(work)
                    due[index] = elapsed + seconds
            elapsed += tick

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="imprimatur-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
