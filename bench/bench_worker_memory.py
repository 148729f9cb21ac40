"""Memory of a Celery worker: after start, and after it has run scans.

    .venv/bin/python bench/bench_worker_memory.py [--concurrency 2] [--scans 3]

Starts a real worker (`celery -A service.celery_app worker`, prefork, --concurrency
children) on a scratch PostgreSQL database seeded with the demo institution (as
bench_load.py seeds it) and a Redis queue of its own, then sends it --scans impersonation
scans of the demo's simulated platform (the whole lookalike sweep, scoring and images, as
in production but without the network), one at a time, each waited for in the database.
Memory is read from /proc: RSS and PSS (shared pages divided among the processes sharing
them, so the prefork children's shared code is not counted twice) of the parent and of each
child, after start and after each scan. Prints a table on stderr and one JSON line.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from bench_load import process_group, scratch_database, seed

ROOT = Path(__file__).resolve().parents[1]
SIMULATED_PROFILES = ROOT / "service/demo/simulated_profiles.jsonl"
REDIS_URL = os.environ.get("IMPRIMATUR_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
WAIT_SECONDS = 300


def memory_kib(pid: int) -> dict[str, int]:
    """Rss and Pss of one process, in KiB (from /proc/PID/smaps_rollup)."""
    figures = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("Rss", "Pss"):
            figures[name.lower()] = int(value.split()[0])
    return figures


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def snapshot(worker: int) -> dict[str, object]:
    parent = memory_kib(worker)
    kids = [memory_kib(child) for child in children(worker)]
    return {
        "parent_rss_mib": round(parent["rss"] / 1024, 1),
        "children_rss_mib": [round(k["rss"] / 1024, 1) for k in kids],
        "total_pss_mib": round((parent["pss"] + sum(k["pss"] for k in kids)) / 1024, 1),
    }


def wait_for_line(log: Path, text: str, worker: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while text not in log.read_text(errors="replace"):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"worker: no '{text}' in its log")
        time.sleep(0.3)


@contextmanager
def worker_process(env: dict[str, str], concurrency: int, log: Path) -> Iterator[int]:
    """A Celery worker in its own process group, until the block ends; yields its pid."""
    celery = str(Path(sys.executable).parent / "celery")
    command = [celery, "-A", "service.celery_app", "worker", "--loglevel=INFO"]
    command += [f"--concurrency={concurrency}", f"--hostname=bench-{uuid.uuid4().hex[:8]}@%h"]
    ready = partial(wait_for_line, log, "ready")
    with process_group(command, env, log, ready, stop_timeout=30) as worker:
        yield worker.pid


def run_scan_and_wait(done_before: int) -> dict[str, object]:
    """Send one scan of the simulated platform, wait until the database shows it finished,
    and return its status and counts; one that failed would measure nothing, so it stops."""
    from sqlmodel import col, select

    from service.celery_app import make_celery
    from service.db import session_scope
    from service.scans.models import ScanRun, ScanStatus
    from service.settings import get_settings

    make_celery(get_settings()).send_task("imprimatur.run_scan", args=["simulated"])
    unfinished = [ScanStatus.queued, ScanStatus.running]
    ended = select(ScanRun).where(col(ScanRun.status).not_in(unfinished)).order_by(col(ScanRun.id))
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        with session_scope() as session:
            runs = session.exec(ended).all()
            if len(runs) > done_before:
                if runs[-1].status is not ScanStatus.finished:
                    raise SystemExit(f"worker: the scan ended {runs[-1].status}: {runs[-1].errors}")
                return {"scan_status": runs[-1].status.value, "scan_counts": runs[-1].counts}
        time.sleep(0.5)
    raise SystemExit("worker: the scan did not end in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--scans", type=int, default=3)
    args = parser.parse_args()
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    os.environ.update(
        IMPRIMATUR_REDIS_URL=REDIS_URL,
        IMPRIMATUR_CELERY_QUEUE=queue,
        IMPRIMATUR_JOBS_BACKEND="celery",
        IMPRIMATUR_SIMULATED_PROFILES_PATH=str(SIMULATED_PROFILES),
    )
    with (
        tempfile.TemporaryDirectory(prefix="imprimatur-bench-") as temporary,
        scratch_database() as url,
    ):
        seed(url, accounts_wanted=0)
        os.environ["IMPRIMATUR_SIMULATED_PUBLISHED_PATH"] = f"{temporary}/published.jsonl"
        with worker_process(dict(os.environ), args.concurrency, Path(temporary) / "w.log") as pid:
            steps = [{"after": "start", **snapshot(pid)}]
            for scan in range(args.scans):
                scanned = run_scan_and_wait(scan)
                steps.append({"after": f"scan {scan + 1}", **snapshot(pid), **scanned})
    result = {
        "benchmark": "Celery worker memory",
        "concurrency": args.concurrency,
        "steps": steps,
    }
    for step in steps:
        print(
            f"after {step['after']:<7}: parent RSS {step['parent_rss_mib']} MiB, children RSS "
            f"{step['children_rss_mib']} MiB, total PSS {step['total_pss_mib']} MiB",
            file=sys.stderr,
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
