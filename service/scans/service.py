"""Scan jobs: `run_scan` and `run_due_scans` are what the embedded scheduler and Celery call.

Runs are resumable: a run that stopped at its call budget, at a rate limit (once the limit
resets), at a platform that kept failing (after a pause) or because its worker died (heartbeat
older than `STALE_AFTER`) is claimed by the next `run_scan` of its platform and continued from
its next step. Claims are compare-and-set, so two workers never continue one run; two *new* runs
at once are safe too, because findings are unique per platform account.
"""

from datetime import timedelta
from functools import partial

from sqlalchemy import ColumnElement, and_, or_, update
from sqlmodel import Session, col, select

import connectors
from connectors import Connector
from service import clock, demo
from service.accounts.models import Account
from service.db import session_scope
from service.errors import Invalid, NotFound
from service.jobs import defer, job
from service.ratelimit import platform_connector
from service.scans import digest, discovery
from service.scans.models import COUNTERS, WAITING, ScanRun, ScanRunPublic, ScanStatus
from service.scans.runner import Context, Progress, Runner, ScanFailed
from service.settings import get_settings
from workflows.account_lifecycle import AccountStatus
from workflows.impersonation import FingerprintCache

SCHEDULER = "system:scheduler"
STALE_AFTER = timedelta(minutes=15)


def connector_for(session: Session, name: str) -> Connector:
    """The platform's connector. The demo's simulated platform serves the demo's accounts even
    in a process that did not seed it (`imprimatur scan run` beside `serve --demo`)."""
    settings = get_settings()
    if settings.simulated_profiles_path is None and demo.is_demo_database(session):
        settings = settings.model_copy(update={"simulated_profiles_path": demo.SIMULATED_PROFILES})
    try:
        return platform_connector(name, settings=settings)  # the app's shared request budget
    except connectors.ConnectorNotConfigured as error:
        raise ScanFailed(str(error)) from error


def scannable_platforms(session: Session) -> list[str]:
    """Platforms of the register whose connector is configured; the demo's simulated one."""
    registered = session.exec(
        select(Account.platform).where(Account.status == AccountStatus.authorized).distinct()
    ).all()
    found = []
    for platform in sorted({str(p) for p in registered}):
        try:
            connector_for(session, platform)
        except ScanFailed:
            continue
        found.append(platform)
    if not found and demo.is_demo_database(session):
        found.append("simulated")  # the demo's platforms, outside `serve --demo`
    return found


def _claimable() -> ColumnElement[bool]:
    now = clock.now()
    return or_(
        col(ScanRun.status).in_([ScanStatus.queued, ScanStatus.budget_exhausted]),
        and_(
            col(ScanRun.status).in_(WAITING),
            or_(col(ScanRun.retry_at).is_(None), col(ScanRun.retry_at) <= now),
        ),
        and_(
            col(ScanRun.status) == ScanStatus.running,
            col(ScanRun.heartbeat_at) < now - STALE_AFTER,
        ),
    )


def _claim(run_id: int, budget: int) -> bool:
    with session_scope() as session:
        result = session.execute(
            update(ScanRun)
            .where(col(ScanRun.id) == run_id, _claimable())
            .values(
                status=ScanStatus.running,
                heartbeat_at=clock.now(),
                finished_at=None,
                retry_at=None,
                budget=budget,
            )
        )
        return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def _new_run(platform: str, budget: int, actor: str, status: ScanStatus) -> ScanRun:
    now = clock.now()
    return ScanRun(
        platform=platform,
        status=status,
        requested_by=actor,
        budget=budget,
        started_at=now,
        heartbeat_at=now,
        counts=dict.fromkeys(COUNTERS, 0),
    )


def _waiting(session: Session, platform: str) -> int | None:
    """A run of the platform stopped by the platform, whose `retry_at` has not come yet."""
    return session.exec(
        select(ScanRun.id).where(
            ScanRun.platform == platform,
            col(ScanRun.status).in_(WAITING),
            col(ScanRun.retry_at) > clock.now(),
        )
    ).first()


def _claim_or_create(platform: str, budget: int, actor: str) -> tuple[int, bool]:
    """The run to work on, and whether to work on it now: the oldest unfinished run that can
    go on; else a run waiting for its rate limit to reset (nothing to do yet); else a new one."""
    with session_scope() as session:
        unfinished = session.exec(
            select(ScanRun.id)
            .where(ScanRun.platform == platform, _claimable())
            .order_by(col(ScanRun.id))
        ).all()
        waiting = _waiting(session, platform)
    for run_id in unfinished:
        if run_id is not None and _claim(run_id, budget):
            return run_id, True
    if waiting is not None:
        return waiting, False
    with session_scope() as session:
        run = _new_run(platform, budget, actor, ScanStatus.running)
        session.add(run)
        session.flush()
        assert run.id is not None
        return run.id, True


