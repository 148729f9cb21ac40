"""Logs, request ids and metrics: what an operator needs to see a running Imprimatur.

Logs are structured (JSON outside development) and carry the request id of the request
that caused them — also in the jobs a request starts. Every line goes through the one handler
`configure_logging` puts on the root logger: structlog's and those of the libraries (uvicorn,
SQLAlchemy, Celery, kombu), so in production the whole output of a process is JSON. A
redaction step drops any field whose name says it holds a secret, so a token cannot reach a
log line by accident; requests are logged by `RequestContext` without query string or headers.
"""

import io
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, MutableMapping
from typing import Any, TextIO

import structlog
from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
SECRET_FIELD = re.compile(r"token|secret|password|authorization|cookie|ciphertext", re.I)
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
MAX_LOGGED_PATH = 200

access_log = structlog.get_logger("imprimatur.requests")

REQUEST_SECONDS = Histogram(
    "imprimatur_request_seconds", "HTTP request latency", ["method", "route", "status"]
)
JOB_RUNS = Counter("imprimatur_job_runs_total", "Background job runs", ["job", "outcome"])
FINDINGS = Counter("imprimatur_scan_findings_total", "Scored scan candidates", ["verdict"])
PUBLISH_OUTCOMES = Counter(
    "imprimatur_publish_outcomes_total", "Publishing outcomes per target", ["status"]
)
DEPENDENCY_UP = Gauge(
    "imprimatur_dependency_up", "1 when a dependency answered the last check", ["dependency"]
)


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if SECRET_FIELD.search(key):
            event[key] = "[redacted]"
    return event


def _stdout() -> io.TextIOBase | TextIO:
    """The stdout of the moment (as `logging.lastResort` takes stderr), unless something
    replaced it with a non-file object: Celery's redirection of stdout into logging would bring
    every line back to the log, so then the process's own stdout."""
    stdout = sys.stdout
    if isinstance(stdout, io.TextIOBase):
        return stdout
    return sys.__stdout__ or sys.stderr


class _StdoutHandler(logging.StreamHandler[Any]):
    def emit(self, record: logging.LogRecord) -> None:
        self.stream = _stdout()
        super().emit(record)


class _AccessLines:
    """Where the access log's lines go, rendered: to stdout, each written whole, as the
    handler writes every other line. The access log is the one line every request writes, so it
    skips the standard library's logging (a record, the caller's frame, the handler's lock,
    formatting anew), which was a fifth of a public verify request's time in the process and
    gave it nothing. The processors are the same, so its lines read exactly as the others do."""

    name = "imprimatur.requests"  # the `logger` field of its lines

    def info(self, line: str) -> None:
        stream = _stdout()
        stream.write(line + "\n")
        stream.flush()


def configure_logging(*, json: bool) -> None:
    """Send every log line of the process, structlog's and the standard library's, through
    the same processors to stdout: JSON if `json`, else readable for a terminal."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    rendering: list[structlog.typing.Processor] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if json
        else [structlog.dev.ConsoleRenderer()]
    )
    global access_log
    access_log = structlog.wrap_logger(
        _AccessLines(),
        processors=[*shared, *rendering],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=True,
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = _StdoutHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
        )
    )
    # Take the root logger over: whatever was there (Celery's plain handler, an earlier call
    # of this function) would print the same records again, unformatted.
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)  # warnings (SQLAlchemy's, deprecations) become log lines


def current_request_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get("request_id")
    return value if isinstance(value, str) else None


def bound_to_request(work: Callable[[], object], request_id: str | None) -> Callable[[], object]:
    """Run `work` (on another thread or worker) with the request id it was started under."""

    def run() -> object:
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            return work()

    return run


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"


class RequestContext:
    """Gives every request an id (the caller's X-Request-ID if sane), logs it, times it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = incoming if SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                ]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                elapsed = time.perf_counter() - started
                route = _route_of(scope)
                REQUEST_SECONDS.labels(scope["method"], route, str(status)).observe(elapsed)
                # Never the query string (an OIDC callback's holds its authorization code) nor
                # headers; a path no route matched is logged as the path, shortened.
                where = (
                    {"route": route}
                    if route != "unmatched"
                    else {"path": scope["path"][:MAX_LOGGED_PATH]}
                )
                access_log.info(
                    "request",
                    method=scope["method"],
                    **where,
                    status=status,
                    duration_ms=round(elapsed * 1000, 1),
                )


def counted_job(name: str, work: Callable[[], object]) -> object:
    try:
        result = work()
    except Exception:
        JOB_RUNS.labels(name, "failed").inc()
        raise
    JOB_RUNS.labels(name, "succeeded").inc()
    return result
