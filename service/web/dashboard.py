"""What waits for each person, gathered from the domains' own service functions.

Each queue appears only for the roles that act on it; the counts are what the linked page
lists, so the dashboard never promises work the page then hides.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session

from service import clock
from service.accounts import service as accounts
from service.accounts import stewardship
from service.audit import service as audit
from service.audit.models import AuditEntry
from service.consent import service as consent
from service.findings import service as findings
from service.posts import compose
from service.posts import service as posts
from service.users.models import CONTRIBUTORS, OVERSIGHT, Role, User
from workflows.account_lifecycle import AccountStatus
from workflows.finding_lifecycle import FindingStatus
from workflows.post_lifecycle import PostStatus

SOON = timedelta(days=30)
SHOWN = 5
REVIEWERS = frozenset({Role.superintendent, Role.designee, Role.site_admin})
TRIAGERS = frozenset({Role.superintendent, Role.designee, Role.auditor})
CONSENT_KEEPERS = frozenset({Role.superintendent, Role.site_admin})


@dataclass
class Queue:
    title: str
    href: str
    empty: str
    items: list[tuple[str, str]] = field(default_factory=list)
    count: int = 0


def _queue(title: str, href: str, empty: str, items: list[tuple[str, str]]) -> Queue:
    return Queue(title, href, empty, items[:SHOWN], len(items))


def _posts_to_review(session: Session, user: User) -> Queue:
    waiting = [
        (f"Post #{post.id} by {post.author} — {post.text[:60]}", f"/review/{post.id}")
        for post in compose.review_queue(session, user)
    ]
    return _queue("Posts to approve", "/review", "No post waits for your review.", waiting)


def _my_open_posts(session: Session, user: User) -> Queue:
    mine = [
        (f"Post #{post.id} — {post.status.value.replace('_', ' ')}", f"/posts/{post.id}")
        for status in (PostStatus.changes_requested, PostStatus.draft)
        for post in posts.list_posts(session, user, status)
        if post.author_id == user.id
    ]
    return _queue("My posts to finish", "/posts", "Nothing of yours is waiting.", mine)


def _findings_to_triage(session: Session) -> Queue:
    waiting = [
        (f"@{f.handle} on {f.platform.label} — score {f.score:.2f}", f"/findings/{f.id}")
        for f in findings.list_findings(session, status=FindingStatus.open)
    ]
    return _queue("Findings to triage", "/findings", "No open finding.", waiting)


def _accounts_due_review(session: Session) -> Queue:
    horizon = clock.now() + SOON
    due = sorted(
        (a for a in accounts.list_accounts(session, status=AccountStatus.authorized)),
        key=lambda a: a.review_due or horizon,
    )
    waiting = [
        (f"@{a.handle} on {a.platform.label} — due {a.review_due:%Y-%m-%d}", f"/accounts/{a.id}")
        for a in due
        if a.review_due is not None and a.review_due <= horizon
    ]
    return _queue(
        "Accounts up for annual review", "/accounts", "No account is due a review.", waiting
    )


def _attention(item: stewardship.AccountStanding) -> str:
    account, standing = item.account, item.standing
    reasons = [f"review overdue {standing.days_overdue} days"] if standing.needs_review else []
    if "dormant" in standing.flags:
        since = f"{account.last_activity_at:%Y-%m-%d}" if account.last_activity_at else "never"
        reasons.append(f"dormant (last post {since})")
    if "orphaned" in standing.flags:
        reasons.append("orphaned: no steward")
    elif "few_stewards" in standing.flags:
        reasons.append(f"{len(item.stewards)} steward(s) only")
    return f"@{account.handle} on {account.platform.label} — {', '.join(reasons)}"


def _accounts_needing_attention(session: Session) -> Queue:
    waiting = [
        (_attention(item), f"/accounts/{item.account.id}")
        for item in stewardship.needing_attention(session)
    ]
    return _queue(
        "Accounts needing attention", "/accounts", "Every official account is in order.", waiting
    )


def _consents_expiring(session: Session, user: User) -> Queue:
    today = clock.now().date()
    expiring = [
        (f"Consent #{c.id} — expires {c.expires_on:%Y-%m-%d}", f"/consents/students/{c.student_id}")
        for c in consent.list_consents(session, user, valid=True)
        if c.expires_on is not None and c.expires_on <= today + SOON
    ]
    return _queue("Consents expiring", "/consents", "No consent expires in 30 days.", expiring)


def waiting_for(session: Session, user: User) -> list[Queue]:
    queues = []
    if user.role in REVIEWERS:
        queues.append(_posts_to_review(session, user))
    if user.role in CONTRIBUTORS:
        queues.append(_my_open_posts(session, user))
    if user.role in TRIAGERS:
        queues.append(_findings_to_triage(session))
    if user.role in OVERSIGHT:
        queues.append(_accounts_due_review(session))
    if user.role is Role.superintendent:
        queues.append(_accounts_needing_attention(session))
    if user.role in CONSENT_KEEPERS:
        queues.append(_consents_expiring(session, user))
    return queues


def recent_activity(session: Session, user: User, limit: int = 10) -> list[AuditEntry]:
    """Everything for those who oversee; one's own actions for everyone else."""
    where = audit.AuditFilter() if user.role in OVERSIGHT else audit.AuditFilter(actor=user.email)
    return audit.list_entries(session, where, limit=limit, offset=0)
