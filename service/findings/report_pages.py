"""Report pages: the public form's answer (from the verify page), the staff report page, and a
report's screenshot for the people who read findings. Same service as the API (`reports`)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.auth.deps import PUBLIC
from service.db import DbSession
from service.findings import reports, views
from service.findings.deps import FindingsRead, Reporters
from service.findings.pages import IMAGE_HEADERS
from service.findings.report_routes import ReportBody, client_of, wait_seconds
from service.web.templating import flash, render

router = APIRouter(include_in_schema=False)


@router.post("/report", response_class=HTMLResponse, dependencies=[PUBLIC])
def public_report(request: Request, body: ReportBody, session: DbSession) -> Response:
    client = client_of(request)
    if wait := wait_seconds(client):
        page = render(
            request,
            "findings/report_result.html",
            None,
            status_code=429,
            title="Too many reports",
            heading="Too many reports",
            message=reports.limited_message(wait),
            receipt=None,
        )
        page.headers["Retry-After"] = str(wait)
        return page
    receipt = reports.submit_report(
        session, body.data, reporter=None, client=client, screenshot=body.screenshot
    )
    heading = "This account is official" if receipt.official else "Thank you for your report"
    return render(
        request,
        "findings/report_result.html",
        None,
        title=heading,
        heading=heading,
        message=receipt.message,
        receipt=receipt,
    )


@router.get("/report/staff", response_class=HTMLResponse)
def staff_report_page(request: Request, user: Reporters) -> Response:
    return render(request, "findings/report_staff.html", user, title="Report an account")


@router.post("/report/staff")
def staff_report(
    request: Request, user: Reporters, body: ReportBody, session: DbSession
) -> Response:
    receipt = reports.submit_report(session, body.data, reporter=user, screenshot=body.screenshot)
    flash(request, receipt.message)
    return RedirectResponse("/report/staff", status_code=303)


@router.get("/findings/{finding_id}/reports/{report_id}/screenshot")
def report_screenshot(
    finding_id: int,
    report_id: int,
    _: FindingsRead,
    session: DbSession,
) -> Response:
    data, media_type = views.report_screenshot(session, finding_id, report_id)
    return Response(data, media_type=media_type, headers=IMAGE_HEADERS)
