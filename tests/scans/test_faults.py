"""Scans while the platforms misbehave.

A call that fails transiently is tried again after a pause; one that keeps failing stops the
run, which the next run continues after a longer pause. Through the real X and Meta clients, a
seeded 30% of API calls fail (429 with reset headers, 5xx, timeouts, truncated JSON). The
scan may need several runs, continued after each reset or pause (the clock is moved, nothing
sleeps), but what it finally reports must be exactly what a scan of the same platforms finds
when nothing fails: every step answered, every account met, no finding lost because a call
failed, none wrong, none twice, and the audit chain intact.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import responses
from sqlmodel import select

from connectors.base import PlatformError, Profile
from connectors.simulated import NAME, SimulatedConnector
from service import clock, demo, migrations, ratelimit
from service.audit.service import ChainReport, verify_chain
from service.db import get_engine, session_scope
from service.findings.models import Finding, FindingSnapshot
from service.scans import service as scans
from service.scans.models import WAITING, ScanRun, ScanStatus
from service.scans.runner import BACKOFF_SECONDS, STEP_ATTEMPTS, UNAVAILABLE_PAUSE
from service.settings import get_settings
from tests.scans.conftest import IMPOSTORS, UNOFFICIAL, SimulatedPlatform, findings, run_row
from tests.scans.platforms import BUSINESS_ACCOUNT, FAULTS, Platforms

PLATFORMS = ("x", "facebook", "instagram")
STEPS = ("queries", "lookups")
MAX_RUNS = 40  # per platform: far more than the seeds below need
# What fails here is the platform, not the database: the cheap one, as each comparison needs
# two databases scanned from scratch (resuming on PostgreSQL is in the tests below).
DATABASE = "sqlite"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

FindingKey = tuple[str, str, str, float]


@dataclass(frozen=True)
class Scanned:
    findings: set[FindingKey]
    seen: set[str]  # every account the scans met, reported or not
    answered: Counter[str]  # searches and lookups the platforms answered
    snapshots: int
    runs: int
    faults: Counter[str]
    chain: ChainReport


def scan_to_the_end(platform: str) -> int:
    """Runs of the platform's scan until one finishes, moving the clock past each wait."""
    for runs in range(1, MAX_RUNS + 1):
        run = run_row(scans.run_scan(platform))
        if run.status is ScanStatus.finished:
            assert run.counts["new"] == len(findings_of(platform)), run.errors
            return runs
        assert run.status in (*WAITING, ScanStatus.budget_exhausted), run.errors
        if run.retry_at is not None:
            clock.freeze(max(clock.now(), run.retry_at) + timedelta(seconds=1))
    raise AssertionError(f"the {platform} scan did not finish in {MAX_RUNS} runs")


def findings_of(platform: str) -> list[Finding]:
    with session_scope() as session:
        return list(session.exec(select(Finding).where(Finding.platform == platform)).all())


def results(runs: int, faults: Counter[str]) -> Scanned:
    with session_scope() as session:
        found = session.exec(select(Finding)).all()
        snapshots = len(session.exec(select(FindingSnapshot)).all())
        made = session.exec(select(ScanRun)).all()
    return Scanned(
        findings={(f.platform, f.handle, f.verdict, f.score) for f in found},
        seen={key for run in made for key in run.progress["seen"]},
        answered=Counter({f"{r.platform} {kind}": r.counts[kind] for r in made for kind in STEPS}),
        snapshots=snapshots,
        runs=runs,
        faults=faults,
        chain=verify_chain(get_engine()),
    )


def scan_demo(url: str, media: Path, seed: int | None) -> Scanned:
    """The demo institution in a new database at `url`, scanned on every platform."""
    with (
        pytest.MonkeyPatch.context() as patch,
        responses.RequestsMock(assert_all_requests_are_fired=False) as http,
    ):
        patch.setenv("IMPRIMATUR_DATABASE_URL", url)
        patch.setenv("IMPRIMATUR_MEDIA_DIR", str(media))
        patch.setenv("IMPRIMATUR_X_BEARER_TOKEN", "app-bearer")
        patch.setenv("IMPRIMATUR_META_APP_TOKEN", "app-id|app-secret")
        patch.setenv("IMPRIMATUR_INSTAGRAM_BUSINESS_ACCOUNT_ID", BUSINESS_ACCOUNT)
        patch.setattr(ratelimit, "_memory", ratelimit.MemoryBudget())
        get_settings.cache_clear()
        get_engine.cache_clear()
        clock.freeze(NOW)
        try:
            migrations.upgrade(url)
            with session_scope() as session:
                demo._seed(session)
            platforms = Platforms(http, seed)
            runs = sum(scan_to_the_end(platform) for platform in PLATFORMS)
            return results(runs, platforms.faults)
        finally:
            clock.freeze(None)
            get_engine().dispose()
            get_settings.cache_clear()
            get_engine.cache_clear()


