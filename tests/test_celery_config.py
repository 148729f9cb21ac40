"""The Celery app's configuration, without a broker: schedule, delivery guarantees, tasks."""

from typing import Any

import prometheus_client
import pytest
from prometheus_client import CollectorRegistry

from service import celery_app
from service.celery_app import beat_schedule, make_celery
from service.jobs import JOB_NAMES
from service.settings import Settings


def custom_settings(**overrides: Any) -> Settings:
    return Settings(
        _env_file=None,
        publish_interval_seconds=7,
        mail_interval_seconds=11,
        reminder_interval_seconds=1800,
        scan_check_interval_seconds=90,
        celery_queue="imprimatur-config-test",
        celery_visibility_timeout=1234,
        redis_url="redis://127.0.0.1:1/0",  # never connected to
        **overrides,
    )


def test_beat_schedules_exactly_the_periodic_jobs_at_the_configured_intervals() -> None:
    assert beat_schedule(custom_settings()) == {
        "publish-due": {"task": "imprimatur.publish_due", "schedule": 7.0},
        "deliver-mail": {"task": "imprimatur.deliver_mail", "schedule": 11.0},
        "send-reminders": {"task": "imprimatur.send_reminders", "schedule": 1800.0},
        "run-due-scans": {"task": "imprimatur.run_due_scans", "schedule": 90.0},
        "check-dormancy": {"task": "imprimatur.check_dormancy", "schedule": 86400.0},
        "check-approvals": {"task": "imprimatur.check_approvals", "schedule": 900.0},
    }


def test_tasks_are_acked_late_one_at_a_time_and_requeued_when_a_worker_dies() -> None:
    settings = custom_settings()
    conf = make_celery(settings).conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] == 1234
    assert conf.task_default_queue == "imprimatur-config-test"
    assert conf.beat_schedule == beat_schedule(settings)
    assert conf.worker_hijack_root_logger is False


def test_every_job_is_a_registered_task_running_its_function() -> None:
    app = make_celery(custom_settings())
    assert JOB_NAMES, "no @job registered"
    for function, name in JOB_NAMES.items():
        assert name in app.tasks, name
        assert app.tasks[name].run is function, name
    for entry in beat_schedule(custom_settings()).values():
        assert entry["task"] in app.tasks
    assert "imprimatur.publish_post" in app.tasks


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def start_http_server(port: int, addr: str, registry: CollectorRegistry) -> None:
        calls.append({"port": port, "addr": addr, "registry": registry})

    monkeypatch.setattr(prometheus_client, "start_http_server", start_http_server)
    return calls


def test_a_worker_serves_no_metrics_unless_a_port_is_set(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IMPRIMATUR_WORKER_METRICS_PORT", raising=False)
    celery_app._serve_metrics()
    assert served == []


def test_a_solo_worker_serves_the_default_registry(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPRIMATUR_WORKER_METRICS_PORT", "9808")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    celery_app.get_settings.cache_clear()
    celery_app._serve_metrics()
    (call,) = served
    assert call["port"] == 9808
    assert call["registry"] is prometheus_client.REGISTRY


def test_a_prefork_worker_serves_what_its_children_wrote(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("IMPRIMATUR_WORKER_METRICS_PORT", "9808")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    celery_app.get_settings.cache_clear()
    celery_app._serve_metrics()
    (call,) = served
    assert call["registry"] is not prometheus_client.REGISTRY
    assert list(call["registry"].collect()) == []  # nothing written to the directory yet
