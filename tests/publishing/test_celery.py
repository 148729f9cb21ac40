"""Celery on the real Redis: beat schedules, a worker publishes, exactly once."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlmodel import select

from service.celery_app import make_celery
from service.db import session_scope
from service.posts.models import Post
from service.publishing.models import PublishTarget
from service.settings import get_settings
from workflows.post_lifecycle import PostStatus

REDIS_URL = os.environ.get("IMPRIMATUR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        message = f"Redis unavailable at {REDIS_URL}: {error}"
        if IN_CI:
            pytest.fail(message + " (CI must run every test)", pytrace=False)
        pytest.skip(message)
    return REDIS_URL


def celery(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "service.celery_app", *args],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


@pytest.fixture
def worker_and_beat(
    redis_url: str, committed_database: str, tmp_path: Path
) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        "IMPRIMATUR_DATABASE_URL": committed_database,
        "IMPRIMATUR_REDIS_URL": redis_url,
        "IMPRIMATUR_CELERY_QUEUE": f"imprimatur-test-{uuid.uuid4().hex[:8]}",
        "IMPRIMATUR_PUBLISH_INTERVAL_SECONDS": "1",
        "IMPRIMATUR_DEMO": "true",  # platforms without credentials are the simulated one
        "IMPRIMATUR_SIMULATED_PUBLISHED_PATH": str(tmp_path / "published.jsonl"),
    }
    processes = [
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
    yield env
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


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
        make_celery(get_settings()).send_task("imprimatur.publish_post", args=[approved_post])

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
    env = {
        **os.environ,
        "IMPRIMATUR_DATABASE_URL": committed_database,
        "IMPRIMATUR_REDIS_URL": redis_url,
        "IMPRIMATUR_CELERY_QUEUE": f"imprimatur-test-{uuid.uuid4().hex[:8]}",
        "IMPRIMATUR_SCAN_CHECK_INTERVAL_SECONDS": "1",
    }
    processes = [
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
    try:

        def scanned() -> bool:
            with session_scope() as session:
                runs = session.exec(select(ScanRun)).all()
                return any(run.finished_at is not None for run in runs)

        assert wait_for(scanned, seconds=90), (tmp_path / "worker.log").read_text()[-3000:]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    with session_scope() as session:
        handles = {f.handle for f in session.exec(select(Finding)).all()}
    assert handles and not handles & {"RiverbendTech", "riverbendtech", "rtc_culinary"}
