"""Publishing approved posts through a connector: once per target, whatever happens."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

import connectors
from connectors.simulated import SimulatedConnector
from service import clock, db, jobs
from service.audit.service import verify_chain
from service.db import get_engine, session_scope
from service.jobs import Job
from service.publishing import service as publishing
from service.publishing.models import PublishTarget
from service.users.models import Role
from tests.publishing.conftest import (
    newsroom,
    person,
    person_token,
    post_state,
    published_events,
)


def test_approval_publishes_once_and_is_audited(
    live_app: TestClient, approved_post: int, platform: SimulatedConnector, deferred: list[Job]
) -> None:
    publish_jobs = [j for j in deferred if getattr(j, "func", None) is publishing.publish_post]
    assert len(publish_jobs) == 1 and published_events(platform) == []
    for job in publish_jobs:
        job()
    publishing.publish_post(approved_post)  # a retry of the job changes nothing

    events = published_events(platform)
    assert len(events) == 1 and events[0]["text"] == "Open house on Saturday at 10."
    state = post_state(live_app, approved_post)
    assert state["status"] == "published"
    (publication,) = state["publications"]
    assert publication["status"] == "published" and publication["url"] == events[0]["url"]
    assert verify_chain(get_engine()).intact


def test_rate_limited_then_published_when_the_limit_resets(
    live_app: TestClient, approved_post: int, platform: SimulatedConnector
) -> None:
    reset = clock.now() + timedelta(minutes=15)
    platform.fail_next(connectors.RateLimited("x", "too many requests", reset))
    publishing.publish_post(approved_post)
    (target,) = post_state(live_app, approved_post)["publications"]
    assert target["status"] == "retry" and published_events(platform) == []

    assert publishing.publish_due() == 1
    assert published_events(platform) == []  # not before the reset
    clock.freeze(reset + timedelta(seconds=1))
    publishing.publish_due()
    assert len(published_events(platform)) == 1
    assert post_state(live_app, approved_post)["status"] == "published"


def test_an_unknown_outcome_is_reconciled_not_repeated(
    live_app: TestClient, approved_post: int, platform: SimulatedConnector
) -> None:
    platform.fail_next(
        connectors.PlatformError("x", "read timed out", retryable=True), after_publishing=True
    )
    publishing.publish_post(approved_post)
    (target,) = post_state(live_app, approved_post)["publications"]
    assert target["status"] == "retry"
    assert len(platform.published) == 1  # it did go out

    clock.freeze(clock.now() + timedelta(hours=2))
    publishing.publish_due()
    assert len(platform.published) == 1  # found, not posted again
    state = post_state(live_app, approved_post)
    assert state["status"] == "published"
    assert state["publications"][0]["url"] == platform.published[0]["url"]


def test_a_worker_that_died_mid_publish_is_reconciled(
    approved_post: int, platform: SimulatedConnector
) -> None:
    claim = publishing._claim(approved_post, _only_account(approved_post))
    assert claim is not None  # ...and the worker dies here, after the platform took the post
    publishing._send(claim)
    assert publishing._claim(approved_post, claim.account_id) is None  # lease still held
    clock.freeze(clock.now() + timedelta(hours=1))
    publishing.publish_post(approved_post)
    assert len(platform.published) == 1


def _only_account(post_id: int) -> int:
    publishing._prepare(post_id)
    with session_scope() as session:
        target = session.exec(select(PublishTarget).where(PublishTarget.post_id == post_id)).one()
        return target.account_id


def test_a_permanent_error_fails_the_target_with_the_platforms_message(
    live_app: TestClient, approved_post: int, platform: SimulatedConnector
) -> None:
    platform.fail_next(connectors.AuthError("x", "Invalid or expired token"))
    publishing.publish_post(approved_post)
    state = post_state(live_app, approved_post)
    assert state["status"] == "approved"
    assert state["publications"][0]["status"] == "failed"
    assert "expired token" in state["publications"][0]["last_error"]


def test_removing_a_published_post_deletes_it_on_the_platform(
    live_app: TestClient, approved_post: int, platform: SimulatedConnector, deferred: list[Job]
) -> None:
    publishing.publish_post(approved_post)
    deferred.clear()
    removed = live_app.post(
        f"/api/v1/posts/{approved_post}/remove",
        json={"comment": "Wrong date."},
        headers={"Authorization": f"Bearer {person_token('designee')}"},
    )
    assert removed.json()["status"] == "removed", removed.text
    for job in deferred:
        job()
    assert published_events(platform) == []
    assert post_state(live_app, approved_post)["publications"][0]["status"] == "deleted"


def test_revoking_a_consent_flags_the_published_post(
    live_app: TestClient, platform: SimulatedConnector, deferred: list[Job]
) -> None:
    from tests.posts.conftest import grant_consent

    boss, author, designee, account = newsroom(live_app)
    student = live_app.post(
        "/api/v1/students", json={"full_name": "Jane Doe", "site": "North"}, headers=boss.headers
    ).json()
    consent_id = grant_consent(live_app, boss, student["id"], "name")
    post = live_app.post(
        "/api/v1/posts",
        json={"account_ids": [account["id"]], "text": "Well done, Jane Doe!"},
        headers=author.headers,
    ).json()
    live_app.post(f"/api/v1/posts/{post['id']}/submit", headers=author.headers)
    live_app.post(f"/api/v1/posts/{post['id']}/approve", headers=designee.headers)
    publishing.publish_post(post["id"])

    revoked = live_app.post(
        f"/api/v1/consents/{consent_id}/revoke",
        json={"reason": "Parent withdrew consent."},
        headers=boss.headers,
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["posts_flagged"] == [post["id"]]
    state = live_app.get(f"/api/v1/posts/{post['id']}", headers=author.headers).json()
    assert state["status"] == "published" and state["removal_required"] is True


def test_credentials_are_encrypted_never_returned_and_rotate(
    live_app: TestClient, monkeypatch: pytest.MonkeyPatch, committed_database: str
) -> None:
    from cryptography.fernet import Fernet

    from service.accounts import credentials
    from service.settings import get_settings

    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("IMPRIMATUR_CREDENTIAL_KEYS", old_key)
    get_settings.cache_clear()
    boss, author = person(Role.superintendent), person(Role.staff)
    account = live_app.post(
        "/api/v1/accounts", json={"url": "https://x.com/RiverbendTech"}, headers=author.headers
    ).json()
    secret = {"access_token": "tok-SECRET-123", "access_token_secret": "sec-SECRET-456"}
    path = f"/api/v1/accounts/{account['id']}/credentials"
    assert live_app.put(path, json=secret, headers=boss.headers).status_code == 409  # requested
    live_app.post(f"/api/v1/accounts/{account['id']}/authorize", headers=boss.headers)
    assert live_app.put(path, json=secret, headers=author.headers).status_code == 403
    connected = live_app.put(path, json=secret, headers=boss.headers)
    assert connected.json()["connected"] is True
    assert "SECRET" not in connected.text
    assert "SECRET" not in live_app.get(path, headers=boss.headers).text
    with get_engine().connect() as connection:
        stored = connection.exec_driver_sql("SELECT ciphertext FROM account_credential").scalar()
    assert "SECRET" not in str(stored)

    monkeypatch.setenv("IMPRIMATUR_CREDENTIAL_KEYS", f"{new_key},{old_key}")
    get_settings.cache_clear()
    with session_scope() as session:
        assert credentials.rotate_all(session) == 1
    monkeypatch.setenv("IMPRIMATUR_CREDENTIAL_KEYS", new_key)
    get_settings.cache_clear()
    with session_scope() as session:
        restored = credentials.credentials_for(session, account["id"])
    assert restored is not None and restored.access_token == "tok-SECRET-123"
    assert "SECRET" not in repr(restored)


def test_tokens_never_reach_the_logs(
    live_app: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    platform: SimulatedConnector,
    deferred: list[Job],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from cryptography.fernet import Fernet

    from service.settings import get_settings

    monkeypatch.setenv("IMPRIMATUR_CREDENTIAL_KEYS", Fernet.generate_key().decode())
    get_settings.cache_clear()
    caplog.set_level("DEBUG")
    boss, author, designee, account = newsroom(live_app)
    secret = "tok-NEVER-LOGGED-8c1f"
    live_app.put(
        f"/api/v1/accounts/{account['id']}/credentials",
        json={"access_token": secret, "access_token_secret": secret},
        headers=boss.headers,
    )
    post = live_app.post(
        "/api/v1/posts",
        json={"account_ids": [account["id"]], "text": "Graduation is on June 5."},
        headers=author.headers,
    ).json()
    live_app.post(f"/api/v1/posts/{post['id']}/submit", headers=author.headers)
    live_app.post(f"/api/v1/posts/{post['id']}/approve", headers=designee.headers)
    platform.fail_next(connectors.PlatformError("x", "upstream exploded", retryable=True))
    monkeypatch.setattr(platform, "find_published", lambda *_: 1 / 0)  # an unexpected crash
    publishing.publish_post(post["id"])
    clock.freeze(clock.now() + timedelta(hours=2))
    publishing.publish_post(post["id"])

    output = capfd.readouterr()
    logged = caplog.text + output.out + output.err
    assert "publish_failed" in logged  # the crash was logged...
    assert secret not in logged  # ...without the token


def test_a_rate_limit_while_reconciling_keeps_the_outcome_uncertain(
    live_app: TestClient,
    approved_post: int,
    platform: SimulatedConnector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    platform.fail_next(
        connectors.PlatformError("x", "read timed out", retryable=True), after_publishing=True
    )
    publishing.publish_post(approved_post)  # went out, but we could not tell
    reconcile = platform.find_published
    limited_once: list[bool] = []

    def limited_then_real(*args: object) -> object:
        if not limited_once:
            limited_once.append(True)
            raise connectors.RateLimited("x", "429", clock.now() + timedelta(minutes=15))
        return reconcile(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(platform, "find_published", limited_then_real)
    clock.freeze(clock.now() + timedelta(hours=2))
    publishing.publish_due()  # the reconciliation itself is rate limited
    clock.freeze(clock.now() + timedelta(hours=1))
    publishing.publish_due()
    assert len(platform.published) == 1
    assert post_state(live_app, approved_post)["status"] == "published"


def test_a_failed_deletion_is_retried_by_the_schedule(
    live_app: TestClient, approved_post: int, platform: SimulatedConnector, deferred: list[Job]
) -> None:
    publishing.publish_post(approved_post)
    deferred.clear()
    live_app.post(
        f"/api/v1/posts/{approved_post}/remove",
        json={"comment": "Wrong date."},
        headers={"Authorization": f"Bearer {person_token('designee')}"},
    )
    platform.fail_next(connectors.PlatformError("x", "server error", retryable=True))
    for job in deferred:
        job()
    assert post_state(live_app, approved_post)["publications"][0]["status"] == "deleting"
    publishing.publish_due()
    assert post_state(live_app, approved_post)["publications"][0]["status"] == "deleted"
    assert published_events(platform) == []


def test_an_unreachable_broker_does_not_fail_a_committed_change(
    approved_post: int, monkeypatch: pytest.MonkeyPatch, committed_database: str
) -> None:
    from service.app import create_app
    from service.settings import get_settings

    monkeypatch.setenv("IMPRIMATUR_JOBS_BACKEND", "celery")
    monkeypatch.setenv("IMPRIMATUR_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(db, "run_deferred", jobs.run_deferred)  # the real one, not the collector
    get_settings.cache_clear()
    author = {"Authorization": f"Bearer {person_token('staff')}"}
    designee = {"Authorization": f"Bearer {person_token('designee')}"}
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        account_id = client.get(f"/api/v1/posts/{approved_post}", headers=author).json()[
            "account_ids"
        ]
        post = client.post(
            "/api/v1/posts", json={"account_ids": account_id, "text": "Snow day."}, headers=author
        ).json()
        client.post(f"/api/v1/posts/{post['id']}/submit", headers=author)
        approved = client.post(f"/api/v1/posts/{post['id']}/approve", headers=designee)
    assert approved.status_code == 200, approved.text  # the publish job could not be queued...
    assert approved.json()["status"] == "approved"  # ...but the approval stands


def audit_actions(post_id: int) -> list[str]:
    from service.audit.models import AuditEntry

    with session_scope() as session:
        entries = session.exec(
            select(AuditEntry)
            .where(AuditEntry.subject_type == "post", AuditEntry.subject_id == str(post_id))
            .order_by(AuditEntry.id)  # type: ignore[arg-type]
        ).all()
        return [e.action for e in entries]


def test_every_publishing_outcome_is_audited(
    live_app: TestClient, approved_post: int, platform: SimulatedConnector, deferred: list[Job]
) -> None:
    platform.fail_next(connectors.RateLimited("x", "429", clock.now() + timedelta(minutes=1)))
    publishing.publish_post(approved_post)
    clock.freeze(clock.now() + timedelta(minutes=2))
    publishing.publish_post(approved_post)
    deferred.clear()
    live_app.post(
        f"/api/v1/posts/{approved_post}/remove",
        json={"comment": "Outdated."},
        headers={"Authorization": f"Bearer {person_token('designee')}"},
    )
    for job in deferred:
        job()
    actions = audit_actions(approved_post)
    tail = actions[actions.index("post.approve") + 1 :]
    assert tail == [
        "post.publish_retry",
        "post.publish_published",
        "post.published",
        "post.removed",
        "post.delete_done",
    ]


def test_a_scheduled_post_waits_for_its_time(
    live_app: TestClient, platform: SimulatedConnector, deferred: list[Job]
) -> None:
    _boss, author, designee, account = newsroom(live_app)
    at = clock.now() + timedelta(hours=3)
    post = live_app.post(
        "/api/v1/posts",
        json={
            "account_ids": [account["id"]],
            "text": "Registration opens.",
            "publish_at": at.isoformat(),
        },
        headers=author.headers,
    ).json()
    live_app.post(f"/api/v1/posts/{post['id']}/submit", headers=author.headers)
    scheduled = live_app.post(f"/api/v1/posts/{post['id']}/approve", headers=designee.headers)
    assert scheduled.json()["status"] == "scheduled"
    publishing.publish_due()
    assert published_events(platform) == []
    clock.freeze(at + timedelta(seconds=1))
    publishing.publish_due()
    publishing.publish_due()
    assert len(published_events(platform)) == 1
    assert post_state(live_app, post["id"])["status"] == "published"
