"""Scan jobs on a committed database: what they find, what they cost, how they stop and resume."""

from datetime import timedelta

import pytest
from sqlmodel import col, select

from connectors.simulated import SimulatedConnector
from service import clock
from service.db import session_scope
from service.notifications.models import OutgoingMail
from service.scans import service as scans
from service.scans.models import ScanRun, ScanStatus
from service.settings import get_settings
from tests.scans.conftest import (
    BENIGN,
    IMPOSTORS,
    REGISTERED,
    REQUESTED,
    UNOFFICIAL,
    BadToken,
    NoSearch,
    RateLimitedFirstSearch,
    SimulatedPlatform,
    findings,
    run_row,
    snapshot_counts,
)
from workflows.finding_lifecycle import FindingStatus


def test_the_demo_scan_finds_the_impostors_and_nobody_else(demo_db: str) -> None:
    """No connector set up: the demo database's simulated platform serves the demo's file."""
    run_id = scans.run_scan("simulated")
    run = run_row(run_id)
    assert run.status is ScanStatus.finished and run.finished_at is not None
    found = {f.handle: f for f in findings()}
    assert set(found) == IMPOSTORS | UNOFFICIAL
    assert {found[h].verdict for h in IMPOSTORS} == {"impersonation"}
    assert {found[h].verdict for h in UNOFFICIAL} == {"unofficial_presence"}
    assert not (BENIGN | REGISTERED | REQUESTED) & set(found)
    assert all(f.status is FindingStatus.open and f.reasons for f in found.values())
    assert run.counts["new"] == run.counts["flagged"] == 6 and run.counts["candidates"] == 12
    assert run.counts["api_calls"] == run.counts["queries"] + run.counts["lookups"]
    assert run.errors == []

    again = run_row(scans.run_scan("simulated"))
    assert again.id != run_id and again.counts["flagged"] == 6
    assert again.counts["new"] == again.counts["updated"] == 0
    assert len(findings()) == 6 and set(snapshot_counts().values()) == {1}


def test_the_call_budget_stops_a_run_that_the_next_one_continues(
    platform: SimulatedPlatform,
) -> None:
    run_id = scans.run_scan("simulated", budget=3)
    stopped = run_row(run_id)
    assert stopped.status is ScanStatus.budget_exhausted and platform.api_calls == 3
    assert stopped.counts["api_calls"] == 3 and "budget of 3" in stopped.errors[0]
    assert len(stopped.progress["done"]) == 3

    assert scans.run_scan("simulated", budget=100) == run_id  # continued, not started over
    finished = run_row(run_id)
    assert finished.status is ScanStatus.finished
    steps = finished.counts["queries"] + finished.counts["lookups"]
    assert finished.counts["api_calls"] == platform.api_calls == steps  # no step made twice
    assert {f.handle for f in findings()} == IMPOSTORS | UNOFFICIAL


def test_a_rate_limit_keeps_what_was_found_and_resumes_after_the_reset(
    platform: SimulatedPlatform,
) -> None:
    platform.cls = RateLimitedFirstSearch
    run_id = scans.run_scan("simulated")
    limited = run_row(run_id)
    assert limited.status is ScanStatus.rate_limited and limited.retry_at is not None
    assert "rate limited" in limited.errors[0] and limited.counts["api_calls"] == 1
    kept = {f.handle for f in findings()}
    assert "Riverbend_Tech" in kept  # the page of results that came with the limit

    platform.cls = SimulatedConnector
    assert scans.run_scan("simulated") == run_id  # waiting for the reset: nothing to do
    assert platform.api_calls == 1 and run_row(run_id).status is ScanStatus.rate_limited
    clock.freeze(limited.retry_at + timedelta(seconds=1))
    assert scans.run_scan("simulated") == run_id
    resumed = run_row(run_id)
    assert resumed.status is ScanStatus.finished and len(findings()) == 6
    steps = resumed.counts["queries"] + resumed.counts["lookups"]
    assert resumed.counts["api_calls"] == steps + 1  # only the limited call was made again
    with session_scope() as session:
        assert len(session.exec(select(ScanRun)).all()) == 1


