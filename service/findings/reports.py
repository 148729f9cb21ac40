"""Reports from people: an account someone says claims to be the institution.

A report opens the account's finding (source "report", status open) or adds to the finding
that exists, which keeps its status; it stores the screenshot content-addressed, scores the
reported profile when a connector can look it up, audits, and mails the people who triage.
The reporter learns the report's reference and nothing else.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from connectors import Profile
from service import clock, imaging, media
from service.accounts import service as accounts
from service.audit import service as audit
from service.errors import Invalid
from service.findings import record
from service.findings.models import (
    Finding,
    FindingReport,
    FindingSource,
    ReportReceipt,
    ReportSubmission,
)
from service.findings.report_lookup import Lookup, look_up
from service.findings.service import finding_state, move
from service.notifications.service import queue_mail
from service.ratelimit import Limit, shared_budget
from service.scans.digest import recipients
from service.settings import get_settings
from service.users.models import User
from workflows.finding_lifecycle import FindingStatus
from workflows.profile_urls import ProfileRef, profile_url

PUBLIC_REPORTER = "public:report"
SCREENSHOT_FORMATS = frozenset({"png", "jpeg", "webp"})
UNSCORED = "reported"
REPORTED_REASON = "Reported by a person as claiming to be the institution."
THANKS = (
    "Thank you. The people who look after the institution's official accounts will look "
    "into it. Your reference is {reference}; quote it if you write to us about this report."
)


@dataclass(frozen=True)
class Screenshot:
    data: bytes
    filename: str
    content_type: str | None


def client_key(address: str) -> str:
    """A keyed hash of the client's address: enough to count its reports, never the address."""
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, b"report-client:" + address.encode(), hashlib.sha256).hexdigest()


def rate_limit_wait(key: str) -> float:
    """0 when this client may report now, else the seconds until it may."""
    settings = get_settings()
    limit = Limit.parse(settings.report_rate_limit)
    return shared_budget(settings).take(f"report:{key}", limit)


def new_reference() -> str:
    """'R-' and 8 base32 characters: 40 random bits, short to read out, not guessable."""
    return "R-" + base64.b32encode(secrets.token_bytes(5)).decode()


def inspect_screenshot(screenshot: Screenshot) -> imaging.InspectedImage:
    """PNG, JPEG or WebP within the size limit; its bytes decide, never its name or label."""
    name = media.client_filename(screenshot.filename, "the screenshot")
    inspected = imaging.inspect_image(
        screenshot.data,
        filename=name,
        declared_type=screenshot.content_type,
        max_bytes=get_settings().report_max_screenshot_bytes,
    )
    if inspected.format not in SCREENSHOT_FORMATS:
        raise Invalid(
            f"{name} is a {inspected.format.upper()} image; "
            "send the screenshot as PNG, JPEG or WebP"
        )
    return inspected


def _reported_profile(ref: ProfileRef) -> Profile:
    """The account as the report names it, when no platform could show it to us."""
    return Profile(
        platform=ref.platform,
        platform_id=ref.handle if ref.by_id else "",
        handle=ref.handle,
        display_name="",
    )


def _new_finding(ref: ProfileRef, lookup: Lookup) -> Finding:
    now = clock.now()
    sighting = lookup.sighting
    profile = sighting.profile if sighting else _reported_profile(ref)
    values: dict[str, Any] = (
        record.identity_values(sighting)
        if sighting
        else {
            "handle": ref.handle,
            "handle_key": ref.key,
            "profile_url": profile_url(ref),
            "verdict": UNSCORED,
            "score": 0.0,
            "reasons": [],
            "last_seen": now,
        }
    )
    values["reasons"] = [REPORTED_REASON, *values["reasons"]]
    return Finding(
        platform=profile.platform,
        account_key=record.account_key(profile),
        platform_account_id=profile.platform_id or None,
        status=FindingStatus.open,
        source=FindingSource.report.value,
        first_seen=now,
        created_at=now,
        updated_at=now,
        **values,
    )


def _update(session: Session, finding: Finding, lookup: Lookup) -> None:
    """Seen again, and rescored when looked up; the status stays what people made it."""
    values: dict[str, Any] = {"last_seen": clock.now()}
    sighting = lookup.sighting
    changed = False
    if sighting is not None:
        values.update(record.identity_values(sighting))
        if finding.platform_account_id is None and sighting.profile.platform_id:
            values["platform_account_id"] = sighting.profile.platform_id
            values["account_key"] = record.account_key(sighting.profile)
        latest = record.latest_snapshot(session, finding.id or 0)
        fingerprint = sighting.fingerprint if sighting.image is not None else None
        content = record.content_sha256(
            record.profile_record(sighting.profile), fingerprint.sha256 if fingerprint else None
        )
        changed = latest is None or latest.content_sha256 != content
    move(session, finding, expected_version=finding.version, **values)
    if sighting is not None and changed:
        record.take_snapshot(session, finding, sighting)


