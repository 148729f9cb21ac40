"""Liveness, readiness and metrics for load balancers, orchestrators and Prometheus."""

from typing import Any

import redis
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from service.auth.deps import PUBLIC
from service.db import get_engine
from service.observability import DEPENDENCY_UP
from service.settings import get_settings

router = APIRouter(tags=["health"], dependencies=[PUBLIC])


def _database_ok() -> bool:
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True


def _broker_ok() -> bool:
    try:
        client = redis.Redis.from_url(get_settings().redis_url, socket_connect_timeout=2)
        return bool(client.ping())
    except redis.RedisError:
        return False


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up; says nothing about what it depends on (that is /readyz)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz() -> JSONResponse:
    """Ready to serve: the database answers, and the broker too when jobs go to Celery."""
    checks: dict[str, Any] = {"database": _database_ok()}
    if get_settings().jobs_backend == "celery":
        checks["broker"] = _broker_ok()
    for dependency, up in checks.items():
        DEPENDENCY_UP.labels(dependency).set(1 if up else 0)
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get(
    "/metrics",
    response_class=Response,  # not PlainTextResponse: errors stay documented as JSON
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
