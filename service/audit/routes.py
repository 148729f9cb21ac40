from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from service.audit import service
from service.audit.deps import AuditRead
from service.audit.models import AuditEntryPublic
from service.db import DbSession

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("")
def list_audit(
    _: AuditRead,
    session: DbSession,
    actor: str | None = None,
    action: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[AuditEntryPublic]:
    where = service.AuditFilter(actor, action, subject_type, subject_id, since, until)
    entries = service.list_entries(session, where, limit=limit, offset=offset)
    return [AuditEntryPublic.model_validate(e) for e in entries]
