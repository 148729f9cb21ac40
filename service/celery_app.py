"""Celery on Redis, for production: the same job functions the embedded scheduler runs.

Workers: `celery -A service.celery_app worker`; exactly one beat: `celery -A service.celery_app
beat`. Tasks are acknowledged late and re-queued if a worker dies, which is safe because
every job is idempotent (publishing claims each target before calling a platform).
"""

import os
from typing import Any

import prometheus_client
import structlog
from celery import Celery, signals
from prometheus_client import CollectorRegistry, multiprocess

from service.jobs import JOB_NAMES, job_name
from service.observability import JOB_RUNS, configure_logging
from service.schedule import PERIODIC
from service.settings import Settings, get_settings

log = structlog.get_logger()
# Set (to an existing, empty directory) before the worker starts: prefork children then write
# their metrics there and the worker's own endpoint adds them up.
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


def _bind_request_id(task: Any = None, **_: Any) -> None:
    """Log lines of a task carry the id of the request that started it."""
    request_id = getattr(task.request, "request_id", None) if task else None
    structlog.contextvars.bind_contextvars(request_id=request_id, task=getattr(task, "name", None))


def _count_run(task: Any = None, state: str | None = None, **_: Any) -> None:
    JOB_RUNS.labels(
        getattr(task, "name", "unknown"), "succeeded" if state == "SUCCESS" else "failed"
    ).inc()
    structlog.contextvars.clear_contextvars()


def _configure_logging(**_: Any) -> None:
    configure_logging(json=get_settings().environment == "production")


def _serve_metrics(**_: Any) -> None:
    """The job, publish and scan counters count in the workers: each worker serves its own
    /metrics (the api's has only the api's). Off unless IMPRIMATUR_WORKER_METRICS_PORT is set."""
    port = get_settings().worker_metrics_port
    if port is None:
        return
    registry = prometheus_client.REGISTRY  # solo and threads pools: the tasks run in here
    if os.environ.get(MULTIPROC_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    # All interfaces, as in a container it is scraped from another one; expose it no further.
    prometheus_client.start_http_server(port, addr="0.0.0.0", registry=registry)  # noqa: S104  # nosec B104
    log.info(
        "worker_metrics_serving", port=port, multiprocess=registry is not prometheus_client.REGISTRY
    )


def _process_gone(pid: int | None = None, **_: Any) -> None:
    if os.environ.get(MULTIPROC_DIR) and pid is not None:
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


signals.task_prerun.connect(_bind_request_id)
signals.task_postrun.connect(_count_run)
signals.worker_process_init.connect(_configure_logging)
signals.beat_init.connect(_configure_logging)
signals.setup_logging.connect(_configure_logging)  # Celery then leaves logging to us
signals.worker_ready.connect(_serve_metrics)
signals.worker_process_shutdown.connect(_process_gone)


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    return {
        entry: {"task": job_name(work), "schedule": float(getattr(settings, interval))}
        for entry, (work, interval) in PERIODIC.items()
    }


def make_celery(settings: Settings) -> Celery:
    app = Celery("imprimatur", broker=settings.redis_url)
    app.conf.update(
        task_default_queue=settings.celery_queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        # An unacknowledged task of a vanished worker is handed out again after this long.
        broker_transport_options={"visibility_timeout": settings.celery_visibility_timeout},
        timezone="UTC",
        beat_schedule=beat_schedule(settings),
        # Our logging config routes stdlib logs through structlog: Celery must not replace it.
        worker_hijack_root_logger=False,
    )
    for function, name in JOB_NAMES.items():  # every job module is imported by service.schedule
        app.task(name=name)(function)
    return app


celery = make_celery(get_settings())