def _finish(runner: Runner | None, run_id: int, failure: str | None = None) -> None:
    with session_scope() as session:
        run = session.get(ScanRun, run_id)
        assert run is not None
        if runner is not None:
            run.counts, run.errors = dict(runner.counts), list(runner.errors)
            run.status, run.retry_at = runner.status, runner.retry_at
        if failure is not None:
            run.status, run.errors = ScanStatus.failed, [*run.errors, failure]
        run.finished_at = run.heartbeat_at = clock.now()
        session.add(run)
        if runner is not None and runner.notify:
            digest.queue_digest(session, run, runner.notify)


def _context(session: Session, run: ScanRun) -> Context:
    cache = FingerprintCache()
    loaded = discovery.institution_profile(session, cache)
    if loaded is None:
        raise ScanFailed("No institution profile yet: import one before scanning.")
    institution, names = loaded
    connector = connector_for(session, run.platform)
    steps = discovery.plan_steps(institution, connector.platform, connector.max_lookup_batch)
    return Context(connector, institution, names, discovery.register(session), steps, cache)


def _execute(run_id: int, budget: int, progress: Progress | None) -> None:
    runner: Runner | None = None
    try:
        with session_scope() as session:
            run = session.get(ScanRun, run_id)
            assert run is not None
            context = _context(session, run)
        runner = Runner(run, context, budget, progress)
        runner.run()
    except ScanFailed as failed:
        _finish(runner, run_id, str(failed))
        return
    except Exception as error:
        _finish(runner, run_id, f"internal error: {type(error).__name__}: {error}")
        raise
    _finish(runner, run_id)


@job("imprimatur.run_scan")
def run_scan(
    platform: str,
    *,
    budget: int | None = None,
    actor: str = SCHEDULER,
    progress: Progress | None = None,
) -> int:
    """Scan one platform (a connector name: "x", ..., "simulated"); returns the run's id.

    Continues the platform's unfinished run if there is one to continue, else starts one;
    while the platform's rate limit has not reset, returns the waiting run and calls nothing.
    Spends at most `budget` API calls (default: `scan_call_budget`).
    """
    calls = budget or get_settings().scan_call_budget
    run_id, now = _claim_or_create(platform.strip().lower(), calls, actor)
    if now:
        _execute(run_id, calls, progress)
    return run_id


@job("imprimatur.resume_scan")
def resume_scan(run_id: int, budget: int | None = None) -> None:
    """The job behind `POST /api/v1/scans`: run the queued run, unless someone else took it."""
    calls = budget or get_settings().scan_call_budget
    if _claim(run_id, calls):
        _execute(run_id, calls, None)


def _is_due(session: Session, platform: str) -> bool:
    latest = session.exec(
        select(ScanRun).where(ScanRun.platform == platform).order_by(col(ScanRun.id).desc())
    ).first()
    now = clock.now()
    if latest is None:
        return True
    if latest.status in (ScanStatus.running, ScanStatus.queued):
        return latest.heartbeat_at < now - STALE_AFTER
    if latest.status in WAITING:
        return latest.retry_at is None or latest.retry_at <= now
    interval = timedelta(minutes=get_settings().scan_interval_minutes)
    return latest.heartbeat_at <= now - interval


@job("imprimatur.run_due_scans")
def run_due_scans() -> list[int]:
    """The scheduled job: scan every platform whose interval has passed (or continue its run)."""
    with session_scope() as session:
        due = [p for p in scannable_platforms(session) if _is_due(session, p)]
    return [run_scan(platform) for platform in due]


def start_scan(session: Session, platform: str, budget: int | None, actor: str) -> ScanRun:
    """Queue a run now and start it once the request's transaction commits."""
    name = platform.strip().lower()
    try:
        connector_for(session, name)
    except ScanFailed as error:
        raise Invalid(str(error)) from error
    run = _new_run(name, budget or get_settings().scan_call_budget, actor, ScanStatus.queued)
    session.add(run)
    session.flush()
    assert run.id is not None
    defer(session, partial(resume_scan, run.id, budget))
    return run


def list_runs(session: Session, *, platform: str | None = None, limit: int = 50) -> list[ScanRun]:
    query = select(ScanRun)
    if platform:
        query = query.where(ScanRun.platform == platform.strip().lower())
    return list(session.exec(query.order_by(col(ScanRun.id).desc()).limit(limit)).all())


def get_run(session: Session, run_id: int) -> ScanRun:
    run = session.get(ScanRun, run_id)
    if run is None:
        raise NotFound(f"No scan run with id {run_id}.")
    return run


def to_public(run: ScanRun) -> ScanRunPublic:
    seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    return ScanRunPublic.model_validate(run, update={"seconds": seconds})
