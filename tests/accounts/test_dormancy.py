"""The dormancy job over the simulated platform, with the clock frozen: readings stored,
becoming dormant and active again audited once each, failures and missing connectors counted."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from connectors import Connector, Credentials, PlatformError, PublishRequest, RateLimited
from connectors.simulated import SimulatedConnector
from service import clock
from service.accounts import dormancy
from service.accounts import service as accounts
from service.accounts.models import Account, AccountRequest
from service.audit.models import AuditEntry
from service.cli import app as cli
from service.db import session_scope
from service.scans.runner import ScanFailed
from service.settings import get_settings
from service.users import service as users
from service.users.models import Role
from workflows.account_lifecycle import AccountAction
from workflows.platforms import Platform

T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)
QUIET_SINCE = T0 - timedelta(days=10)  # the simulated @Quiet's latest post
PROFILES = [
    {"id": "x:1", "platform": "x", "handle": "Quiet", "latest_post_at": QUIET_SINCE.isoformat()},
    {"id": "x:2", "platform": "x", "handle": "Busy", "latest_post_at": T0.isoformat()},
    {"id": "x:3", "platform": "x", "handle": "NeverPosted"},
]
DORMANCY_ACTIONS = ("account.became_dormant", "account.active_again")


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    path = tmp_path / "profiles.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in PROFILES), encoding="utf-8")
    return path


@pytest.fixture
def sim(profiles: Path) -> SimulatedConnector:
    return SimulatedConnector(profiles_path=profiles, platform=Platform.x)


@pytest.fixture
def register(committed_database: str) -> Callable[..., int]:
    """Authorize an account at T0 (or request one only), returning its id."""
    clock.freeze(T0)
    with session_scope() as session:
        users.add_user(session, actor="t", email="boss@s.example", role=Role.superintendent)
        users.add_user(session, actor="t", email="comms@s.example", role=Role.staff)

    def add(platform: Platform, handle: str, *, authorize: bool = True) -> int:
        with session_scope() as session:
            boss = users.find_by_email(session, "boss@s.example")
            comms = users.find_by_email(session, "comms@s.example")
            assert boss is not None and comms is not None
            request = AccountRequest(platform=platform, handle=handle)
            account = accounts.request_account(session, comms, request)
            assert account.id is not None
            if authorize:
                accounts.decide(session, account.id, AccountAction.authorize, boss, "")
            return account.id

    return add


@pytest.fixture
def use(monkeypatch: pytest.MonkeyPatch) -> Callable[[Connector], None]:
    """Serve X through this connector; any other platform has none configured."""

    def install(connector: Connector) -> None:
        def connector_for(session: Session, name: str) -> Connector:
            if name == "x":
                return connector
            raise ScanFailed(f"{name}: not configured")

        monkeypatch.setattr(dormancy, "connector_for", connector_for)

    return install


def account(account_id: int) -> Account:
    with session_scope() as session:
        found = session.get(Account, account_id)
        assert found is not None
        return found


def dormancy_audit() -> list[tuple[str, str, dict[str, object] | None]]:
    with session_scope() as session:
        rows = session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.action).in_(DORMANCY_ACTIONS))
            .order_by(col(AuditEntry.id))
        ).all()
        return [(row.action, row.subject_id, row.after) for row in rows]


def test_an_account_becomes_dormant_then_active_again_each_audited_once(
    register: Callable[..., int], sim: SimulatedConnector, use: Callable[[Connector], None]
) -> None:
    quiet = register(Platform.x, "Quiet")
    use(sim)

    clock.freeze(T0 + timedelta(days=100))
    report = dormancy.check_dormancy()
    assert (report.checked, report.became_dormant, report.failed) == (1, 0, 0)
    assert account(quiet).last_activity_at == QUIET_SINCE
    assert account(quiet).activity_checked_at == T0 + timedelta(days=100)
    assert dormancy_audit() == []

    went_quiet = QUIET_SINCE + timedelta(days=180)
    clock.freeze(went_quiet + timedelta(days=3))  # the job did not run the day it happened
    assert dormancy.check_dormancy().became_dormant == 1
    [(action, subject, after)] = dormancy_audit()
    assert (action, subject) == ("account.became_dormant", str(quiet))
    assert after is not None and after["dormant"] is True and after["dormant_after_days"] == 180

    assert dormancy.check_dormancy().became_dormant == 0  # again at once: nothing new
    clock.freeze(went_quiet + timedelta(days=4))
    assert dormancy.check_dormancy().became_dormant == 0  # a day later: still dormant, no row
    assert len(dormancy_audit()) == 1

    posted = went_quiet + timedelta(days=5)
    clock.freeze(posted)
    request = PublishRequest(post_id=1, target_id=quiet, text="Back!", idempotency_key="k")
    sim.publish(request, Credentials("token", extra={"handle": "Quiet"}))
    clock.freeze(posted + timedelta(hours=1))
    report = dormancy.check_dormancy()
    assert (report.checked, report.became_dormant, report.active_again) == (1, 0, 1)
    assert account(quiet).last_activity_at == posted
    assert [a for a, _, _ in dormancy_audit()] == list(DORMANCY_ACTIONS)


def test_an_account_that_never_posted_counts_from_its_authorization(
    register: Callable[..., int], sim: SimulatedConnector, use: Callable[[Connector], None]
) -> None:
    never = register(Platform.x, "NeverPosted")
    use(sim)

    clock.freeze(T0 + timedelta(days=179))
    assert dormancy.check_dormancy().became_dormant == 0
    assert account(never).last_activity_at is None
    assert account(never).activity_checked_at == T0 + timedelta(days=179)

    clock.freeze(T0 + timedelta(days=181))
    assert dormancy.check_dormancy().became_dormant == 1
    assert [(a, s) for a, s, _ in dormancy_audit()] == [("account.became_dormant", str(never))]


def test_one_accounts_failure_does_not_stop_the_others(
    register: Callable[..., int], sim: SimulatedConnector, use: Callable[[Connector], None]
) -> None:
    quiet, busy = register(Platform.x, "Quiet"), register(Platform.x, "Busy")
    use(sim)
    sim.fail_next(PlatformError("simulated", "the platform is down", status=503, retryable=True))

    clock.freeze(T0 + timedelta(days=200))
    report = dormancy.check_dormancy()

    assert (report.checked, report.failed, report.became_dormant) == (1, 1, 1)
    assert account(quiet).activity_checked_at is None  # nothing stored for the failed read
    assert account(busy).last_activity_at == T0
    assert [(a, s) for a, s, _ in dormancy_audit()] == [("account.became_dormant", str(busy))]


def test_a_rate_limit_leaves_the_rest_of_that_platform_for_the_next_run(
    register: Callable[..., int], sim: SimulatedConnector, use: Callable[[Connector], None]
) -> None:
    for handle in ("Quiet", "Busy", "NeverPosted"):
        register(Platform.x, handle)
    use(sim)
    sim.fail_next(RateLimited("simulated", "slow down", T0 + timedelta(minutes=15)))

    report = dormancy.check_dormancy()

    assert (report.checked, report.failed) == (0, 3)
    assert sim.api_calls == 1  # the other two were not even tried


def test_platforms_without_a_connector_are_skipped_and_requests_are_not_read(
    register: Callable[..., int],
) -> None:
    tiktok = register(Platform.tiktok, "riverbend_welding")
    register(Platform.x, "Pending", authorize=False)

    report = dormancy.check_dormancy()  # the real lookup: nothing configured, not the demo

    assert (report.checked, report.skipped, report.failed) == (0, 1, 0)
    assert account(tiktok).activity_checked_at is None


def test_the_demo_platform_serves_the_job_through_the_shared_budget(
    register: Callable[..., int], profiles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet = register(Platform.x, "Quiet")
    monkeypatch.setenv("IMPRIMATUR_DEMO", "true")
    monkeypatch.setenv("IMPRIMATUR_SIMULATED_PROFILES_PATH", str(profiles))
    get_settings.cache_clear()

    output = CliRunner().invoke(cli, ["jobs", "check-dormancy"])

    assert output.exit_code == 0, output.output
    assert "Checked 1 account(s): 0 became dormant" in output.output
    assert account(quiet).last_activity_at == QUIET_SINCE
