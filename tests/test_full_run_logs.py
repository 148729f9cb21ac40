"""A full production run — `imprimatur serve`, a Celery worker and beat — judged by its logs.

Everything an operator's log pipeline would receive is read back: every line of every process
must be JSON, no secret the run handled may appear anywhere (keys, passwords, bearer tokens,
a platform token, an OIDC authorization code), and the id of a request follows it into the
worker that ran the job the request started.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx2
import oidc_provider_mock
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword
from aiosmtpd.smtp import Session as SmtpSession
from cryptography.fernet import Fernet

from service.auth import service as auth
from service.db import session_scope
from service.posts.models import Post
from service.users import service as users
from service.users.models import Role
from workflows.post_lifecycle import PostStatus

IMPRIMATUR = [sys.executable, "-c", "from service.cli import app; app()"]
CELERY = [sys.executable, "-m", "celery", "-A", "service.celery_app", "--quiet"]
# What a Celery worker writes straight to its stdout on SIGTERM (os.write, not logging): no
# setting turns it off, so it is the one line of a run allowed not to be JSON.
CELERY_SHUTDOWN_NOTICE = "worker: Warm shutdown (MainProcess)"


@pytest.fixture
def issuer() -> Iterator[str]:
    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@dataclass
class Mailbox:
    """An SMTP server's handler and authenticator: it takes mail only after a login with
    `password`, so delivered mail shows that the worker used the SMTP password."""

    password: str
    received: list[Envelope] = field(default_factory=list)

    def authenticate(
        self, server: SMTP, session: SmtpSession, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == self.password.encode()
        return AuthResult(success=ok)

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@dataclass
class Run:
    """The processes of the run, each writing stdout and stderr to its own log file."""

    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    files: list[IO[bytes]] = field(default_factory=list)

    def start(self, name: str, command: list[str]) -> None:
        self.files.append((self.logs / f"{name}.log").open("wb"))
        self.processes[name] = subprocess.Popen(
            command, env=self.env, stdout=self.files[-1], stderr=subprocess.STDOUT
        )

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(encoding="utf-8")

    def tails(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)[-2000:]}" for name in self.processes)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for file in self.files:
            file.close()

    def exit_codes(self) -> dict[str, int | None]:
        return {name: process.returncode for name, process in self.processes.items()}


def provision(role: Role) -> tuple[str, str]:
    """A person of the role and a bearer token: (email, token)."""
    email = f"{role}-{uuid.uuid4().hex[:6]}@school.example"
    with session_scope() as session:
        user = users.add_user(session, actor="test", email=email, role=role, name=str(role))
        token = auth.issue_token(session, user, actor="test", expires_days=None).token
    return email, token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in_with_oidc(client: httpx2.Client, issuer: str, email: str) -> str:
    """The browser's part of a sign-in; returns the authorization code the issuer gave."""
    sub = f"sub-{uuid.uuid4().hex}"
    assert httpx2.put(f"{issuer}/users/{quote(sub)}", json={"email": email}).status_code == 204
    login = client.get("/login/oidc")
    assert login.status_code == 302, login.text
    consent = httpx2.post(login.headers["location"], data={"sub": sub})
    assert consent.status_code == 302, consent.text
    callback = urlsplit(consent.headers["location"])
    code = parse_qs(callback.query)["code"][0]
    signed_in = client.get(f"{callback.path}?{callback.query}")
    assert signed_in.status_code == 303, signed_in.text
    return code