@pytest.fixture(scope="module")
def clean(
    database_url_factory: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Scanned:
    return scan_demo(database_url_factory(DATABASE), tmp_path_factory.mktemp("media"), None)


def test_a_clean_scan_through_the_real_clients_finds_the_demos_impostors(clean: Scanned) -> None:
    assert clean.runs == len(PLATFORMS) and not clean.faults
    # Instagram has no account search: only lookalike handles are looked up, and the demo's
    # unofficial nursing account is not one.
    assert {handle for _, handle, _, _ in clean.findings} == IMPOSTORS | UNOFFICIAL - {
        "rtc_nursing"
    }
    assert {platform for platform, *_ in clean.findings} == set(PLATFORMS)
    assert clean.snapshots == len(clean.findings) and clean.chain.intact


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_failing_calls_change_nothing_a_scan_reports(
    clean: Scanned, seed: int, database_url_factory: Callable[[str], str], tmp_path: Path
) -> None:
    faulty = scan_demo(database_url_factory(DATABASE), tmp_path / "media", seed)

    assert set(faulty.faults) == set(FAULTS)  # every kind of failure happened
    assert faulty.runs > len(PLATFORMS)  # ...and some stopped a run, continued later
    assert faulty.seen == clean.seen  # no account went unassessed
    assert faulty.answered == clean.answered  # every step made, none skipped
    assert faulty.seen == clean.seen  # no account went unassessed
    assert faulty.findings == clean.findings
    assert faulty.snapshots == len(faulty.findings)  # each account recorded once
    assert faulty.chain.intact, faulty.chain


def timing_out(times: int) -> type[SimulatedConnector]:
    """A platform on which the first search times out `times` times before it answers."""
    failed = 0

    class TimingOut(SimulatedConnector):
        def search_accounts(self, query: str, limit: int = 100) -> list[Profile]:
            nonlocal failed
            if failed < times:
                failed += 1
                self.fail_next(PlatformError(NAME, "network error (ReadTimeout)", retryable=True))
            return super().search_accounts(query, limit)

    return TimingOut


@pytest.mark.parametrize("committed_database", ["sqlite"], indirect=True)
def test_a_call_that_fails_is_tried_again_after_a_pause(platform: SimulatedPlatform) -> None:
    platform.cls = timing_out(STEP_ATTEMPTS - 1)
    clock.freeze(NOW)

    run = run_row(scans.run_scan("simulated"))

    assert run.status is ScanStatus.finished and run.errors == []
    assert {f.handle for f in findings()} == IMPOSTORS | UNOFFICIAL
    steps = run.counts["queries"] + run.counts["lookups"]
    assert run.counts["api_calls"] == steps + STEP_ATTEMPTS - 1
    pauses = sum(BACKOFF_SECONDS * 2**attempt for attempt in range(STEP_ATTEMPTS - 1))
    assert clock.now() == NOW + timedelta(seconds=pauses)  # it waited, then tried again


def test_a_platform_that_keeps_failing_stops_the_run_until_a_later_one(
    platform: SimulatedPlatform,
) -> None:
    platform.cls = timing_out(STEP_ATTEMPTS)
    clock.freeze(NOW)

    run_id = scans.run_scan("simulated")
    stopped = run_row(run_id)
    assert stopped.status is ScanStatus.unavailable and stopped.progress["done"] == []
    assert stopped.retry_at == clock.now() + UNAVAILABLE_PAUSE
    assert "ReadTimeout" in stopped.errors[0] and findings() == []
    assert scans.run_scan("simulated") == run_id  # too early: nothing is called
    assert platform.api_calls == STEP_ATTEMPTS

    clock.freeze(stopped.retry_at)
    assert scans.run_scan("simulated") == run_id
    assert run_row(run_id).status is ScanStatus.finished
    assert {f.handle for f in findings()} == IMPOSTORS | UNOFFICIAL


@pytest.mark.parametrize("committed_database", ["sqlite"], indirect=True)
def test_retries_stay_within_the_call_budget(platform: SimulatedPlatform) -> None:
    """A step failing again at the budget's edge stops the run there, not one call past it."""
    platform.cls = timing_out(STEP_ATTEMPTS - 1)
    clock.freeze(NOW)

    run_id = scans.run_scan("simulated", budget=STEP_ATTEMPTS - 1)
    stopped = run_row(run_id)
    assert stopped.status is ScanStatus.budget_exhausted and stopped.progress["done"] == []
    assert platform.api_calls == stopped.counts["api_calls"] == STEP_ATTEMPTS - 1

    assert scans.run_scan("simulated", budget=100) == run_id  # continued: the step made again
    assert run_row(run_id).status is ScanStatus.finished
    assert {f.handle for f in findings()} == IMPOSTORS | UNOFFICIAL
