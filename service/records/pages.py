"""The open-records page: pick a period, see how many posts it holds, download the zip
(from the API route, which the web session may call)."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from service.db import DbSession
from service.records import service
from service.records.deps import RecordsExport
from service.records.models import ExportPeriod
from service.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/records", response_class=HTMLResponse)
def records_page(
    request: Request,
    user: RecordsExport,
    session: DbSession,
    start: Annotated[str, Query(alias="from", max_length=40)] = "",
    end: Annotated[str, Query(alias="to", max_length=40)] = "",
) -> Response:
    period, problem = None, None
    if start or end:
        try:
            period = ExportPeriod.model_validate({"from": start, "to": end})
        except ValidationError as error:
            problem = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'period'}: {e['msg']}" for e in error.errors()
            )
    return render(
        request,
        "records/export.html",
        user,
        status_code=422 if problem else 200,
        title="Open records",
        start=start,
        end=end,
        problem=problem,
        posts=service.count_published(session, period) if period else None,
        download=f"/api/v1/records/export?{urlencode(period.parameters())}" if period else None,
    )
