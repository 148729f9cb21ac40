"""Reviewers acting at the same moment: optimistic concurrency lets exactly one of them win.

PostgreSQL only. SQLite serialises writers (BEGIN IMMEDIATE), so two requests never overlap
in the database there and there is no race to test. The requests are real: each thread has
its own client and its own committed transaction on a fresh database, and a barrier holds
every request just before its compare-and-set on the post's version so that they truly
overlap.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from service.audit.service import verify_chain
from service.db import get_engine, session_scope
from service.posts import review
from service.posts.models import PostDecision
from tests.conftest import Person, hold_together, post_as
from tests.posts.conftest import LiveNewsroom, build_live_newsroom, draft_post

pytestmark = pytest.mark.parametrize("committed_database", ["postgresql"], indirect=True)

APPROVERS = 50  # the scale: each in its own request, connection and transaction


def hold_at_the_version_check(monkeypatch: pytest.MonkeyPatch, parties: int) -> None:
    """Every request waits for the others right before `move` (the compare-and-set).
    review.py imported `move` by name: its own reference is the one the routes call."""
    hold_together(monkeypatch, review, "move", parties)


def submitted(live_app: TestClient, newsroom: LiveNewsroom) -> dict[str, Any]:
    """A post in review, to be published in a month: approving it schedules it, so no
    publishing job starts in the background while the test inspects the database."""
    publish_at = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    post = draft_post(
        live_app,
        newsroom.author,
        newsroom.account_id,
        "Enrollment opens Monday.",
        publish_at=publish_at,
    )
    response = live_app.post(f"/api/v1/posts/{post['id']}/submit", headers=newsroom.author.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def audit_actions(live_app: TestClient, newsroom: LiveNewsroom, post_id: int) -> list[str]:
    entries = live_app.get(
        "/api/v1/audit",
        params={"subject_type": "post", "subject_id": str(post_id)},
        headers=newsroom.superintendent.headers,
    ).json()
    return [e["action"] for e in reversed(entries)]


def assert_conflict(response: Any) -> None:
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "conflict"
    assert "same time" in response.json()["error"]["message"]


def test_of_fifty_approvers_acting_at_once_exactly_one_succeeds(
    live_app: TestClient,
    make_live_person: Callable[..., Person],
    database_connections: Callable[[int], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    newsroom = build_live_newsroom(live_app, make_live_person, designees=APPROVERS)
    post = submitted(live_app, newsroom)
    url = f"/api/v1/posts/{post['id']}/approve"
    database_connections(APPROVERS)
    hold_at_the_version_check(monkeypatch, APPROVERS)

    with ThreadPoolExecutor(APPROVERS) as pool:
        responses = list(
            pool.map(
                lambda designee: post_as(
                    live_app, designee, url, {"revision_id": post["revision_id"]}
                ),
                newsroom.designees,
            )
        )

    assert sorted(r.status_code for r in responses) == [200] + [409] * (APPROVERS - 1)
    (won,) = [r for r in responses if r.status_code == 200]
    for lost in (r for r in responses if r.status_code != 200):
        assert_conflict(lost)
    winner = newsroom.designees[responses.index(won)]
    assert (won.json()["status"], won.json()["version"]) == ("scheduled", post["version"] + 1)

    now = live_app.get(f"/api/v1/posts/{post['id']}", headers=newsroom.author.headers).json()
    assert (now["status"], now["version"]) == ("scheduled", post["version"] + 1)
    assert [(d["reviewer"], d["decision"]) for d in now["decisions"]] == [(winner.email, "approve")]
    with session_scope() as session:
        decisions = session.exec(
            select(PostDecision).where(col(PostDecision.post_id) == post["id"])
        ).all()
        assert [(d.reviewer_id, d.decision) for d in decisions] == [(winner.user.id, "approve")]
    assert audit_actions(live_app, newsroom, post["id"]) == [
        "post.created",
        "post.submitted",
        "post.approve",
    ]
    report = verify_chain(get_engine())
    assert report.intact, report


def test_a_withdrawal_and_an_approval_at_once_cannot_both_happen(
    live_app: TestClient,
    make_live_person: Callable[..., Person],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    newsroom = build_live_newsroom(live_app, make_live_person, designees=1)
    post = submitted(live_app, newsroom)
    hold_at_the_version_check(monkeypatch, 2)

    with ThreadPoolExecutor(2) as pool:
        approval = pool.submit(
            post_as,
            live_app,
            newsroom.designees[0],
            f"/api/v1/posts/{post['id']}/approve",
            {"revision_id": post["revision_id"]},
        )
        withdrawal = pool.submit(
            post_as, live_app, newsroom.author, f"/api/v1/posts/{post['id']}/withdraw", {}
        )
        responses = {"approve": approval.result(), "withdrawn": withdrawal.result()}

    statuses = sorted(r.status_code for r in responses.values())
    assert statuses == [200, 409]
    (winner,) = [action for action, r in responses.items() if r.status_code == 200]
    (loser,) = [r for r in responses.values() if r.status_code == 409]
    assert_conflict(loser)
    now = live_app.get(f"/api/v1/posts/{post['id']}", headers=newsroom.author.headers).json()
    assert now["status"] == {"approve": "scheduled", "withdrawn": "withdrawn"}[winner]
    assert now["version"] == post["version"] + 1
    assert len(now["decisions"]) == (1 if winner == "approve" else 0)
    assert audit_actions(live_app, newsroom, post["id"])[-1] == f"post.{winner}"
    assert verify_chain(get_engine()).intact