def _open_or_update(
    session: Session, ref: ProfileRef, lookup: Lookup
) -> tuple[Finding, dict[str, Any] | None]:
    """The account's finding, and its state before the report (None: the report opened it)."""
    profile = lookup.sighting.profile if lookup.sighting else _reported_profile(ref)
    existing = record.find_existing(session, profile)
    if existing is None:
        finding = _new_finding(ref, lookup)
        try:
            with session.begin_nested():
                session.add(finding)
        except IntegrityError:  # a scan or another report created it a moment ago
            existing = record.find_existing(session, profile)
            assert existing is not None, "the insert failed on the account's unique key"
        else:
            if lookup.sighting is not None:
                record.take_snapshot(session, finding, lookup.sighting)
            return finding, None
    before = finding_state(existing)
    _update(session, existing, lookup)
    return existing, before


def _unused_reference(session: Session) -> str:
    while True:
        reference = new_reference()
        taken = select(FindingReport.id).where(FindingReport.reference == reference)
        if session.exec(taken).first() is None:
            return reference


def _notify(session: Session, finding: Finding, report: FindingReport, lookup: Lookup) -> None:
    base_url = get_settings().base_url.rstrip("/")
    who = "a member of staff" if report.reporter_id else "a member of the public"
    body = (
        f"{who.capitalize()} reported {finding.platform.label} account @{finding.handle} as "
        f"claiming to be the institution (report {report.reference}).\n\n"
        f"Description: {report.description or '(none)'}\n"
        f"Screenshot: {'attached to the finding' if report.screenshot_sha256 else 'none'}\n"
        f"Lookup: {lookup.note}\n\n"
        f"Triage it: {base_url}/findings/{finding.id}\n"
    )
    subject = f"Report {report.reference}: {finding.platform.label} @{finding.handle}"
    queue_mail(session, recipients(session), subject, body)


def submit_report(
    session: Session,
    data: ReportSubmission,
    *,
    reporter: User | None,
    client: str = "",
    screenshot: Screenshot | None = None,
) -> ReportReceipt:
    """Record a report; a bad URL or screenshot is refused (422/413) with nothing stored."""
    if data.website.strip():  # only robots fill the hidden field: thank them, keep nothing
        fake = new_reference()
        return ReportReceipt(reference=fake, message=THANKS.format(reference=fake))
    ref = accounts.resolve_reference(url=data.url.strip())
    official = accounts.official_account(session, ref)
    if official is not None:
        return ReportReceipt(
            official=True,
            message=f"@{official.handle} on {ref.platform.label} IS an official account of the "
            "institution; there is nothing to report. Thank you for checking.",
        )
    inspected = inspect_screenshot(screenshot) if screenshot else None
    lookup = look_up(session, ref)
    finding, before = _open_or_update(session, ref, lookup)
    stored = (
        media.store_bytes(inspected.publishable, folder="reports", suffix=f".{inspected.format}")
        if inspected
        else None
    )
    report = FindingReport(
        finding_id=finding.id or 0,
        reference=_unused_reference(session),
        profile_url=data.url.strip()[:500],
        description=data.description.strip(),
        contact_email=str(data.email) if data.email else None,
        screenshot_sha256=stored.sha256 if stored else None,
        screenshot_path=stored.path if stored else None,
        reporter_id=reporter.id if reporter else None,
        client_key=client,
        created_at=clock.now(),
    )
    session.add(report)
    session.flush()
    audit.record(
        session,
        actor=reporter.email if reporter else PUBLIC_REPORTER,
        action="finding.reported",
        subject_type="finding",
        subject_id=finding.id,
        before=before,
        after={
            **finding_state(finding),
            "report": report.reference,
            "screenshot_sha256": report.screenshot_sha256,
            "lookup": lookup.note,
        },
    )
    _notify(session, finding, report, lookup)
    return ReportReceipt(
        reference=report.reference, message=THANKS.format(reference=report.reference)
    )


def limited_message(wait_seconds: int) -> str:
    minutes = max(1, -(-wait_seconds // 60))
    return (
        "You have sent as many reports as we accept from one address for now. Thank you; "
        f"please try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )
