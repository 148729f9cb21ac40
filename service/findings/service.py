"""Triage of findings: read them, move them through their lifecycle, bring one into the register.

Decisions come from `workflows.finding_lifecycle`; this module loads the finding, applies the
decision with a compare-and-set on `version` and audits it in the same transaction.
"""

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, or_, select

from service import clock
from service.accounts import service as accounts
from service.accounts.models import Account, AccountRequest
from service.audit import service as audit
from service.db import first_or_404
from service.errors import Conflict, refusal
from service.findings.models import (
    DismissRequest,
    Finding,
    FindingDetail,
    FindingPublic,
    FindingReport,
    FindingReportPublic,
    FindingSnapshot,
    FindingSource,
    RegisterRequest,
    SnapshotPublic,
    TriageRequest,
)
from service.users.models import User
from workflows import finding_lifecycle as lifecycle
from workflows.finding_lifecycle import FindingAction, FindingStatus
from workflows.platforms import Platform


def get_finding(session: Session, finding_id: int) -> Finding:
    query = select(Finding).where(Finding.id == finding_id)
    return first_or_404(session, query, f"No finding with id {finding_id}.")


def list_findings(
    session: Session,
    *,
    status: FindingStatus | None = None,
    platform: Platform | None = None,
    min_score: float | None = None,
    source: FindingSource | None = None,
) -> list[Finding]:
    query = select(Finding)
    if source is FindingSource.report:  # opened by a report, or reported since
        reported = select(FindingReport.finding_id)
        query = query.where(or_(Finding.source == source, col(Finding.id).in_(reported)))
    elif source is not None:
        query = query.where(Finding.source == source)
    if status is not None:
        query = query.where(Finding.status == status)
    if platform is not None:
        query = query.where(Finding.platform == platform)
    if min_score is not None:
        query = query.where(col(Finding.score) >= min_score)
    query = query.order_by(col(Finding.score).desc(), col(Finding.id).desc())
    return list(session.exec(query).all())


def snapshots_of(session: Session, finding_id: int) -> list[FindingSnapshot]:
    return list(
        session.exec(
            select(FindingSnapshot)
            .where(FindingSnapshot.finding_id == finding_id)
            .order_by(col(FindingSnapshot.taken_at).desc(), col(FindingSnapshot.id).desc())
        ).all()
    )


def reports_of(session: Session, finding_id: int) -> list[FindingReport]:
    return list(
        session.exec(
            select(FindingReport)
            .where(FindingReport.finding_id == finding_id)
            .order_by(col(FindingReport.created_at).desc(), col(FindingReport.id).desc())
        ).all()
    )


def to_public(finding: Finding) -> FindingPublic:
    return FindingPublic.model_validate(finding)


def to_detail(session: Session, finding: Finding) -> FindingDetail:
    snapshots = [SnapshotPublic.model_validate(s) for s in snapshots_of(session, finding.id or 0)]
    reports = [FindingReportPublic.model_validate(r) for r in reports_of(session, finding.id or 0)]
    return FindingDetail.model_validate(
        finding, update={"snapshots": snapshots, "reports": reports}
    )


def finding_state(finding: Finding) -> dict[str, Any]:
    return {
        "status": finding.status,
        "version": finding.version,
        "platform": finding.platform,
        "handle": finding.handle,
        "verdict": finding.verdict,
        "score": round(finding.score, 3),
        "dismissed_reason": finding.dismissed_reason,
        "resolution": finding.resolution,
        "account_id": finding.account_id,
    }


def move(session: Session, finding: Finding, *, expected_version: int, **values: Any) -> None:
    """Compare-and-set on `version`: of two changes at once, the second gets a 409."""
    result = session.execute(
        update(Finding)
        .where(col(Finding.id) == finding.id, col(Finding.version) == expected_version)
        .values(version=expected_version + 1, updated_at=clock.now(), **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("Someone else changed this finding at the same time; reload and try again.")
    session.refresh(finding)


def audit_finding(
    session: Session, actor: str, finding: Finding, action: str, before: dict[str, Any] | None
) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"finding.{action}",
        subject_type="finding",
        subject_id=finding.id,
        before=before,
        after={**finding_state(finding), "note": finding.note},
    )


def _decide(
    finding: Finding, action: FindingAction, actor: User, data: TriageRequest
) -> lifecycle.Moved:
    if data.version is not None and data.version != finding.version:
        raise Conflict(
            f"The finding changed since you looked (version {finding.version}, not "
            f"{data.version}); reload and try again."
        )
    reason = data.reason if isinstance(data, DismissRequest) else None
    decision = lifecycle.decide(finding.status, action, actor.role, reason=reason, note=data.note)
    if isinstance(decision, lifecycle.Refused):
        raise refusal(decision.kind, decision.reason)
    return decision


def triage(
    session: Session, finding_id: int, action: FindingAction, actor: User, data: TriageRequest
) -> Finding:
    """confirm, request_takedown, resolve, mark_unofficial, ask_to_close, dismiss."""
    if action is FindingAction.bring_into_register:
        assert isinstance(data, RegisterRequest)
        return bring_into_register(session, finding_id, actor, data)
    finding = get_finding(session, finding_id)
    decision = _decide(finding, action, actor, data)
    before = finding_state(finding)
    values: dict[str, Any] = {"status": decision.new_status}
    if data.note.strip():
        values["note"] = data.note.strip()
    if decision.resolution is not None:
        values["resolution"] = decision.resolution
    if isinstance(data, DismissRequest):
        values.update(dismissed_reason=data.reason, dismissed_at=clock.now())
    move(session, finding, expected_version=finding.version, **values)
    audit_finding(session, actor.email, finding, action, before)
    return finding


def bring_into_register(
    session: Session, finding_id: int, actor: User, data: RegisterRequest
) -> Finding:
    """An unofficial page the institution wants to keep: request it for the register.

    The request goes to the superintendent like any other, who authorizes (or rejects) it
    through the register; the finding is resolved and points at the request.
    """
    finding = get_finding(session, finding_id)
    decision = _decide(finding, FindingAction.bring_into_register, actor, data)
    ref = accounts.resolve_reference(platform=finding.platform, handle=finding.handle)
    existing = accounts.find_by_reference(session, ref)
    if existing is not None:
        raise Conflict(
            f"{ref.platform} account @{existing.handle} is already in the register "
            f"(status: {existing.status}).",
            account_id=existing.id,
        )
    purpose = data.purpose.strip() or f"Found by an impersonation scan (finding {finding.id})."
    request = AccountRequest(
        platform=ref.platform,
        handle=ref.handle,
        display_name=finding.display_name[:200],
        purpose=purpose,
    )
    account = accounts.request_account(session, actor, request)
    _link_account(session, account, finding)
    before = finding_state(finding)
    move(
        session,
        finding,
        expected_version=finding.version,
        status=decision.new_status,
        resolution=decision.resolution,
        account_id=account.id,
        note=data.note.strip() or finding.note,
    )
    audit_finding(session, actor.email, finding, FindingAction.bring_into_register, before)
    return finding


def _link_account(session: Session, account: Account, finding: Finding) -> None:
    account.notes = f"Requested from impersonation finding {finding.id}."
    if account.platform_account_id is None and finding.platform_account_id:
        account.platform_account_id = finding.platform_account_id
    session.add(account)
    session.flush()
