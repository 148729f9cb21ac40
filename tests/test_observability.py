"""Health, readiness, metrics, request ids and log redaction."""

import json
import threading
from collections.abc import Iterator

import pytest
import structlog
from fastapi import APIRouter
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth.deps import PUBLIC
from service.db import DbSession, get_engine
from service.jobs import defer
from service.observability import configure_logging, current_request_id
from service.settings import get_settings


def client_with(monkeypatch: pytest.MonkeyPatch, **env: str) -> TestClient:
    for name, value in env.items():
        monkeypatch.setenv(f"IMPRIMATUR_{name}", value)
    get_settings.cache_clear()
    get_engine.cache_clear()
    return TestClient(create_app(), raise_server_exceptions=False)


@pytest.fixture
def unreachable_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with client_with(
        monkeypatch, DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere"
    ) as client:
        yield client


def test_liveness_says_nothing_about_dependencies(unreachable_database: TestClient) -> None:
    assert unreachable_database.get("/healthz").json() == {"status": "ok"}


@pytest.mark.usefixtures("committed_database")
def test_ready_when_the_database_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    with client_with(monkeypatch) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {"database": True}
        assert 'imprimatur_dependency_up{dependency="database"} 1.0' in client.get("/metrics").text


def test_a_stopped_database_shows_in_readiness_metrics_and_requests(
    unreachable_database: TestClient,
) -> None:
    ready = unreachable_database.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "checks": {"database": False}}
    metrics = unreachable_database.get("/metrics").text
    assert 'imprimatur_dependency_up{dependency="database"} 0.0' in metrics
    lookup = unreachable_database.get(
        "/api/v1/public/verify", params={"url": "https://x.com/someone"}
    )
    assert lookup.status_code == 503
    assert lookup.json()["error"]["code"] == "unavailable"


def test_with_the_database_down_a_change_is_a_503_in_the_shape_asked_for(
    unreachable_database: TestClient,
) -> None:
    """An API client gets the JSON error shape, a browser the error page; neither a 500."""
    unavailable = "The database is unavailable; nothing was saved."
    change = unreachable_database.post(
        "/api/v1/accounts",
        json={"url": "https://x.com/rtc_welding"},
        headers={"Authorization": "Bearer some-token"},
    )
    assert change.status_code == 503
    assert change.json() == {"error": {"code": "unavailable", "message": unavailable}}
    form = unreachable_database.post(
        "/report", data={"url": "https://x.com/rtc_welding"}, headers={"accept": "text/html"}
    )
    assert form.status_code == 503 and form.headers["content-type"].startswith("text/html")
    assert "Temporarily unavailable" in form.text and unavailable in form.text


@pytest.mark.usefixtures("committed_database")
def test_broker_checked_when_jobs_go_to_celery(monkeypatch: pytest.MonkeyPatch) -> None:
    with client_with(monkeypatch, JOBS_BACKEND="celery", REDIS_URL="redis://127.0.0.1:1/0") as c:
        ready = c.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": True, "broker": False}


@pytest.mark.usefixtures("committed_database")
def test_request_latency_is_labelled_by_route_template(monkeypatch: pytest.MonkeyPatch) -> None:
    with client_with(monkeypatch) as client:
        client.get("/api/v1/accounts/12345")
        metrics = client.get("/metrics").text
    assert 'route="/api/v1/accounts/{account_id}"' in metrics
    assert "/api/v1/accounts/12345" not in metrics


@pytest.mark.usefixtures("committed_database")
def test_request_ids_are_echoed_generated_and_follow_into_jobs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str | None] = []
    done = threading.Event()
    router = APIRouter(dependencies=[PUBLIC])

    @router.post("/start-job")
    def start_job(session: DbSession) -> None:
        defer(session, lambda: (seen.append(current_request_id()), done.set()))

    get_settings.cache_clear()
    app = create_app()
    app.include_router(router)
    with TestClient(app) as client:
        mine = client.post("/start-job", headers={"X-Request-ID": "req-42"})
        generated = client.get("/healthz").headers["x-request-id"]
        hostile = client.get("/healthz", headers={"X-Request-ID": "a\tb<script>"})
    assert mine.headers["x-request-id"] == "req-42"
    assert len(generated) == 32
    assert hostile.headers["x-request-id"] != "a\tb<script>"
    assert done.wait(timeout=10) and seen == ["req-42"]


def test_logs_are_json_and_secrets_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json=True)
    try:
        with structlog.contextvars.bound_contextvars(request_id="req-7"):
            structlog.get_logger().info("connected", access_token="tok-123", account_id=4)
        line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    finally:
        structlog.reset_defaults()
    assert line["event"] == "connected" and line["request_id"] == "req-7"
    assert line["access_token"] == "[redacted]" and line["account_id"] == 4


def test_the_schema_documents_the_metrics_content_type_served() -> None:
    client = TestClient(create_app())
    served = client.get("/metrics").headers["content-type"]
    documented = client.get("/openapi.json").json()["paths"]["/metrics"]["get"]["responses"]
    assert list(documented["200"]["content"]) == [served]
