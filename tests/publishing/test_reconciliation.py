"""A publish whose answer never came, through the real tweepy client: found, not repeated.

X takes the post, then the connection times out before its answer arrives. The target is left
uncertain; the next attempt asks X for the account's recent posts (`GET /2/users/me`, then
`GET /2/users/:id/tweets` from the first attempt on) and records the post it finds there
instead of posting it a second time.
"""

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from fastapi.testclient import TestClient

from service import clock
from service.audit.service import verify_chain
from service.db import get_engine
from service.publishing import service as publishing
from tests.publishing.conftest import post_state

X_API = "https://api.twitter.com/2"
USER_ID = "2244994945"


class X:
    """The account's timeline on X: a created post stays there even if its answer is lost."""

    def __init__(self, http: responses.RequestsMock) -> None:
        self.timeline: list[dict[str, Any]] = []
        http.add_callback(responses.POST, f"{X_API}/tweets", callback=self._create_then_time_out)
        me = {"data": {"id": USER_ID, "name": "Riverbend Tech", "username": "RiverbendTech"}}
        http.add(responses.GET, f"{X_API}/users/me", json=me)
        http.add_callback(responses.GET, f"{X_API}/users/{USER_ID}/tweets", callback=self._posts)
        self._http = http

    @property
    def created(self) -> int:
        """POST /2/tweets calls that reached X."""
        return sum(call.request.method == "POST" for call in self._http.calls)

    def _create_then_time_out(self, request: requests.PreparedRequest) -> Any:
        body = json.loads(request.body or "{}")
        tweet_id = str(1860000000000000000 + len(self.timeline))
        self.timeline.append(
            {
                "id": tweet_id,
                "text": body["text"],
                "created_at": clock.now().isoformat().replace("+00:00", "Z"),
                "edit_history_tweet_ids": [tweet_id],
            }
        )
        raise requests.ReadTimeout("read timed out")  # after X took it

    def _posts(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = parse_qs(urlsplit(str(request.url)).query)
        since = datetime.fromisoformat(query["start_time"][0])
        posts = [t for t in self.timeline if datetime.fromisoformat(t["created_at"]) >= since]
        body: dict[str, Any] = {"meta": {"result_count": len(posts)}}
        if posts:
            body["data"] = list(reversed(posts))  # newest first, as X lists them
        return 200, {"content-type": "application/json"}, json.dumps(body)


@pytest.fixture
def x() -> Iterator[X]:
    with responses.RequestsMock() as http:
        yield X(http)


@pytest.mark.usefixtures("x_account")
def test_a_post_x_took_before_timing_out_is_found_not_posted_again(
    live_app: TestClient, approved_post: int, x: X
) -> None:
    publishing.publish_post(approved_post)
    (target,) = post_state(live_app, approved_post)["publications"]
    assert target["status"] == "retry" and x.created == 1  # it went out; we do not know

    clock.freeze(clock.now() + timedelta(hours=2))
    publishing.publish_due()

    assert x.created == 1 and len(x.timeline) == 1  # found, not posted again
    state = post_state(live_app, approved_post)
    assert state["status"] == "published"
    assert state["publications"][0]["url"].endswith(f"/status/{x.timeline[0]['id']}")
    assert verify_chain(get_engine()).intact
