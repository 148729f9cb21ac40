"""What the findings pages show: the triage queue's filters, one finding beside the account it
imitates with its history, the actions its status allows, and the images as stored evidence.

Decisions stay in `workflows.finding_lifecycle`; this module only asks it which actions it
would allow, and loads what the pages display.
"""

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, select

from service import media
from service.accounts.models import Account
from service.audit import service as audit
from service.audit.models import AuditEntry
from service.audit.views import summary
from service.db import first_or_404
from service.errors import NotFound
from service.findings import evidence
from service.findings.models import (
    DismissRequest,
    Finding,
    FindingReport,
    FindingSnapshot,
    FindingSource,
    RegisterRequest,
    TriageRequest,
)
from service.findings.service import get_finding, reports_of, snapshots_of
from service.institution.models import Institution
from service.users.models import User
from workflows import finding_lifecycle as lifecycle
from workflows.finding_lifecycle import DismissReason, FindingAction, FindingStatus
from workflows.platforms import Platform

HISTORY_SHOWN = 200
IMAGE_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
DISMISS_REASONS = {
    DismissReason.fan: "Fan account",
    DismissReason.parody: "Parody",
    DismissReason.unrelated: "Unrelated",
    DismissReason.other_institution: "Another institution",
    DismissReason.other: "Other (say why in the note)",
}


class QueueFilters(BaseModel):
    """The triage queue's filters, as a browser's query string sends them (blank: any)."""

    status: FindingStatus | None = None
    platform: Platform | None = None
    min_score: float | None = Field(default=None, ge=0, le=1)
    source: FindingSource | None = None

    @field_validator("status", "platform", "min_score", "source", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value.strip() or None
        return value


@dataclass(frozen=True)
class ActionForm:
    action: FindingAction
    slug: str  # in the page's URL: /findings/{id}/{slug}
    label: str
    question: str


FORMS = (
    ActionForm(
        FindingAction.confirm,
        "confirm",
        "Confirm impersonation",
        "Confirm that this account impersonates the institution?",
    ),
    ActionForm(
        FindingAction.request_takedown,
        "request-takedown",
        "Takedown requested",
        "Record that you reported this account to the platform for a takedown?",
    ),
    ActionForm(
        FindingAction.resolve,
        "resolve",
        "Resolve: it is gone",
        "Record that the platform took this account down?",
    ),
    ActionForm(
        FindingAction.mark_unofficial,
        "mark-unofficial",
        "Mark as unofficial presence",
        "Mark this as an account run by someone of the institution without authorization?",
    ),
    ActionForm(
        FindingAction.bring_into_register,
        "bring-into-register",
        "Bring into the register",
        "Request this account for the register? The superintendent then authorizes or rejects it.",
    ),
    ActionForm(
        FindingAction.ask_to_close,
        "ask-to-close",
        "Asked to close it",
        "Record that its owner was asked to close this account?",
    ),
    ActionForm(
        FindingAction.dismiss,
        "dismiss",
        "Dismiss",
        "Dismiss this finding? The scanner reopens it if the account changes materially.",
    ),
)
_BY_SLUG = {form.slug: form.action for form in FORMS}


def action_for(slug: str) -> FindingAction:
    try:
        return _BY_SLUG[slug]
    except KeyError:
        raise NotFound(f"There is no finding action {slug!r}.") from None


def allowed_forms(status: FindingStatus, role: str) -> list[ActionForm]:
    """The actions the lifecycle would allow someone of `role` on a finding in `status`."""
    return [
        form
        for form in FORMS
        if isinstance(
            lifecycle.decide(status, form.action, role, reason=DismissReason.fan),
            lifecycle.Moved,
        )
    ]


def triage_request(
    action: FindingAction, *, version: int, note: str, reason: str, purpose: str
) -> TriageRequest:
    """The request the API would receive for `action`, from a page's form fields."""
    fields: dict[str, Any] = {"version": version, "note": note}
    if action is FindingAction.dismiss:
        return DismissRequest.model_validate({**fields, "reason": reason})
    if action is FindingAction.bring_into_register:
        return RegisterRequest.model_validate({**fields, "purpose": purpose})
    return TriageRequest.model_validate(fields)


@dataclass(frozen=True)
class FindingPage:
    finding: Finding
    snapshots: list[FindingSnapshot]  # newest first
    imitated: Account | None
    official_logo: bool
    history: list[tuple[AuditEntry, list[str]]]  # newest first, with a summary of each change
    actions: list[ActionForm]
    can_triage: bool
    evidence_pack: bool
    reports: list[FindingReport]  # newest first

    @property
    def latest(self) -> FindingSnapshot | None:
        return self.snapshots[0] if self.snapshots else None


def finding_page(session: Session, finding_id: int, viewer: User) -> FindingPage:
    finding = get_finding(session, finding_id)
    where = audit.AuditFilter(subject_type="finding", subject_id=str(finding_id))
    history = audit.list_entries(session, where, limit=HISTORY_SHOWN, offset=0)
    return FindingPage(
        finding=finding,
        snapshots=snapshots_of(session, finding_id),
        imitated=evidence.imitated_account(session, finding),
        official_logo=evidence.official_logo(session.get(Institution, 1)) is not None,
        history=[(entry, summary(entry)) for entry in history],
        actions=allowed_forms(finding.status, viewer.role),
        can_triage=viewer.role in lifecycle.TRIAGERS,
        evidence_pack=lifecycle.evidence_pack_allowed(finding.status, finding.resolution),
        reports=reports_of(session, finding_id),
    )


def _stored_image(relative: str | None, missing: str) -> tuple[bytes, str]:
    """A stored image and its media type; only the image types a browser shows inline."""
    kind = IMAGE_TYPES.get(relative.rsplit(".", 1)[-1].lower()) if relative else None
    if relative is None or kind is None:
        raise NotFound(missing)
    try:
        return media.read_stored(relative), kind
    except OSError:
        raise NotFound(missing) from None


def snapshot_image(session: Session, finding_id: int, snapshot_id: int) -> tuple[bytes, str]:
    """The profile image a snapshot recorded, as downloaded at the time."""
    query = select(FindingSnapshot).where(
        FindingSnapshot.id == snapshot_id, FindingSnapshot.finding_id == finding_id
    )
    missing = f"Finding {finding_id} has no snapshot {snapshot_id} with an image."
    snapshot = first_or_404(session, query, missing)
    return _stored_image(snapshot.image_path, missing)


def official_image(session: Session, finding_id: int) -> tuple[bytes, str]:
    """The image that stands for the official side of this finding (the institution's logo)."""
    get_finding(session, finding_id)
    logo = evidence.official_logo(session.get(Institution, 1))
    path = logo.get("path") if logo else None
    return _stored_image(str(path) if path else None, "No official logo is on file.")


def report_screenshot(session: Session, finding_id: int, report_id: int) -> tuple[bytes, str]:
    """The screenshot a person sent with a report, as stored (metadata stripped)."""
    query = select(FindingReport).where(
        FindingReport.id == report_id, FindingReport.finding_id == finding_id
    )
    missing = f"Finding {finding_id} has no report {report_id} with a screenshot."
    report = first_or_404(session, query, missing)
    return _stored_image(report.screenshot_path, missing)
