from fastapi import APIRouter

from service.db import DbSession
from service.findings.deps import FindingsRead, FindingsTriage
from service.scans import service
from service.scans.models import ScanRunPublic, ScanStart

router = APIRouter(prefix="/api/v1/scans", tags=["scans"])


@router.post("", status_code=202)
def start_scan(data: ScanStart, user: FindingsTriage, session: DbSession) -> ScanRunPublic:
    """Queue a scan of one platform; it runs in the background (see `GET /api/v1/scans`)."""
    run = service.start_scan(session, data.platform, data.budget, user.email)
    return service.to_public(run)


@router.get("")
def list_runs(
    _: FindingsRead, session: DbSession, platform: str | None = None
) -> list[ScanRunPublic]:
    return [service.to_public(r) for r in service.list_runs(session, platform=platform)]


@router.get("/{run_id}")
def get_run(run_id: int, _: FindingsRead, session: DbSession) -> ScanRunPublic:
    return service.to_public(service.get_run(session, run_id))