# A plain-text login to a local test server: that is the point, it carries the SMTP password.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_a_full_run_logs_json_without_secrets_and_follows_requests_into_jobs(
    redis_url: str, committed_database: str, issuer: str, tmp_path: Path
) -> None:
    boss_email, boss_token = provision(Role.superintendent)
    _, author_token = provision(Role.staff)
    designee_email, designee_token = provision(Role.designee)
    port, smtp_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{port}"
    known = {
        "secret key": "sk-" + secrets.token_hex(20),
        "credential key": Fernet.generate_key().decode(),
        "OIDC client secret": "oidc-client-" + secrets.token_hex(12),
        "SMTP password": "smtp-pass-" + secrets.token_hex(12),
        "platform token": "platform-token-" + secrets.token_hex(12),
        "platform token secret": "platform-secret-" + secrets.token_hex(12),
        "superintendent's bearer token": boss_token,
        "staff's bearer token": author_token,
        "designee's bearer token": designee_token,
        "a wrong bearer token": "imp_" + secrets.token_urlsafe(32),
        "a forged authorization code": "forged-code-" + secrets.token_hex(12),
    }
    env = {
        **os.environ,
        "IMPRIMATUR_ENVIRONMENT": "production",
        "IMPRIMATUR_SECRET_KEY": known["secret key"],
        "IMPRIMATUR_CREDENTIAL_KEYS": known["credential key"],
        "IMPRIMATUR_BASE_URL": base_url,
        "IMPRIMATUR_OIDC_ISSUER": issuer,
        "IMPRIMATUR_OIDC_CLIENT_ID": "imprimatur",
        "IMPRIMATUR_OIDC_CLIENT_SECRET": known["OIDC client secret"],
        "IMPRIMATUR_SMTP_HOST": "127.0.0.1",
        "IMPRIMATUR_SMTP_PORT": str(smtp_port),
        "IMPRIMATUR_SMTP_USERNAME": "imprimatur",
        "IMPRIMATUR_SMTP_PASSWORD": known["SMTP password"],
        "IMPRIMATUR_JOBS_BACKEND": "celery",
        "IMPRIMATUR_REDIS_URL": redis_url,
        "IMPRIMATUR_CELERY_QUEUE": f"imprimatur-test-{uuid.uuid4().hex[:8]}",
        "IMPRIMATUR_PUBLISH_INTERVAL_SECONDS": "1",
        "IMPRIMATUR_MAIL_INTERVAL_SECONDS": "1",
        "IMPRIMATUR_DEMO": "true",  # the platform is the simulated one
        "IMPRIMATUR_SIMULATED_PUBLISHED_PATH": str(tmp_path / "published.jsonl"),
        # Celery warns in plain text, before any logging exists, when run as root (as in some
        # sandboxes); the image runs it as uid 10001 (Dockerfile), where there is no warning.
        "PYTHONWARNINGS": "ignore:You're running the worker with superuser privileges",
    }
    env.pop("IMPRIMATUR_WORKER_METRICS_PORT", None)
    mailbox = Mailbox(known["SMTP password"])
    smtp = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=smtp_port,
        authenticator=mailbox.authenticate,
        auth_required=True,
        auth_require_tls=False,
    )
    smtp.start()
    run = Run(env, tmp_path)
    try:
        # Both Celery processes as production runs them: the worker is a prefork parent that
        # receives tasks and a child that runs them (their lines differ, both must be JSON).
        worker = ["worker", "--concurrency=1", "--without-gossip", "--without-mingle"]
        run.start("worker", [*CELERY, *worker, "--loglevel=INFO"])
        beat = ["beat", "--schedule", str(tmp_path / "beat-schedule"), "--loglevel=INFO"]
        run.start("beat", [*CELERY, *beat])
        run.start("serve", [*IMPRIMATUR, "serve", "--host", "127.0.0.1", "--port", str(port)])
        with httpx2.Client(base_url=base_url, timeout=10) as client:

            def serving() -> bool:
                try:
                    return client.get("/healthz").status_code == 200
                except httpx2.TransportError:
                    return False

            assert wait_for(serving), run.tails()

            me = client.get("/api/v1/me", headers=bearer(boss_token))
            assert me.status_code == 200 and me.json()["email"] == boss_email, me.text
            wrong = client.get("/api/v1/me", headers=bearer(known["a wrong bearer token"]))
            assert wrong.status_code == 401, wrong.text

            known["an authorization code"] = sign_in_with_oidc(client, issuer, designee_email)
            assert client.get("/api/v1/me").json()["email"] == designee_email
            forged = client.get(
                "/auth/callback",
                params={"code": known["a forged authorization code"], "state": "forged"},
            )
            assert forged.status_code >= 400, forged.text
            client.cookies.clear()

            account = client.post(
                "/api/v1/accounts",
                json={"url": "https://x.com/RiverbendTech"},
                headers=bearer(author_token),
            ).json()
            authorized = client.post(
                f"/api/v1/accounts/{account['id']}/authorize", headers=bearer(boss_token)
            )
            assert authorized.status_code == 200, authorized.text
            connected = client.put(
                f"/api/v1/accounts/{account['id']}/credentials",
                json={
                    "access_token": known["platform token"],
                    "access_token_secret": known["platform token secret"],
                },
                headers=bearer(boss_token),
            )
            assert connected.status_code == 200 and connected.json()["connected"], connected.text
            post = client.post(
                "/api/v1/posts",
                json={"account_ids": [account["id"]], "text": "Open house on Saturday at 10."},
                headers=bearer(author_token),
            ).json()
            submitted = client.post(
                f"/api/v1/posts/{post['id']}/submit", headers=bearer(author_token)
            )
            assert submitted.status_code == 200, submitted.text
            approval_id = f"approve-{uuid.uuid4().hex}"
            approved = client.post(
                f"/api/v1/posts/{post['id']}/approve",
                headers={**bearer(designee_token), "X-Request-ID": approval_id},
            )
            assert approved.json()["status"] == "approved", approved.text

            ready = client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"database": True, "broker": True}
            assert "imprimatur_request_seconds" in client.get("/metrics").text

        def published() -> bool:
            with session_scope() as session:
                stored = session.get(Post, post["id"])
                return stored is not None and stored.status is PostStatus.published

        assert wait_for(published), run.tails()
        assert wait_for(lambda: approval_id in run.log("worker")), run.tails()
        assert wait_for(lambda: bool(mailbox.received)), run.tails()  # signed in, then sent
    finally:
        run.stop()
        smtp.stop()

    records: dict[str, list[dict[str, Any]]] = {}
    for name in run.processes:
        text = run.log(name)
        for what, secret in known.items():
            assert secret not in text, f"{name}'s log holds {what}"
        records[name] = []
        for line in text.splitlines():
            if not line.strip() or line.strip() == CELERY_SHUTDOWN_NOTICE:
                continue
            try:
                records[name].append(json.loads(line))
            except ValueError:
                pytest.fail(f"{name} wrote a line that is not JSON: {line!r}")
        assert records[name], f"{name} logged nothing"
    # uvicorn shuts down cleanly, then re-raises the SIGTERM it caught: it dies of it.
    assert run.exit_codes() == {"worker": 0, "beat": 0, "serve": -signal.SIGTERM}

    assert "uvicorn.error" in {line.get("logger") for line in records["serve"]}
    requests = [line for line in records["serve"] if line.get("event") == "request"]
    assert not any("query" in line or "headers" in line for line in requests)
    [approval] = [line for line in requests if line.get("request_id") == approval_id]
    assert approval["route"] == "/api/v1/posts/{post_id}/approve"
    assert approval["method"] == "POST" and approval["status"] == 200
    assert isinstance(approval["duration_ms"], float)
    callbacks = [line for line in requests if line.get("route") == "/auth/callback"]
    assert len(callbacks) == 2 and all("?" not in json.dumps(line) for line in callbacks)
    assert any(line["status"] == 401 for line in requests), "the wrong bearer token's request"
    job = [line for line in records["worker"] if line.get("request_id") == approval_id]
    assert any(line.get("task") == "imprimatur.publish_post" for line in job), job
