from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from service.db import DbSession
from service.findings import evidence, service
from service.findings.deps import FindingsRead, FindingsTriage
from service.findings.models import (
    DismissRequest,
    FindingDetail,
    FindingPublic,
    FindingSource,
    RegisterRequest,
    TriageRequest,
)
from workflows.finding_lifecycle import FindingAction, FindingStatus
from workflows.platforms import Platform

router = APIRouter(prefix="/api/v1/findings", tags=["findings"])


@router.get("")
def list_findings(
    _: FindingsRead,
    session: DbSession,
    status: FindingStatus | None = None,
    platform: Platform | None = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    source: FindingSource | None = None,
) -> list[FindingPublic]:
    found = service.list_findings(
        session, status=status, platform=platform, min_score=min_score, source=source
    )
    return [service.to_public(f) for f in found]


@router.get("/{finding_id}")
def get_finding(finding_id: int, _: FindingsRead, session: DbSession) -> FindingDetail:
    return service.to_detail(session, service.get_finding(session, finding_id))


@router.get(
    "/{finding_id}/evidence-pack",
    response_class=Response,  # not HTMLResponse: errors stay documented as JSON
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
def evidence_pack(finding_id: int, _: FindingsRead, session: DbSession) -> HTMLResponse:
    html = evidence.evidence_pack(session, finding_id)
    filename = f"evidence-finding-{finding_id}.html"
    return HTMLResponse(html, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _triage(
    session: DbSession,
    finding_id: int,
    user: FindingsTriage,
    action: FindingAction,
    data: TriageRequest | None,
) -> FindingDetail:
    finding = service.triage(session, finding_id, action, user, data or TriageRequest())
    return service.to_detail(session, finding)


@router.post("/{finding_id}/confirm")
def confirm(
    finding_id: int, user: FindingsTriage, session: DbSession, data: TriageRequest | None = None
) -> FindingDetail:
    return _triage(session, finding_id, user, FindingAction.confirm, data)


@router.post("/{finding_id}/request-takedown")
def request_takedown(
    finding_id: int, user: FindingsTriage, session: DbSession, data: TriageRequest | None = None
) -> FindingDetail:
    return _triage(session, finding_id, user, FindingAction.request_takedown, data)


@router.post("/{finding_id}/resolve")
def resolve(
    finding_id: int, user: FindingsTriage, session: DbSession, data: TriageRequest | None = None
) -> FindingDetail:
    return _triage(session, finding_id, user, FindingAction.resolve, data)


@router.post("/{finding_id}/mark-unofficial")
def mark_unofficial(
    finding_id: int, user: FindingsTriage, session: DbSession, data: TriageRequest | None = None
) -> FindingDetail:
    return _triage(session, finding_id, user, FindingAction.mark_unofficial, data)


@router.post("/{finding_id}/ask-to-close")
def ask_to_close(
    finding_id: int, user: FindingsTriage, session: DbSession, data: TriageRequest | None = None
) -> FindingDetail:
    return _triage(session, finding_id, user, FindingAction.ask_to_close, data)


@router.post("/{finding_id}/dismiss")
def dismiss(
    finding_id: int, data: DismissRequest, user: FindingsTriage, session: DbSession
) -> FindingDetail:
    return _triage(session, finding_id, user, FindingAction.dismiss, data)


@router.post("/{finding_id}/bring-into-register")
def bring_into_register(
    finding_id: int, user: FindingsTriage, session: DbSession, data: RegisterRequest | None = None
) -> FindingDetail:
    return _triage(
        session, finding_id, user, FindingAction.bring_into_register, data or RegisterRequest()
    )
