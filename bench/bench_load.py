"""API throughput under load, on PostgreSQL: public verify against a bare FastAPI endpoint,
and the authenticated dashboard API.

    .venv/bin/python bench/bench_load.py [--seconds 10] [--rounds 3] [--workers 2]
        [--connections 16] [--accounts 50] [--check] [--logs DIR]

Creates a scratch PostgreSQL database (on the server of IMPRIMATUR_BENCH_POSTGRES_URL,
default the test server), migrates it, seeds the demo institution plus generated official
accounts up to --accounts, and gives the demo superintendent a token. Serves the application
with `imprimatur serve --workers N` (production settings: JSON logs) and bench/bare_app.py
with the same uvicorn settings and worker count, both on 127.0.0.1 only, and loads them with
wrk (Debian's `wrk`; one thread, --connections open, each run --seconds long, a request
unanswered after 10 s counted as an error). Each round
loads verify (official accounts and one-letter lookalikes, alternating), the application's
own no-op endpoint (/healthz: the whole middleware stack, no work), and the bare endpoint in
turn, so a drift of the machine's speed falls on all three; --rounds rounds, then the
dashboard's JSON endpoints once with the bearer token.

Prints a table on stderr and one JSON line on stdout: requests per second, p50 and p99 per
endpoint (medians over the rounds), and the ratios of requests served in the same round
(medians): verify/bare (the target, >= 0.7), verify/app no-op (what verify itself costs) and
app no-op/bare (what the application's middleware costs). --check exits 1 if any run got a
socket error or a non-2xx answer, or served nothing: CI's smoke run. No ratio is asserted:
it is a measurement, and CI's machine is shared.
"""

import argparse
import io
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from rich.console import Console

