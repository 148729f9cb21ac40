"""One mail per scan run to the people who triage: the new and reopened findings worth a look."""

from collections.abc import Sequence

from sqlmodel import Session, col, select

from service.findings.models import Finding
from service.notifications.service import queue_mail
from service.scans.models import ScanRun
from service.settings import get_settings
from service.users.models import Role, User

TRIAGERS = (Role.superintendent, Role.designee)


def recipients(session: Session) -> list[str]:
    return list(
        session.exec(
            select(User.email).where(col(User.role).in_(TRIAGERS), col(User.active).is_(True))
        ).all()
    )


def _line(finding: Finding, base_url: str) -> str:
    why = finding.reasons[0] if finding.reasons else finding.verdict
    return (
        f"- {finding.platform} @{finding.handle} ({finding.display_name}): {finding.verdict}, "
        f"score {finding.score:.2f}; {why}\n  {base_url}/api/v1/findings/{finding.id}"
    )


def queue_digest(session: Session, run: ScanRun, finding_ids: Sequence[int]) -> int:
    """Queue the run's digest in the caller's transaction; returns the mails queued."""
    if not finding_ids:
        return 0
    findings = session.exec(
        select(Finding)
        .where(col(Finding.id).in_(list(finding_ids)))
        .order_by(col(Finding.score).desc(), col(Finding.id))
    ).all()
    base_url = get_settings().base_url.rstrip("/")
    count = len(findings)
    subject = f"Impersonation scan: {count} finding(s) to triage on {run.platform}"
    body = (
        f"Scan run {run.id} on {run.platform} opened or reopened {count} finding(s) that "
        "may need action:\n\n"
        + "\n".join(_line(f, base_url) for f in findings)
        + "\n\nConfirm, dismiss or mark each as an unofficial presence in Imprimatur.\n"
    )
    return queue_mail(session, recipients(session), subject, body)
