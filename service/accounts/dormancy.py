"""The dormancy job: read each official account's latest post through its platform's connector.

`check_dormancy` stores what it read (`last_activity_at`, `activity_checked_at`) and audits
only the changes of state: an account becoming dormant (no post for `dormant_after_days`) or
active again. Whether an account was dormant is judged at its previous check, so an account
that went quiet between two runs is audited once, at the run that first sees it. Platform
calls happen outside any transaction; each account's result commits on its own, so one
account's failure does not undo or stop the others. Accounts whose platform has no configured
connector are skipped (counted); after a rate limit, the rest of that platform waits for the
next run.
"""

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlmodel import Session, col, select

from connectors import Connector, ConnectorError, RateLimited
from service import clock
from service.accounts import service as accounts
from service.accounts.models import Account
from service.audit.service import record
from service.db import session_scope
from service.jobs import job
from service.scans.runner import ScanFailed
from service.scans.service import connector_for
from workflows.account_lifecycle import AccountStatus
from workflows.stewardship import Facts, Policy, is_dormant

log = structlog.get_logger()
ACTOR = "system:dormancy"


@dataclass
class DormancyReport:
    checked: int = 0
    became_dormant: int = 0
    active_again: int = 0
    skipped: int = 0  # no connector configured for the platform
    failed: int = 0


@dataclass(frozen=True)
class Target:
    account_id: int
    platform: str
    handle: str
    platform_id: str | None


def _dormant(account: Account, at: datetime | None, policy: Policy) -> bool:
    """Whether the stored reading made the account dormant at `at` (never read: not)."""
    if at is None:
        return False
    facts = Facts(
        status=account.status,
        review_due=account.review_due,
        active_stewards=0,  # not part of dormancy
        authorized_at=account.authorized_at,
        last_activity_at=account.last_activity_at,
        activity_checked_at=account.activity_checked_at,
    )
    return is_dormant(facts, at, policy)


def record_activity(session: Session, account_id: int, latest: datetime | None) -> bool | None:
    """Store one reading. Returns True when the account became dormant, False when it became
    active again, None when its state did not change (or it is no longer official)."""
    account = session.get(Account, account_id)
    if account is None or account.status is not AccountStatus.authorized:
        return None
    policy, now = accounts.stewardship_policy(), clock.now()
    before = {
        "last_activity_at": account.last_activity_at,
        "checked_at": account.activity_checked_at,
    }
    was_dormant = _dormant(account, account.activity_checked_at, policy)
    account.last_activity_at, account.activity_checked_at = latest, now
    session.add(account)
    dormant = _dormant(account, now, policy)
    if dormant == was_dormant:
        return None
    record(
        session,
        actor=ACTOR,
        action="account.became_dormant" if dormant else "account.active_again",
        subject_type=accounts.AUDIT_SUBJECT,
        subject_id=account_id,
        before={**before, "dormant": was_dormant},
        after={
            "last_activity_at": latest,
            "checked_at": now,
            "dormant": dormant,
            "dormant_after_days": policy.dormant_after_days,
        },
    )
    return dormant


def _targets(session: Session) -> list[Target]:
    accounts = session.exec(
        select(Account).where(Account.status == AccountStatus.authorized).order_by(col(Account.id))
    ).all()
    return [Target(a.id or 0, str(a.platform), a.handle, a.platform_account_id) for a in accounts]


def _connectors(session: Session, platforms: set[str]) -> dict[str, Connector | None]:
    found: dict[str, Connector | None] = {}
    for platform in sorted(platforms):
        try:
            found[platform] = connector_for(session, platform)
        except ScanFailed:
            found[platform] = None
    return found


@job("imprimatur.check_dormancy")
def check_dormancy() -> DormancyReport:
    """Run daily (or more often: it is idempotent)."""
    report = DormancyReport()
    with session_scope() as session:
        targets = _targets(session)
        connectors = _connectors(session, {target.platform for target in targets})
    rate_limited: set[str] = set()
    for target in targets:
        connector = connectors[target.platform]
        if connector is None:
            report.skipped += 1
            continue
        if target.platform in rate_limited:
            report.failed += 1
            continue
        try:
            latest = connector.latest_activity(target.handle, target.platform_id)
        except ConnectorError as error:
            report.failed += 1
            if isinstance(error, RateLimited):
                rate_limited.add(target.platform)
            log.warning("dormancy_check_failed", account_id=target.account_id, error=str(error))
            continue
        with session_scope() as session:
            change = record_activity(session, target.account_id, latest)
        report.checked += 1
        report.became_dormant += change is True
        report.active_again += change is False
    log.info("dormancy_checked", **vars(report))
    return report