BENCH = Path(__file__).resolve().parent
ADMIN_URL = os.environ.get(
    "IMPRIMATUR_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
DASHBOARD_PATHS = [
    "/api/v1/me",
    "/api/v1/accounts",
    "/api/v1/posts",
    "/api/v1/findings",
    "/api/v1/audit?limit=10",
]
READY_SECONDS = 90
TARGET_RATIO = 0.7


@contextmanager
def scratch_database() -> Iterator[str]:
    """A new PostgreSQL database (its SQLAlchemy URL), dropped afterwards."""
    name = f"imprimatur_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def seed(url: str, accounts_wanted: int) -> tuple[str, list[str]]:
    """The demo institution plus generated official accounts; returns a superintendent's
    token and the verify paths to request (official accounts and lookalikes, alternating)."""
    os.environ["IMPRIMATUR_DATABASE_URL"] = url
    from service import migrations
    from service.accounts import service as accounts
    from service.accounts.models import Account
    from service.auth import service as auth
    from service.db import session_scope
    from service.demo import DEMO_USERS, seed_demo
    from service.settings import get_settings
    from service.users import service as users
    from workflows.account_lifecycle import AccountStatus
    from workflows.platforms import Platform
    from workflows.profile_urls import profile_url

    get_settings.cache_clear()
    migrations.upgrade(url)
    seed_demo(Console(file=io.StringIO()))
    platforms = [p for p in Platform if p is not Platform.bluesky]  # handles are domains there
    with session_scope() as session:
        existing = len(accounts.list_accounts(session, status=AccountStatus.authorized))
        for i in range(accounts_wanted - existing):
            ref = accounts.resolve_reference(
                platform=platforms[i % len(platforms)], handle=f"riverbend{i}"
            )
            accounts.register_official(
                session, actor="bench", ref=ref, display_name=f"Riverbend program {i}"
            )
        official = accounts.list_accounts(session, status=AccountStatus.authorized)
        superintendent = users.get_by_email(session, DEMO_USERS[0][0])
        token = auth.issue_token(session, superintendent, actor="bench", expires_days=1).token
    paths = []
    for account in official[:20]:
        lookalike = account.handle.replace("e", "3", 1)  # one letter swapped, as impostors do
        for ref in (
            account,
            accounts.resolve_reference(platform=account.platform, handle=lookalike),
        ):
            asked = ref.url if isinstance(ref, Account) else profile_url(ref)
            paths.append("/api/v1/public/verify?" + urlencode({"url": asked}))
    return token, paths


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server for {url} exited with {server.returncode}")
        with suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            if response.status == 200:
                return
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {READY_SECONDS} s")


@contextmanager
def process_group(
    command: list[str],
    env: dict[str, str],
    log: Path,
    ready: Callable[[subprocess.Popen[bytes]], None],
    stop_timeout: float,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` in a process group of its own, its output in `log`, until the block
    ends; `ready` waits until it serves (SystemExit if it never does: the log's end is shown),
    and the whole group is stopped afterwards."""
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own commands
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            try:
                ready(process)
            except SystemExit:
                sys.stderr.write(log.read_text(errors="replace")[-6000:])
                raise
            yield process
        finally:
            stop_group(process, timeout=stop_timeout)


def serving(
    command: list[str], ready_url: str, env: dict[str, str], log: Path
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """A server, until the block ends, once `ready_url` answers."""
    return process_group(
        command, env, log, lambda server: wait_until_up(ready_url, server), stop_timeout=20
    )


def stop_group(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Stop a server started in a session of its own, with every process it forked: asked
    first, killed if it has not stopped after `timeout` seconds. A group already gone (a server
    that exited at start) is left alone, so the reason it exited is what gets reported."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def load(
    base: str, paths: list[str], args: argparse.Namespace, token: str | None = None
) -> dict[str, object]:
    """One wrk run; its summary as wrk_report.lua writes it."""
    command = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "10s"]
    command += ["-s", str(BENCH / "wrk_report.lua")]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    env = {**os.environ, "WRK_PATHS": " ".join(paths)}
    done = subprocess.run(  # noqa: S603 - wrk, against 127.0.0.1
        [*command, base], env=env, capture_output=True, text=True, check=True
    )
    summary: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


def figures(runs: list[dict[str, object]]) -> dict[str, object]:
    def median(key: str) -> float:
        return statistics.median(float(str(run[key])) for run in runs)

    rates = [float(str(r["requests"])) / float(str(r["seconds"])) for r in runs]
    errors: dict[str, int] = {}
    for run in runs:
        for kind, count in dict(run["errors"]).items():  # type: ignore[call-overload]
            errors[kind] = errors.get(kind, 0) + count
    return {
        "requests_per_second": round(statistics.median(rates)),
        "p50_ms": round(median("p50_ms"), 2),
        "p99_ms": round(median("p99_ms"), 2),
        "requests": sum(int(str(r["requests"])) for r in runs),
        "errors": sum(errors.values()),
        "errors_by_kind": {kind: count for kind, count in errors.items() if count},
    }


def measure(args: argparse.Namespace, url: str, logs: Path) -> dict[str, object]:
    token, verify_paths = seed(url, args.accounts)
    app_port, bare_port = free_port(), free_port()
    env = {
        **os.environ,
        "IMPRIMATUR_DATABASE_URL": url,
        "IMPRIMATUR_JOBS_BACKEND": "celery",  # no embedded scheduler working during the runs
        "IMPRIMATUR_ENVIRONMENT": "production",  # JSON logs, as deployed
        "IMPRIMATUR_SECRET_KEY": secrets.token_urlsafe(48),
        "PYTHONPATH": str(BENCH),
    }
    imprimatur = str(Path(sys.executable).parent / "imprimatur")
    app_command = [imprimatur, "serve", "--workers", str(args.workers), "--port", str(app_port)]
    bare_command = [sys.executable, str(BENCH / "bare_app.py"), "--workers", str(args.workers)]
    bare_command += ["--port", str(bare_port)]
    app, bare = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
    runs: dict[str, list[dict[str, object]]] = {
        "verify": [],
        "app_noop": [],
        "bare": [],
        "dashboard_api": [],
    }
    with (
        serving(app_command, f"{app}/healthz", env, logs / "app.log"),
        serving(bare_command, f"{bare}/bare", env, logs / "bare.log"),
    ):
        load(app, verify_paths, args)  # warm-up: connections, register copies, code paths
        load(bare, ["/bare"], args)
        for _ in range(args.rounds):
            runs["verify"].append(load(app, verify_paths, args))
            runs["app_noop"].append(load(app, ["/healthz"], args))
            runs["bare"].append(load(bare, ["/bare"], args))
        runs["dashboard_api"].append(load(app, DASHBOARD_PATHS, args, token))
    return {
        "benchmark": "API throughput",
        "workers": args.workers,
        "connections": args.connections,
        "seconds_per_run": args.seconds,
        "rounds": args.rounds,
        "accounts": args.accounts,
        "endpoints": {name: figures(done) for name, done in runs.items()},
        "verify_to_bare": ratio(runs["verify"], runs["bare"]),
        "verify_to_app_noop": ratio(runs["verify"], runs["app_noop"]),
        "app_noop_to_bare": ratio(runs["app_noop"], runs["bare"]),
    }


def ratio(these: list[dict[str, object]], those: list[dict[str, object]]) -> float:
    """The median over the rounds of the ratio of requests served in the same round."""
    pairs = zip(these, those, strict=True)
    return round(
        statistics.median(float(str(a["requests"])) / float(str(b["requests"])) for a, b in pairs),
        3,
    )


def report(result: dict[str, object]) -> None:
    endpoints = result["endpoints"]
    assert isinstance(endpoints, dict)
    print(
        f"{'endpoint':<15} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}", file=sys.stderr
    )
    for name, row in endpoints.items():
        print(
            f"{name:<15} {row['requests_per_second']:>8} {row['p50_ms']:>8} "
            f"{row['p99_ms']:>8} {row['errors']:>7}",
            file=sys.stderr,
        )
    print(
        f"verify/bare {result['verify_to_bare']} (target {TARGET_RATIO}), verify/app no-op "
        f"{result['verify_to_app_noop']}, app no-op/bare {result['app_noop_to_bare']}",
        file=sys.stderr,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--logs", type=Path, help="keep the servers' logs in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="imprimatur-bench-") as temporary:
        logs = args.logs or Path(temporary)
        logs.mkdir(parents=True, exist_ok=True)
        with scratch_database() as url:
            result = measure(args, url, logs)
    report(result)
    print(json.dumps(result))
    endpoints = result["endpoints"]
    assert isinstance(endpoints, dict)
    if args.check and any(row["errors"] or not row["requests"] for row in endpoints.values()):
        raise SystemExit("load: errors or no requests served")


if __name__ == "__main__":
    main()
