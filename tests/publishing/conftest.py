"""A committed database, a simulated platform, and an approved post ready to publish."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import connectors
from connectors.simulated import SimulatedConnector
from service.auth import service as auth
from service.db import session_scope
from service.jobs import Job
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
