"""The approvals job: a post waiting too long escalates once; an unused approval lapses."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select
from typer.testing import CliRunner

from service import clock, jobs
from service.audit.models import AuditEntry
from service.cli import app as cli
from service.db import session_scope
from service.notifications.models import OutgoingMail
from service.posts.expiry import check_approvals
from service.posts.models import Post
from tests.conftest import Person
from tests.posts.conftest import LiveNewsroom, build_live_newsroom, draft_post

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def released_clock() -> Iterator[None]:
    yield
    clock.freeze(None)


@pytest.fixture
def newsroom(
    live_app: TestClient, make_live_person: Callable[..., Person], deferred: list[jobs.Job]
) -> LiveNewsroom:
    """Deferred jobs are collected, not run: nothing gets published behind the test's back."""
    clock.freeze(T0)
    return build_live_newsroom(live_app, make_live_person, designees=2)


def submit(client: TestClient, room: LiveNewsroom, **fields: Any) -> int:
    post = draft_post(client, room.author, room.account_id, "Science fair Friday.", **fields)
    response = client.post(f"/api/v1/posts/{post['id']}/submit", headers=room.author.headers)
    assert response.status_code == 200, response.text
    post_id: int = post["id"]
    return post_id


def mails() -> list[tuple[str, str, str]]:
    with session_scope() as session:
        rows = session.exec(select(OutgoingMail).order_by(col(OutgoingMail.id))).all()
        return [(m.to_address, m.subject, m.body) for m in rows]


def audit(post_id: int) -> list[AuditEntry]:
    with session_scope() as session:
        query = select(AuditEntry).where(
            AuditEntry.subject_type == "post", AuditEntry.subject_id == str(post_id)
        )
        return list(session.exec(query.order_by(col(AuditEntry.id))).all())


def stored(post_id: int) -> Post:
    with session_scope() as session:
        post = session.get(Post, post_id)
        assert post is not None
        return post


def test_a_post_waiting_too_long_escalates_once(
    live_app: TestClient, newsroom: LiveNewsroom
) -> None:
    post_id = submit(live_app, newsroom)
    clock.freeze(T0 + timedelta(hours=71))
    later_id = submit(live_app, newsroom)  # submitted later: not yet waiting too long
    before = len(mails())
    assert check_approvals() == 0

    clock.freeze(T0 + timedelta(hours=72, minutes=1))
    assert check_approvals() == 1
    assert stored(post_id).escalated_at == T0 + timedelta(hours=72, minutes=1)
    assert stored(later_id).escalated_at is None
    digests = mails()[before:]
    expected = {newsroom.superintendent.email, *(d.email for d in newsroom.designees)}
    assert {to for to, _, _ in digests} == expected
    assert len(digests) == len(expected)  # one digest each
    assert all(subject == "1 post(s) waiting too long for review" for _, subject, _ in digests)
    assert f"Post #{post_id} (revision 1)" in digests[0][2]
    (entry,) = [e for e in audit(post_id) if e.action == "post.escalated"]
    assert entry.actor == "system:approvals"

    assert check_approvals() == 0  # escalated once, however often the job runs
    assert len(mails()) == before + len(expected)


def test_an_unused_scheduled_approval_lapses_back_to_review(
    live_app: TestClient, newsroom: LiveNewsroom
) -> None:
    publish_at = T0 + timedelta(days=2)
    post_id = submit(live_app, newsroom, publish_at=publish_at.isoformat())
    approver = newsroom.designees[0]
    approved = live_app.post(f"/api/v1/posts/{post_id}/approve", headers=approver.headers)
    assert approved.json()["status"] == "scheduled"
    assert stored(post_id).approval_expires_at == publish_at + timedelta(days=7)

    clock.freeze(publish_at + timedelta(days=7) - timedelta(minutes=1))
    assert check_approvals() == 0
    assert stored(post_id).status == "scheduled"

    clock.freeze(publish_at + timedelta(days=7))
    before = len(mails())
    assert check_approvals() == 1
    post = live_app.get(f"/api/v1/posts/{post_id}", headers=approver.headers).json()
    assert (post["status"], post["revision"], post["needs"]) == ("submitted", 2, ["designee"])
    assert stored(post_id).approval_expires_at is None
    told = mails()[before:]
    assert {to for to, _, _ in told} == {newsroom.author.email, approver.email}
    assert all("approval expired" in subject for _, subject, _ in told)
    assert all(body.rstrip().endswith(f"/review/{post_id}") for _, _, body in told)
    (entry,) = [e for e in audit(post_id) if e.action == "post.approval_expired"]
    assert entry.actor == "system:approvals"
    assert (entry.after or {})["lapsed_revision"] == 1
    assert (entry.after or {})["status"] == "submitted"
    assert check_approvals() == 0

    # The old approval no longer counts, but the approver may give a new one.
    again = live_app.post(f"/api/v1/posts/{post_id}/approve", headers=approver.headers)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "approved"


def test_an_unscheduled_approval_lasts_thirty_days(
    live_app: TestClient, newsroom: LiveNewsroom
) -> None:
    post_id = submit(live_app, newsroom)
    live_app.post(f"/api/v1/posts/{post_id}/approve", headers=newsroom.designees[1].headers)
    assert stored(post_id).status == "approved"
    assert stored(post_id).approval_expires_at == T0 + timedelta(days=30)
    clock.freeze(T0 + timedelta(days=29))
    assert check_approvals() == 0
    clock.freeze(T0 + timedelta(days=30, minutes=5))
    assert check_approvals() == 1
    assert stored(post_id).status == "submitted"


def test_the_job_runs_once_from_the_command_line(
    live_app: TestClient, newsroom: LiveNewsroom
) -> None:
    post_id = submit(live_app, newsroom)
    clock.freeze(T0 + timedelta(days=4))
    result = CliRunner().invoke(cli, ["jobs", "check-approvals"])
    assert result.exit_code == 0, result.output
    assert "Escalated or expired 1 post(s)." in result.output
    assert stored(post_id).escalated_at == T0 + timedelta(days=4)
