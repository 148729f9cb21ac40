"""The open-records export over the API: a zip for a period of whole days."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from service.db import DbSession
from service.records import service
from service.records.deps import RecordsExport
from service.records.models import ExportPeriod

router = APIRouter(prefix="/api/v1/records", tags=["records"])


def zip_download(archive: bytes, period: ExportPeriod) -> Response:
    return Response(
        archive,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{service.filename(period)}"'},
    )


@router.get("/export", response_class=Response)
def export_records(
    user: RecordsExport, session: DbSession, period: Annotated[ExportPeriod, Query()]
) -> Response:
    """Every post first published from `from` to `to` (dates, inclusive), and the register's
    history, as JSON, CSV and media with a manifest of SHA-256 hashes."""
    return zip_download(service.export_records(session, period, actor=user.email), period)
