"""Domain errors and the one place that turns them (and every other failure) into JSON.

Services raise these; nothing else in the codebase builds an error response.
"""

from typing import Any

import psycopg
import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger()


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Unauthenticated(DomainError):
    status_code = 401
    code = "unauthenticated"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Invalid(DomainError):
    status_code = 422
    code = "invalid"


REFUSALS: dict[str, type[DomainError]] = {
    "forbidden": Forbidden,
    "conflict": Conflict,
    "invalid": Invalid,
}


def refusal(kind: str, reason: str) -> DomainError:
    """The error for a workflow's refusal: its kind says which status the caller gets."""
    return REFUSALS[kind](reason)


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **details}}


class ErrorDetail(BaseModel):
    """What went wrong: a stable code, a sentence for people, and details for some codes."""

    model_config = ConfigDict(extra="allow")
    code: str
    message: str


class ErrorResponse(BaseModel):
    """The one JSON error shape, as documented in the OpenAPI schema."""

    error: ErrorDetail


# The failures any API operation can answer with, documented once for every operation (and
# replacing FastAPI's own 422 schema, which is not what `_validation_error` sends).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        400: "Bad request (for example a form without its CSRF token)",
        401: "Not signed in",
        403: "Not allowed for this role",
        404: "Not found, or not visible to the caller",
        409: "Conflicts with the current state",
        413: "The request body is larger than the limit",
        422: "The request is not valid",
        503: "The database is unavailable",
    }.items()
}


def _error(request: Request, status: int, code: str, message: str, **details: Any) -> Response:
    # Imported here: pages render through templates, whose CSRF module imports these errors.
    from service.web.errors import page_error, wants_page

    if wants_page(request):
        return page_error(request, status, message, details.get("problems"))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(error_body(code, message, **details), status_code=status, headers=headers)


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return _error(request, exc.status_code, exc.code, exc.message, **exc.details)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"field": ".".join(str(part) for part in err["loc"]), "problem": err["msg"]}
        for err in exc.errors()
    ]
    return _error(request, 422, "invalid", "The request is not valid.", problems=problems)


async def _model_invalid(request: Request, exc: Exception) -> Response:
    """A model built from a submitted form refused its data: the caller's mistake, a 422."""
    assert isinstance(exc, ValidationError)
    problems = [
        {"field": ".".join(str(part) for part in err["loc"]), "problem": err["msg"]}
        for err in exc.errors()
    ]
    return _error(request, 422, "invalid", "The request is not valid.", problems=problems)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
        exc.status_code, "http_error"
    )
    return _error(request, exc.status_code, code, str(exc.detail))


async def _out_of_range(request: Request, exc: Exception) -> Response:
    """A value the database cannot hold (an id past 64 bits, a date past year 9999)."""
    return _error(request, 422, "invalid", "A value is out of range or of the wrong kind.")


async def _unbindable(request: Request, exc: Exception) -> Response:
    """A parameter the driver refused before the query ran: bad input, not a bug, if it is
    one of the value errors below; anything else is ours."""
    assert isinstance(exc, StatementError)
    if isinstance(exc.orig, OverflowError | ValueError):
        return await _out_of_range(request, exc)
    return await _unexpected(request, exc)


async def _integrity_error(request: Request, exc: Exception) -> Response:
    # The driver's text can quote the conflicting values; log only which constraint failed.
    log.warning("integrity_error", error_type=type(getattr(exc, "orig", exc)).__name__)
    return _error(
        request, 409, "conflict", "The change conflicts with existing data; nothing saved."
    )


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    log.error("database_unavailable", error=str(exc))
    return _error(request, 503, "unavailable", "The database is unavailable; nothing was saved.")


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled_error", error_type=type(exc).__name__)
    return _error(request, 500, "internal", "Something went wrong on our side; nothing was saved.")


def install_error_handlers(app: FastAPI) -> None:
    """Turn every failure into the JSON error shape, and document that shape for every operation
    (the router's responses reach each route when the schema is built, whatever the order)."""
    app.router.responses = {**ERROR_RESPONSES, **app.router.responses}
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ValidationError, _model_invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DataError, _out_of_range)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(OperationalError, _database_unavailable)
    # The register's stamp is read with psycopg itself, outside SQLAlchemy (public/register.py).
    app.add_exception_handler(psycopg.OperationalError, _database_unavailable)
    app.add_exception_handler(StatementError, _unbindable)
    app.add_exception_handler(Exception, _unexpected)
