"""Reports through the API: anyone's (`/public/reports`, multipart, rate-limited per client)
and a signed-in person's (`/reports`, JSON or form). Both answer with the reference only."""

import math
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

from service.auth.deps import PUBLIC
from service.db import DbSession
from service.errors import ErrorResponse, Invalid, error_body
from service.findings import reports
from service.findings.deps import Reporters
from service.findings.models import ReportReceipt, ReportSubmission
from service.settings import get_settings

public_router = APIRouter(prefix="/api/v1/public", tags=["public"], dependencies=[PUBLIC])
router = APIRouter(prefix="/api/v1", tags=["findings"])

FIELDS = ("url", "description", "email", "website")


@dataclass(frozen=True)
class ReportForm:
    data: ReportSubmission
    screenshot: reports.Screenshot | None


async def _screenshot(upload: object) -> reports.Screenshot | None:
    """The uploaded file, read no further than one byte past the limit."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(get_settings().report_max_screenshot_bytes + 1)
    return reports.Screenshot(data, upload.filename, upload.content_type) if data else None


async def report_form(request: Request) -> ReportForm:
    """The report from a form (multipart, with an optional `screenshot`) or a JSON body."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            payload = await request.json()
        except ValueError:
            raise Invalid("The body is not valid JSON.") from None
        if not isinstance(payload, dict):
            raise Invalid("Send the report as a JSON object.")
        return ReportForm(ReportSubmission.model_validate(payload), None)
    form = await request.form()
    fields = {name: value for name in FIELDS if isinstance(value := form.get(name), str)}
    return ReportForm(
        ReportSubmission.model_validate(fields), await _screenshot(form.get("screenshot"))
    )


ReportBody = Annotated[ReportForm, Depends(report_form)]


def _report_body_schema() -> dict[str, Any]:
    """The body `report_form` reads, for the schema: FastAPI cannot see into a dependency that
    parses the request itself."""
    fields = ReportSubmission.model_json_schema()
    form_fields = {name: {"type": "string"} for name in FIELDS} | {
        "screenshot": {"type": "string", "format": "binary"}
    }
    form = {"type": "object", "required": ["url"], "properties": form_fields}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": fields},
                "multipart/form-data": {"schema": form},
            },
        }
    }


REPORT_BODY = _report_body_schema()


def client_of(request: Request) -> str:
    return reports.client_key(request.client.host if request.client else "")


def wait_seconds(client: str) -> int:
    """0 when the client may report now, else whole seconds to wait (for Retry-After)."""
    return math.ceil(reports.rate_limit_wait(client))


@public_router.post(
    "/reports",
    response_model=ReportReceipt,
    openapi_extra=REPORT_BODY,
    responses={
        429: {
            "model": ErrorResponse,
            "description": "Too many reports from this address; Retry-After says when to retry",
        }
    },
)
def public_report(
    request: Request, body: ReportBody, session: DbSession
) -> Response | ReportReceipt:
    client = client_of(request)
    if wait := wait_seconds(client):
        message = reports.limited_message(wait)
        return JSONResponse(
            error_body("rate_limited", message, retry_after=wait),
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    return reports.submit_report(
        session, body.data, reporter=None, client=client, screenshot=body.screenshot
    )


@router.post("/reports", openapi_extra=REPORT_BODY)
def staff_report(user: Reporters, body: ReportBody, session: DbSession) -> ReportReceipt:
    return reports.submit_report(session, body.data, reporter=user, screenshot=body.screenshot)
