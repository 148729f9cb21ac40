"""Twenty workers publishing one post at once: one call to the platform, one publication.

PostgreSQL only (SQLite serialises writers, so there is no race to test). The platform is X
through the real tweepy client, its HTTP intercepted by `responses`: the calls counted are the
requests that would have left the machine. A barrier holds every worker just before its claim
(the compare-and-set that moves the target to `sending`), so that the claims truly overlap,
and again before the last step, so that all twenty find the target published at once and
each would mark the post published but for the lock the first one takes on it.
"""

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import responses
from fastapi.testclient import TestClient
from sqlmodel import col, select

from service.audit.models import AuditEntry
from service.audit.service import verify_chain
from service.db import get_engine, session_scope
from service.publishing import service as publishing
from service.publishing.models import PublishTarget
from tests.conftest import hold_together
from tests.publishing.conftest import post_state

pytestmark = pytest.mark.parametrize("committed_database", ["postgresql"], indirect=True)

WORKERS = 20
TWEETS = "https://api.twitter.com/2/tweets"
TWEET_ID = "1850000000000000001"


@pytest.fixture
def x_api() -> Iterator[responses.RequestsMock]:
    """X's create-tweet endpoint, answering as documented (201, the new tweet's id)."""
    with responses.RequestsMock() as http:
        http.add(
            responses.POST,
            TWEETS,
            status=201,
            json={
                "data": {
                    "id": TWEET_ID,
                    "text": "Open house on Saturday at 10.",
                    "edit_history_tweet_ids": [TWEET_ID],
                }
            },
        )
        yield http


def audited(post_id: int) -> list[str]:
    with session_scope() as session:
        return list(
            session.exec(
                select(AuditEntry.action)
                .where(AuditEntry.subject_type == "post", AuditEntry.subject_id == str(post_id))
                .order_by(col(AuditEntry.id))
            ).all()
        )


@pytest.mark.usefixtures("x_account")
def test_twenty_workers_at_once_make_one_call_to_x(
    live_app: TestClient,
    approved_post: int,
    x_api: responses.RequestsMock,
    database_connections: Callable[[int], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database_connections(WORKERS)
    # At the compare-and-set on the target, and where the post is marked published (its lock).
    hold_together(monkeypatch, publishing, "_claim", WORKERS)
    hold_together(monkeypatch, publishing, "_finish", WORKERS)

    with ThreadPoolExecutor(WORKERS) as pool:
        runs = [pool.submit(publishing.publish_post, approved_post) for _ in range(WORKERS)]
        for run in runs:
            run.result()  # a worker's exception fails the test here

    assert len(x_api.calls) == 1
    assert "OAuth" in x_api.calls[0].request.headers["Authorization"]
    state = post_state(live_app, approved_post)
    assert state["status"] == "published"
    (publication,) = state["publications"]
    assert publication["status"] == "published"
    assert publication["url"].endswith(f"/status/{TWEET_ID}")
    with session_scope() as session:
        (target,) = session.exec(
            select(PublishTarget).where(PublishTarget.post_id == approved_post)
        ).all()
        assert (target.attempts, target.platform_post_id) == (1, TWEET_ID)
    actions = audited(approved_post)
    assert actions.count("post.publish_published") == 1
    assert actions.count("post.published") == 1
    assert actions[-2:] == ["post.publish_published", "post.published"]
    assert verify_chain(get_engine()).intact
