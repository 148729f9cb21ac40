"""The demo institution in a committed database, and simulated platforms that misbehave."""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlmodel import col, select

import connectors
from connectors import Profile
from connectors.simulated import SimulatedConnector
from service import clock, demo
from service.db import session_scope
from service.findings.models import Finding, FindingSnapshot
from service.scans.models import ScanRun

IMPOSTORS = {
    "Riverbend_Tech",
    "RlverbendTech",
    "RiverbendTechOfficial",
    "RiverbendTechnologyCentre",
}
UNOFFICIAL = {"rtc_nursing", "RTCHarborCampus"}
BENIGN = {
    "RiverbendTechPTA",
    "rtc_alumni",
    "riverbendtechfan",
    "RiverbendAutoRepair",
    "RiverbendBakery",
    "rtc_tennis",
}
REGISTERED = {"RiverbendTech", "RiverbendTechnologyCenter", "riverbendtech", "rtc_culinary"}
REQUESTED = {"riverbend_welding"}  # a staff request awaiting the superintendent


@pytest.fixture
def demo_db(committed_database: str) -> str:
    """What `imprimatur serve --demo` seeds: institution, register, people."""
    with session_scope() as session:
        demo._seed(session)
    return committed_database


@dataclass
class SimulatedPlatform:
    """Hands every scan a fresh connector of `cls` over the demo's accounts."""

    cls: type[SimulatedConnector] = SimulatedConnector
    made: list[SimulatedConnector] = field(default_factory=list)

    def get(self, name: str, settings: object = None) -> SimulatedConnector:
        self.made.append(self.cls(profiles_path=demo.SIMULATED_PROFILES))
        return self.made[-1]

    @property
    def api_calls(self) -> int:
        return sum(c.api_calls for c in self.made)


@pytest.fixture
def platform(monkeypatch: pytest.MonkeyPatch, demo_db: str) -> SimulatedPlatform:
    simulated = SimulatedPlatform()
    monkeypatch.setattr(connectors, "get", simulated.get)
    return simulated


class RateLimitedFirstSearch(SimulatedConnector):
    """The limit hits on the first search, after the platform returned a page of results."""

    def search_accounts(self, query: str, limit: int = 100) -> list[Profile]:
        found = super().search_accounts(query, limit)
        if self.api_calls == 1:
            reset = clock.now() + timedelta(minutes=15)
            raise connectors.RateLimited("simulated", "slow down", reset, found)
        return found


class NoSearch(SimulatedConnector):
    def search_accounts(self, query: str, limit: int = 100) -> list[Profile]:
        raise connectors.PermissionMissing("simulated", "account search")


class BadToken(SimulatedConnector):
    def search_accounts(self, query: str, limit: int = 100) -> list[Profile]:
        raise connectors.AuthError("simulated", "the token was revoked")


def findings() -> list[Finding]:
    with session_scope() as session:
        return list(session.exec(select(Finding).order_by(col(Finding.id))).all())


def snapshot_counts() -> dict[int, int]:
    with session_scope() as session:
        rows = session.exec(select(FindingSnapshot.finding_id)).all()
    counts: dict[int, int] = {}
    for finding_id in rows:
        counts[finding_id] = counts.get(finding_id, 0) + 1
    return counts


def run_row(run_id: int) -> ScanRun:
    with session_scope() as session:
        run = session.get(ScanRun, run_id)
        assert run is not None
        return run
