"""Web pages of the audit domain: the log with filters and paging, and its CSV export."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from service import clock
from service.audit import service
from service.audit.deps import AuditRead
from service.audit.views import AuditQuery, csv_lines, summary
from service.db import DbSession
from service.web.templating import render

router = APIRouter(include_in_schema=False)

Filters = Annotated[AuditQuery, Query()]


@router.get("/audit", response_class=HTMLResponse)
def audit_log(request: Request, user: AuditRead, session: DbSession, query: Filters) -> Response:
    # One more than the page holds: whether there is an "Older" page.
    found = service.list_entries(session, query.where(), limit=query.limit + 1, offset=query.offset)
    entries = found[: query.limit]
    return render(
        request,
        "audit/log.html",
        user,
        title="Audit log",
        query=query,
        entries=[(entry, summary(entry)) for entry in entries],
        newer=query.link(query.offset - query.limit) if query.offset > 0 else None,
        older=query.link(query.offset + query.limit) if len(found) > query.limit else None,
        export=query.export_link(),
    )


@router.get("/audit/export.csv")
def audit_export(_: AuditRead, session: DbSession, query: Filters) -> Response:
    """Every entry matching the filters (paging ignored), newest first."""
    text = "".join(csv_lines(service.each_entry(session, query.where())))
    filename = f"audit-{clock.now():%Y%m%d-%H%M%S}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