def test_a_missing_permission_is_noted_once_and_the_rest_goes_on(
    platform: SimulatedPlatform,
) -> None:
    platform.cls = NoSearch
    run = run_row(scans.run_scan("simulated"))
    assert run.status is ScanStatus.finished and run.counts["queries"] == 0
    assert run.counts["lookups"] > 0
    assert len(run.errors) == 1 and "account search" in run.errors[0]
    assert IMPOSTORS & {f.handle for f in findings()}  # lookalike handles still find some


def test_bad_credentials_fail_the_run(platform: SimulatedPlatform) -> None:
    platform.cls = BadToken
    run = run_row(scans.run_scan("simulated"))
    assert run.status is ScanStatus.failed and "token was revoked" in run.errors[-1]
    assert run.finished_at is not None and findings() == []


def test_an_unknown_platform_is_a_failed_run(demo_db: str) -> None:
    run = run_row(scans.run_scan("myspace"))
    assert run.status is ScanStatus.failed and "myspace" in run.errors[0]


def test_one_digest_per_run_listing_findings_above_the_threshold(
    platform: SimulatedPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "finding_notify_threshold", 0.9)
    scans.run_scan("simulated")
    scans.run_scan("simulated")  # nothing new: no second digest
    with session_scope() as session:
        mails = session.exec(select(OutgoingMail).order_by(col(OutgoingMail.to_address))).all()
    assert [m.to_address for m in mails] == [
        "designee@riverbend-tech.example",
        "superintendent@riverbend-tech.example",
    ]
    body = mails[0].body
    assert mails[0].subject == "Impersonation scan: 4 finding(s) to triage on simulated"
    assert all(f"@{handle} " in body for handle in IMPOSTORS)
    assert not any(f"@{handle} " in body for handle in UNOFFICIAL)  # scored below 0.9


def test_due_scans_follow_the_interval(demo_db: str) -> None:
    """Outside demo mode no real platform is configured: the demo database's simulated one."""
    first = scans.run_due_scans()
    assert len(first) == 1 and run_row(first[0]).platform == "simulated"
    assert scans.run_due_scans() == []
    interval = timedelta(minutes=get_settings().scan_interval_minutes)
    clock.freeze(clock.now() + interval + timedelta(minutes=1))
    assert len(scans.run_due_scans()) == 1


def test_in_demo_mode_each_registered_platform_is_scanned(
    demo_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "demo", True)
    runs = [run_row(i) for i in scans.run_due_scans()]
    assert sorted(r.platform for r in runs) == ["facebook", "instagram", "x"]
    assert {f.handle for f in findings()} == IMPOSTORS | UNOFFICIAL


def test_a_run_whose_worker_died_is_taken_over(platform: SimulatedPlatform) -> None:
    long_ago = clock.now() - timedelta(hours=1)
    with session_scope() as session:
        orphan = ScanRun(
            platform="simulated",
            status=ScanStatus.running,
            requested_by="test",
            budget=10,
            started_at=long_ago,
            heartbeat_at=long_ago,
        )
        session.add(orphan)
        session.flush()
        orphan_id = orphan.id
    assert scans.run_scan("simulated") == orphan_id
    assert run_row(orphan_id or 0).status is ScanStatus.finished


def test_scan_verdicts_are_counted_in_the_metrics(demo_db: str) -> None:
    from prometheus_client import REGISTRY

    def counted(verdict: str) -> float:
        value = REGISTRY.get_sample_value("imprimatur_scan_findings_total", {"verdict": verdict})
        return value or 0.0

    before = counted("impersonation")
    scans.run_scan("simulated")
    assert counted("impersonation") - before == len(IMPOSTORS)
