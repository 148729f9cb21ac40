"""The FastAPI application: routers of every domain, error handlers, sessions."""

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from service.accounts.pages import router as accounts_pages
from service.accounts.routes import router as accounts_router
from service.audit.pages import router as audit_pages
from service.audit.routes import router as audit_router
from service.auth.routes import router as auth_router
from service.body_limit import BodyLimit
from service.consent.pages import router as consent_pages
from service.consent.routes import router as consent_router
from service.errors import install_error_handlers
from service.findings.pages import router as findings_pages
from service.findings.report_pages import router as report_pages
from service.findings.report_routes import public_router as public_reports_router
from service.findings.report_routes import router as reports_router
from service.findings.routes import router as findings_router
from service.health import router as health_router
from service.institution.routes import router as institution_router
from service.observability import RequestContext
from service.posts.pages import router as posts_pages
from service.posts.routes import router as posts_router
from service.posts.routes import steps_router as approval_steps_router
from service.posts.routing_pages import router as approval_steps_pages
from service.public.pages import router as public_pages
from service.public.routes import media_router
from service.public.routes import router as public_router
from service.records.pages import router as records_pages
from service.records.routes import router as records_router
from service.scans.routes import router as scans_router
from service.settings import Settings, get_settings
from service.users.pages import router as users_pages
from service.users.routes import router as users_router
from service.web import csrf
from service.web.pages import router as web_pages
from service.web.security import SecurityHeaders
from service.web.templating import STATIC_DIR


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Imprimatur",
        summary="Official-account governance: register, approvals, impersonation scans.",
        version="0.1.0",
        dependencies=[Depends(csrf.protect)],
        # The service's metrics are Prometheus's (service/observability.py). FastAPI's own
        # OpenTelemetry, left on, asks at every request whether a provider has been set up
        # since (environment lookups each time): a seventh of a verify request, for nothing.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="imprimatur_session",
        max_age=settings.session_days * 24 * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(BodyLimit, settings=settings)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestContext)  # added last: outermost, so it sees every response
    install_error_handlers(app)
    # Routes are matched in order: the public's verify (the busiest by far) and the health
    # checks first, so the requests that come in crowds do not try every other route first.
    for router in (
        health_router,
        public_router,
        auth_router,
        users_router,
        institution_router,
        accounts_router,
        consent_router,
        posts_router,
        approval_steps_router,
        approval_steps_pages,
        media_router,
        audit_router,
        findings_router,
        public_reports_router,
        reports_router,
        scans_router,
        records_router,
        web_pages,
        public_pages,
        accounts_pages,
        posts_pages,
        consent_pages,
        findings_pages,
        report_pages,
        audit_pages,
        users_pages,
        records_pages,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
