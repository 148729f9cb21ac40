"""A committed database, a simulated platform (or X through tweepy), and an approved post ready
to publish."""

from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

import connectors
from connectors.simulated import SimulatedConnector
from connectors.x import XConnector
from service.auth import service as auth
from service.db import session_scope
from service.jobs import Job
from service.settings import get_settings
from service.users import service as users
from service.users.models import Role
from tests.conftest import Person


@pytest.fixture
def platform(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, committed_database: str
) -> SimulatedConnector:
    """One simulated platform behind every connector the publisher asks for."""
    simulated = SimulatedConnector(published_path=tmp_path / "published.jsonl")
    monkeypatch.setattr(connectors, "get", lambda name, settings=None: simulated)
    return simulated


def person(role: Role) -> Person:
    with session_scope() as session:
        user = users.add_user(session, actor="test", email=f"{role}@school.example", role=role)
        token = auth.issue_token(session, user, actor="test", expires_days=None).token
    return Person(user, token)


def newsroom(live_app: TestClient) -> tuple[Person, Person, Person, dict[str, Any]]:
    """The superintendent, a staff author stewarding an authorized X account, a designee."""
    boss, author, designee = person(Role.superintendent), person(Role.staff), person(Role.designee)
    account: dict[str, Any] = live_app.post(
        "/api/v1/accounts", json={"url": "https://x.com/RiverbendTech"}, headers=author.headers
    ).json()
    live_app.post(f"/api/v1/accounts/{account['id']}/authorize", headers=boss.headers)
    return boss, author, designee, account


@pytest.fixture
def approved_post(live_app: TestClient, platform: SimulatedConnector, deferred: list[Job]) -> int:
    _boss, author, designee, account = newsroom(live_app)
    post = live_app.post(
        "/api/v1/posts",
        json={"account_ids": [account["id"]], "text": "Open house on Saturday at 10."},
        headers=author.headers,
    ).json()
    live_app.post(f"/api/v1/posts/{post['id']}/submit", headers=author.headers)
    approved = live_app.post(f"/api/v1/posts/{post['id']}/approve", headers=designee.headers)
    assert approved.json()["status"] == "approved", approved.text
    post_id: int = post["id"]
    return post_id


def published_events(platform: SimulatedConnector) -> list[dict[str, object]]:
    return [p for p in platform.published if not p.get("deleted")]


def post_state(live_app: TestClient, post_id: int) -> dict:
    boss_token = person_token("superintendent")
    response: dict = live_app.get(
        f"/api/v1/posts/{post_id}", headers={"Authorization": f"Bearer {boss_token}"}
    ).json()
    return response


def person_token(role: str) -> str:
    with session_scope() as session:
        user = users.get_by_email(session, f"{role}@school.example")
        return auth.issue_token(session, user, actor="test", expires_days=None).token


@pytest.fixture
def x_account(live_app: TestClient, approved_post: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The post's account connected to X with a user token; every connector is the real one."""
    monkeypatch.setenv("IMPRIMATUR_CREDENTIAL_KEYS", Fernet.generate_key().decode())
    get_settings.cache_clear()
    account_id = post_state(live_app, approved_post)["account_ids"][0]
    connected = live_app.put(
        f"/api/v1/accounts/{account_id}/credentials",
        json={"access_token": "user-token", "access_token_secret": "user-secret"},
        headers={"Authorization": f"Bearer {person_token('superintendent')}"},
    )
    assert connected.status_code == 200, connected.text
    monkeypatch.setattr(
        connectors,
        "get",
        lambda name, settings=None: XConnector(
            bearer_token=None, consumer_key="app-key", consumer_secret="app-secret"
        ),
    )
