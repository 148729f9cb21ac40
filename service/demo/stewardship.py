"""Demo stewardship: one official account overdue for its annual review, one dormant, one
with a single steward, so the superintendent's dashboard has one of each to resolve.

Idempotent: an account is set up once (marked by its authorization's reason) and never again
after the superintendent acted on it.
"""

from datetime import timedelta

from sqlmodel import Session, select

from service import clock
from service.accounts import service as accounts
from service.accounts.models import Account, AccountAuthorization, AccountSteward
from service.settings import get_settings
from service.users.models import User
from workflows.account_lifecycle import AccountStatus
from workflows.platforms import Platform

SEEDED = "demo: authorized long ago"
OVERDUE = (Platform.facebook, "RiverbendTechnologyCenter")
DORMANT = (Platform.instagram, "riverbendtech")
SINGLE_STEWARD = (Platform.instagram, "rtc_culinary")
DORMANT_FOR_DAYS = 200


def _backdate(session: Session, account: Account, days_ago: int) -> bool:
    """Move the account's only authorization `days_ago` back; False if it was done or acted on."""
    rows = session.exec(
        select(AccountAuthorization).where(AccountAuthorization.account_id == account.id)
    ).all()
    if len(rows) != 1 or rows[0].reason == SEEDED:
        return False
    authorized_at = clock.now() - timedelta(days=days_ago)
    review_due = authorized_at + timedelta(days=get_settings().review_period_days)
    row = rows[0]
    row.at, row.review_due, row.reason = authorized_at, review_due, SEEDED
    account.authorized_at, account.review_due = authorized_at, review_due
    session.add_all([row, account])
    return True


def seed_stewardship(session: Session, superintendent: User, second_steward: User) -> None:
    settings = get_settings()
    official = {
        (a.platform, a.handle): a
        for a in accounts.list_accounts(session, status=AccountStatus.authorized)
    }
    for key, account in official.items():
        assert account.id is not None and second_steward.id is not None
        if key != SINGLE_STEWARD and not session.get(
            AccountSteward, (account.id, second_steward.id)
        ):
            accounts.add_steward(session, account.id, second_steward.email, superintendent)
    if (overdue := official.get(OVERDUE)) is not None:
        late = settings.review_grace_days + 15
        _backdate(session, overdue, settings.review_period_days + late)
    dormant = official.get(DORMANT)
    if dormant is not None and _backdate(session, dormant, DORMANT_FOR_DAYS + 100):
        dormant.last_activity_at = clock.now() - timedelta(days=DORMANT_FOR_DAYS)
        dormant.activity_checked_at = clock.now()
        session.add(dormant)
    session.flush()
