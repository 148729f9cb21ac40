"""Web pages of the findings domain: the triage queue, one finding with its evidence and the
actions its status allows, and the scan runs. Every change goes through the same service
functions as the API (`triage`, `start_scan`)."""

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.db import DbSession
from service.findings import service, views
from service.findings.deps import FindingsRead, FindingsTriage
from service.findings.models import FindingSource
from service.scans import service as scans
from service.scans.models import ScanStart
from service.users.models import OVERSIGHT
from service.web.templating import flash, render
from workflows import finding_lifecycle as lifecycle
from workflows.finding_lifecycle import FindingStatus
from workflows.platforms import Platform

router = APIRouter(include_in_schema=False)

IMAGE_HEADERS = {"Cache-Control": "private, max-age=3600"}


@router.get("/findings", response_class=HTMLResponse)
def triage_queue(
    request: Request,
    user: FindingsRead,
    session: DbSession,
    filters: Annotated[views.QueueFilters, Query()],
) -> Response:
    found = service.list_findings(
        session,
        status=filters.status,
        platform=filters.platform,
        min_score=filters.min_score,
        source=filters.source,
    )
    return render(
        request,
        "findings/queue.html",
        user,
        title="Findings",
        findings=found,
        filters=filters,
        statuses=list(FindingStatus),
        platforms=list(Platform),
        sources=list(FindingSource),
    )


# Before /findings/{finding_id}: "scans" is not an id.
@router.get("/findings/scans", response_class=HTMLResponse)
def scan_runs(request: Request, user: FindingsRead, session: DbSession) -> Response:
    return render(
        request,
        "findings/scans.html",
        user,
        title="Scan runs",
        runs=[scans.to_public(run) for run in scans.list_runs(session)],
        platforms=scans.scannable_platforms(session),
        can_start=user.role in lifecycle.TRIAGERS,
    )


@router.post("/findings/scans")
def start_scan(
    request: Request,
    user: FindingsTriage,
    session: DbSession,
    platform: Annotated[str, Form(max_length=32)],
) -> Response:
    data = ScanStart.model_validate({"platform": platform})
    run = scans.start_scan(session, data.platform, data.budget, user.email)
    flash(request, f"Scan {run.id} of {run.platform} is queued; reload this page to follow it.")
    return RedirectResponse("/findings/scans", status_code=303)


@router.get("/findings/{finding_id}", response_class=HTMLResponse)
def finding_page(
    request: Request, finding_id: int, user: FindingsRead, session: DbSession
) -> Response:
    page = views.finding_page(session, finding_id, user)
    return render(
        request,
        "findings/detail.html",
        user,
        title=f"Finding {finding_id}: @{page.finding.handle}",
        page=page,
        finding=page.finding,
        dismiss_reasons=views.DISMISS_REASONS,
        can_read_audit=user.role in OVERSIGHT,
    )


@router.get("/findings/{finding_id}/snapshots/{snapshot_id}/image")
def snapshot_image(
    finding_id: int, snapshot_id: int, _: FindingsRead, session: DbSession
) -> Response:
    data, media_type = views.snapshot_image(session, finding_id, snapshot_id)
    return Response(data, media_type=media_type, headers=IMAGE_HEADERS)


@router.get("/findings/{finding_id}/official-image")
def official_image(finding_id: int, _: FindingsRead, session: DbSession) -> Response:
    data, media_type = views.official_image(session, finding_id)
    return Response(data, media_type=media_type, headers=IMAGE_HEADERS)


@router.post("/findings/{finding_id}/{action}")
def triage(
    request: Request,
    finding_id: int,
    action: Annotated[str, Path(max_length=40)],
    user: FindingsTriage,
    session: DbSession,
    version: Annotated[int, Form(ge=1, le=2**62)],
    note: Annotated[str, Form(max_length=2000)] = "",
    reason: Annotated[str, Form(max_length=40)] = "",
    purpose: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    chosen = views.action_for(action)
    data = views.triage_request(chosen, version=version, note=note, reason=reason, purpose=purpose)
    finding = service.triage(session, finding_id, chosen, user, data)
    status = finding.status.value.replace("_", " ")
    flash(request, f"Finding {finding_id} (@{finding.handle}) is now {status}.")
    return RedirectResponse(f"/findings/{finding_id}", status_code=303)
