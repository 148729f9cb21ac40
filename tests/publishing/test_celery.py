"""Celery on the real Redis: beat schedules, a worker publishes, exactly once."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from service import celery_app
from service.celery_app import make_celery
from service.db import session_scope
from service.jobs import run_deferred
from service.notifications.service import queue_mail
from service.posts.models import Post
from service.publishing.models import PublishTarget
from service.settings import get_settings
from workflows.post_lifecycle import PostStatus

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def celery(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "service.celery_app", *args],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def solo_worker_and_beat(env: dict[str, str], tmp_path: Path) -> list[subprocess.Popen[bytes]]:
    return [
        celery(
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
            env=env,
            log=tmp_path / "worker.log",
        ),
        celery(
            "beat",
            "--schedule",
            str(tmp_path / "beat-schedule"),
            "--loglevel=INFO",
            env=env,
            log=tmp_path / "beat.log",
        ),
    ]


@pytest.fixture
def worker_and_beat(
    redis_url: str, committed_database: str, tmp_path: Path
) -> Iterator[dict[str, str]]:
    env = celery_env(
        redis_url, committed_database, tmp_path, IMPRIMATUR_PUBLISH_INTERVAL_SECONDS="1"
    )
    processes = solo_worker_and_beat(env, tmp_path)
    yield env
    stop(*processes)


def stop(*processes: subprocess.Popen[bytes] | None) -> None:
    for process in processes:
        if process is not None:
            process.terminate()
    for process in processes:
        if process is not None:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def celery_env(
    redis_url: str, database_url: str, tmp_path: Path, **settings: str
) -> dict[str, str]:
    """A worker's environment: its own queue, the test database, the simulated platform."""
    return {
        **os.environ,
        "IMPRIMATUR_DATABASE_URL": database_url,
        "IMPRIMATUR_REDIS_URL": redis_url,
        "IMPRIMATUR_CELERY_QUEUE": f"imprimatur-test-{uuid.uuid4().hex[:8]}",
        "IMPRIMATUR_DEMO": "true",  # platforms without credentials are the simulated one
        "IMPRIMATUR_SIMULATED_PUBLISHED_PATH": str(tmp_path / "published.jsonl"),
        **settings,
    }


def prefork_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return celery(
        "worker",
        "--pool=prefork",
        "--concurrency=1",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
        env=env,
        log=log,
    )


