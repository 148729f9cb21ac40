"""Two scans of one platform at once: each account reported once, each run's record whole.

PostgreSQL only (SQLite serialises writers, so there is no race to test). Both scans meet the
same accounts in the same order; a barrier holds each right before it opens a finding, until
the other scan is about to open the same one, so that the two inserts truly collide. What keeps
one account from becoming two findings is the unique `(platform, account_key)`: the loser's
insert fails and it updates the winner's finding instead. Two workers continuing one stopped
run meet at its claim, a compare-and-set: one continues the run, the other starts its own.
"""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import col, select

from service.audit.models import AuditEntry
from service.audit.service import verify_chain
from service.db import get_engine, session_scope
from service.findings import record
from service.scans import service as scans
from service.scans.models import ScanStatus
from tests.conftest import hold_together
from tests.scans.conftest import (
    IMPOSTORS,
    UNOFFICIAL,
    SimulatedPlatform,
    findings,
    run_row,
    snapshot_counts,
)

pytestmark = pytest.mark.parametrize("committed_database", ["postgresql"], indirect=True)

SCANS = 2


def open_findings_together(monkeypatch: pytest.MonkeyPatch, parties: int) -> None:
    """Both scans reach each new account's insert, having found no finding: they insert it
    together."""
    hold_together(monkeypatch, record, "_insert", parties)


def finding_audit() -> Counter[tuple[str, str]]:
    with session_scope() as session:
        rows = session.exec(
            select(AuditEntry.action, AuditEntry.subject_id).where(
                col(AuditEntry.subject_type) == "finding"
            )
        ).all()
    return Counter((action, subject_id) for action, subject_id in rows)


def scans_at_once() -> list[int]:
    """`run_scan` of the simulated platform on `SCANS` threads; their run ids."""
    with ThreadPoolExecutor(SCANS) as pool:
        return list(pool.map(lambda _: scans.run_scan("simulated"), range(SCANS)))


def test_two_scans_at_once_report_each_account_once(
    platform: SimulatedPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_findings_together(monkeypatch, SCANS)

    ids = scans_at_once()

    found = findings()
    assert sorted(f.handle for f in found) == sorted(IMPOSTORS | UNOFFICIAL)
    assert set(snapshot_counts().values()) == {1}
    assert finding_audit() == Counter({("finding.opened", str(f.id)): 1 for f in found})
    runs = [run_row(run_id) for run_id in ids]
    assert len({run.id for run in runs}) == SCANS
    for run in runs:
        assert (run.status, run.errors) == (ScanStatus.finished, [])
        assert run.finished_at is not None
        assert run.counts["flagged"] == len(found) and run.counts["candidates"] == 12
        assert run.counts["api_calls"] == run.counts["queries"] + run.counts["lookups"]
    assert sum(run.counts["new"] for run in runs) == len(found)
    assert sum(run.counts["updated"] + run.counts["reopened"] for run in runs) == 0
    assert verify_chain(get_engine()).intact


def test_two_workers_continuing_a_stopped_run_do_not_both_take_it(
    platform: SimulatedPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped = scans.run_scan("simulated", budget=3)
    assert run_row(stopped).status is ScanStatus.budget_exhausted
    hold_together(monkeypatch, scans, "_claim", SCANS)  # the compare-and-set on the run

    ids = scans_at_once()

    assert ids.count(stopped) == 1  # one continued it; the other started its own run
    runs = [run_row(run_id) for run_id in ids]
    assert {run.status for run in runs} == {ScanStatus.finished}
    continued = run_row(stopped)
    steps = continued.counts["queries"] + continued.counts["lookups"]
    assert continued.counts["api_calls"] == steps  # no step of the stopped run made twice
    assert sorted(f.handle for f in findings()) == sorted(IMPOSTORS | UNOFFICIAL)
    assert set(snapshot_counts().values()) == {1}
    assert verify_chain(get_engine()).intact
