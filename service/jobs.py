"""Work that runs after a transaction commits, and the embedded scheduler of `imprimatur serve`.

Jobs take ids, open their own sessions and are idempotent, so running one twice (a retry, a
second worker, the scheduler catching up) does no harm. In production the same functions run
as Celery tasks; embedded, they run on background threads of the serving process.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from sqlmodel import Session

log = structlog.get_logger()
DEFERRED = "deferred_jobs"

Job = Callable[[], object]


def defer(session: Session, job: Job) -> None:
    """Run `job` once this session's transaction has committed; never if it rolls back."""
    jobs: list[Job] = session.info.setdefault(DEFERRED, [])
    if job not in jobs:
        jobs.append(job)


def _run_logged(job: Job) -> None:
    try:
        job()
    except Exception:  # a background job must never take the process down
        log.exception("job_failed", job=getattr(job, "__name__", repr(job)))


def run_deferred(session: Session) -> None:
    """Start what the committed transaction deferred, without delaying the response."""
    for job in session.info.pop(DEFERRED, []):
        threading.Thread(target=_run_logged, args=(job,), daemon=True).start()


def discard_deferred(session: Session) -> None:
    session.info.pop(DEFERRED, None)


@dataclass
class EmbeddedScheduler:
    """Periodic jobs on one background thread: the embedded default (Celery beat in production)."""

    jobs: list[tuple[float, Job]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def every(self, seconds: float, job: Job) -> None:
        self.jobs.append((seconds, job))

    def _loop(self) -> None:
        due = dict.fromkeys(range(len(self.jobs)), 0.0)
        elapsed = 0.0
        tick = min((seconds for seconds, _ in self.jobs), default=1.0)
        while not self._stop.wait(0 if elapsed == 0 else tick):
            for index, (seconds, job) in enumerate(self.jobs):
                if elapsed >= due[index]:
                    _run_logged(job)
                    due[index] = elapsed + seconds
            elapsed += tick

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="imprimatur-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