def use_broker_of(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """This process sends its tasks where the worker of `env` listens."""
    for name in ("REDIS_URL", "CELERY_QUEUE"):
        monkeypatch.setenv(f"IMPRIMATUR_{name}", env[f"IMPRIMATUR_{name}"])
    get_settings.cache_clear()


def is_published(post_id: int) -> bool:
    with session_scope() as session:
        post = session.get(Post, post_id)
        return post is not None and post.status is PostStatus.published


def received(log: Path, task_id: str) -> int:
    """How often the worker took delivery of the task `task_id`."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return len(re.findall(rf"Task [\w.]+\[{re.escape(task_id)}\] received", text))


def scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def wait_for(condition: object, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_beat_schedules_and_a_worker_publishes_once(
    approved_post: int, worker_and_beat: dict[str, str], tmp_path: Path
) -> None:
    def published() -> bool:
        with session_scope() as session:
            post = session.get(Post, approved_post)
            return post is not None and post.status is PostStatus.published

    assert wait_for(published), (tmp_path / "worker.log").read_text()[-3000:]
    time.sleep(2)  # let beat fire a few more times: nothing more may be published
    published_lines = (tmp_path / "published.jsonl").read_text().splitlines()
    assert len(published_lines) == 1
    with session_scope() as session:
        (target,) = session.exec(select(PublishTarget)).all()
        assert target.attempts == 1


def test_a_worker_killed_mid_publish_never_double_posts(
    approved_post: int,
    redis_url: str,
    committed_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {
        **os.environ,
        "IMPRIMATUR_DATABASE_URL": committed_database,
        "IMPRIMATUR_REDIS_URL": redis_url,
        "IMPRIMATUR_CELERY_QUEUE": f"imprimatur-test-{uuid.uuid4().hex[:8]}",
        "IMPRIMATUR_PUBLISH_INTERVAL_SECONDS": "1",
        "IMPRIMATUR_PUBLISH_LEASE_SECONDS": "2",
        "IMPRIMATUR_SIMULATED_LATENCY_SECONDS": "4",
        "IMPRIMATUR_DEMO": "true",
        "IMPRIMATUR_SIMULATED_PUBLISHED_PATH": str(tmp_path / "published.jsonl"),
    }
    worker = celery(
        "worker",
        "--pool=prefork",
        "--concurrency=1",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
        env=env,
        log=tmp_path / "worker.log",
    )
    beat = None
    try:
        for name in ("REDIS_URL", "CELERY_QUEUE"):
            monkeypatch.setenv(f"IMPRIMATUR_{name}", env[f"IMPRIMATUR_{name}"])
        get_settings.cache_clear()
        task = make_celery(get_settings()).send_task(
            "imprimatur.publish_post", args=[approved_post]
        )

        def sending() -> bool:
            with session_scope() as session:
                target = session.exec(select(PublishTarget)).first()
                return target is not None and target.status == "sending"

        assert wait_for(sending), (tmp_path / "worker.log").read_text()[-3000:]
        children = subprocess.run(
            ["pgrep", "-P", str(worker.pid)], capture_output=True, text=True, check=True
        ).stdout.split()
        for child in children:
            os.kill(int(child), signal.SIGKILL)  # the platform call is in flight

        beat = celery(
            "beat",
            "--schedule",
            str(tmp_path / "beat-schedule"),
            "--loglevel=INFO",
            env=env,
            log=tmp_path / "beat.log",
        )

        def published() -> bool:
            with session_scope() as session:
                post = session.get(Post, approved_post)
                return post is not None and post.status is PostStatus.published

        assert wait_for(published, seconds=90), (tmp_path / "worker.log").read_text()[-3000:]
        # Acked late and rejected when its process died: the same task was handed out again.
        assert wait_for(lambda: received(tmp_path / "worker.log", task.id) >= 2, seconds=30), (
            tmp_path / "worker.log"
        ).read_text()[-3000:]
    finally:
        for process in (worker, beat):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
    lines = (tmp_path / "published.jsonl").read_text().splitlines()
    assert len(lines) == 1
    with session_scope() as session:
        (target,) = session.exec(select(PublishTarget)).all()
        assert target.attempts >= 2  # the killed attempt, then the one that went out


def test_the_embedded_scheduler_does_the_same_work(
    approved_post: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.cli import embedded_scheduler

    monkeypatch.setenv("IMPRIMATUR_PUBLISH_INTERVAL_SECONDS", "0.2")
    get_settings.cache_clear()
    scheduler = embedded_scheduler()
    scheduler.start()
    try:

        def published() -> bool:
            with session_scope() as session:
                post = session.get(Post, approved_post)
                return post is not None and post.status is PostStatus.published

        assert wait_for(published, seconds=30)
    finally:
        scheduler.stop()


def test_beat_schedules_a_scan_and_a_worker_runs_it(
    redis_url: str, committed_database: str, tmp_path: Path
) -> None:
    from service import demo
    from service.findings.models import Finding
    from service.scans.models import ScanRun

    with session_scope() as session:
        demo._seed(session)
    env = celery_env(
        redis_url, committed_database, tmp_path, IMPRIMATUR_SCAN_CHECK_INTERVAL_SECONDS="1"
    )
    processes = solo_worker_and_beat(env, tmp_path)
    try:

        def scanned() -> bool:
            with session_scope() as session:
                runs = session.exec(select(ScanRun)).all()
                return any(run.finished_at is not None for run in runs)

        assert wait_for(scanned, seconds=90), (tmp_path / "worker.log").read_text()[-3000:]
    finally:
        stop(*processes)
    with session_scope() as session:
        handles = {f.handle for f in session.exec(select(Finding)).all()}
    assert handles and not handles & {"RiverbendTech", "riverbendtech", "rtc_culinary"}


def test_a_prefork_worker_serves_the_job_and_publish_counters_of_its_children(
    approved_post: int,
    redis_url: str,
    committed_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    port = free_port()
    env = celery_env(
        redis_url,
        committed_database,
        tmp_path,
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        IMPRIMATUR_WORKER_METRICS_PORT=str(port),
    )
    log = tmp_path / "worker.log"
    worker = prefork_worker(env, log)
    job_runs = (
        "imprimatur_job_runs_total",
        frozenset({("job", "imprimatur.publish_post"), ("outcome", "succeeded")}),
    )
    published = ("imprimatur_publish_outcomes_total", frozenset({("status", "published")}))

    def counted() -> bool:
        try:
            samples = scrape(port)
        except (urllib.error.URLError, OSError):
            return False  # not serving yet
        return samples.get(job_runs, 0) >= 1 and published in samples

    try:
        use_broker_of(env, monkeypatch)
        make_celery(get_settings()).send_task("imprimatur.publish_post", args=[approved_post])
        assert wait_for(lambda: is_published(approved_post)), log.read_text()[-3000:]
        assert wait_for(counted, seconds=30), log.read_text()[-3000:]
        samples = scrape(port)
    finally:
        stop(worker)
    assert samples[published] == 1
    assert any(metrics_dir.iterdir())  # counted by a child, in the shared directory


def test_a_celery_task_logs_under_the_request_id_that_sent_it(
    redis_url: str,
    committed_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Nothing listens on the SMTP port: delivery fails and the task logs `mail_not_sent`.
    env = celery_env(
        redis_url,
        committed_database,
        tmp_path,
        IMPRIMATUR_SMTP_HOST="127.0.0.1",
        IMPRIMATUR_SMTP_PORT=str(free_port()),
    )
    log = tmp_path / "worker.log"
    worker = prefork_worker(env, log)

    def logged() -> list[str]:
        text = ANSI.sub("", log.read_text(errors="replace")) if log.exists() else ""
        return [line for line in text.splitlines() if "mail_not_sent" in line]

    try:
        use_broker_of(env, monkeypatch)
        monkeypatch.setenv("IMPRIMATUR_JOBS_BACKEND", "celery")
        get_settings.cache_clear()
        monkeypatch.setattr(celery_app, "celery", make_celery(get_settings()))
        with session_scope() as session:  # as a request does: queue, commit, then send the job
            queue_mail(session, ["parent@school.example"], "Open house", "Saturday at 10.")
        with structlog.contextvars.bound_contextvars(request_id="req-celery-1"):
            run_deferred(session)
        assert wait_for(logged), log.read_text()[-3000:]
    finally:
        stop(worker)
    (line,) = logged()
    assert "req-celery-1" in line
    assert "imprimatur.deliver_mail" in line
