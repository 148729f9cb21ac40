"""`latest_activity` on every connector: the real tweepy and facebook-sdk clients with HTTP
intercepted by `responses` (payloads shaped like the X API v2 and Graph API documentation),
and the simulated platform."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import responses

from connectors.base import (
    AuthError,
    Credentials,
    NotFound,
    PermissionMissing,
    PlatformError,
    PublishRequest,
    RateLimited,
)
from connectors.facebook import PAGE_POSTS, FacebookConnector
from connectors.instagram import InstagramConnector
from connectors.simulated import SimulatedConnector
from connectors.x import XConnector
from connectors.x_translate import TWITTER_EPOCH_MS
from service import clock
from service.ratelimit import BudgetedConnector, Limit, MemoryBudget
from tests.connectors.conftest import graph_error
from tests.connectors.test_meta import GRAPH, REGAIN, V, fb, graph, ig, params
from tests.connectors.test_x import NOW, http, query, x

__all__ = ["fb", "graph", "http", "ig", "x"]  # fixtures shared with the other connector tests

X_USER = "https://api.twitter.com/2/users/2244994945"
X_BY_USERNAME = "https://api.twitter.com/2/users/by/username/mntc_news"
POSTED = datetime(2026, 10, 2, 16, 30, tzinfo=UTC)


def x_user(**fields: Any) -> dict[str, Any]:
    return {"id": "2244994945", "name": "Moore Norman News", "username": "mntc_news", **fields}


def snowflake(at: datetime) -> str:
    return str((int(at.timestamp() * 1000) - TWITTER_EPOCH_MS) << 22)


TWEET_ID = snowflake(POSTED)


# --- X --------------------------------------------------------------------------------------


def test_x_reads_the_most_recent_post_in_one_user_lookup_by_id(
    x: XConnector, http: responses.RequestsMock
) -> None:
    body = {
        "data": x_user(most_recent_tweet_id=TWEET_ID),
        "includes": {
            "tweets": [
                {
                    "id": TWEET_ID,
                    "text": "Enrollment for spring opens Monday.",
                    "created_at": "2026-10-02T16:30:00.000Z",
                    "edit_history_tweet_ids": [TWEET_ID],
                }
            ]
        },
    }
    http.add(responses.GET, X_USER, json=body)

    assert x.latest_activity("mntc_news", "2244994945") == POSTED

    sent = query(http.calls[0])
    assert sent["user.fields"] == ["most_recent_tweet_id"]
    assert sent["expansions"] == ["most_recent_tweet_id"]
    assert sent["tweet.fields"] == ["created_at"]
    assert http.calls[0].request.headers["Authorization"] == "Bearer app-bearer"
    assert x.api_calls == 1


def test_x_looks_up_by_username_without_an_id_and_an_account_that_never_posted_is_none(
    x: XConnector, http: responses.RequestsMock
) -> None:
    http.add(responses.GET, X_BY_USERNAME, json={"data": x_user()})

    assert x.latest_activity("@mntc_news") is None


def test_x_without_the_expanded_post_reads_the_time_from_its_id(
    x: XConnector, http: responses.RequestsMock
) -> None:
    http.add(responses.GET, X_USER, json={"data": x_user(most_recent_tweet_id=TWEET_ID)})

    assert x.latest_activity("mntc_news", "2244994945") == POSTED


def test_x_an_unknown_user_is_not_found(x: XConnector, http: responses.RequestsMock) -> None:
    error = {
        "value": "mntc_news",
        "detail": "Could not find user with username: [mntc_news].",
        "title": "Not Found Error",
        "resource_type": "user",
        "parameter": "username",
        "resource_id": "mntc_news",
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }
    http.add(responses.GET, X_BY_USERNAME, json={"errors": [error]})

    with pytest.raises(NotFound, match="Could not find user"):
        x.latest_activity("mntc_news")


def test_x_a_429_raises_rate_limited_until_the_reset(
    x: XConnector, http: responses.RequestsMock
) -> None:
    reset = NOW + timedelta(minutes=11)
    headers = {
        "x-rate-limit-limit": "300",
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": str(int(reset.timestamp())),
    }
    too_many = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank"}
    http.add(responses.GET, X_USER, status=429, json=too_many, headers=headers)

    with pytest.raises(RateLimited) as limited:
        x.latest_activity("mntc_news", "2244994945")
    assert limited.value.retry_at == reset

    with pytest.raises(RateLimited):  # before the reset: refused without a request
        x.latest_activity("mntc_news", "2244994945")
    assert x.api_calls == 1


def test_x_an_expired_token_is_an_auth_error(x: XConnector, http: responses.RequestsMock) -> None:
    unauthorized = {"title": "Unauthorized", "type": "about:blank", "status": 401}
    http.add(responses.GET, X_USER, status=401, json={**unauthorized, "detail": "Unauthorized"})

    with pytest.raises(AuthError):
        x.latest_activity("mntc_news", "2244994945")


# --- Facebook -------------------------------------------------------------------------------


def test_facebook_reads_the_pages_newest_post(
    fb: FacebookConnector, http: responses.RequestsMock
) -> None:
    body = {
        "data": [{"created_time": "2026-10-02T16:30:00+0000", "id": "104838712345_5501"}],
        "paging": {
            "cursors": {"before": "QVFIUjRt", "after": "QVFIUkxr"},
            "next": f"{GRAPH}/{V}/104838712345/posts?limit=1&after=QVFIUkxr",
        },
    }
    http.add(responses.GET, f"{GRAPH}/{V}/104838712345/posts", json=body)

    assert fb.latest_activity("mntc.edu", "104838712345") == POSTED

    sent = params(http.calls[0])
    assert sent["fields"] == ["created_time"] and sent["limit"] == ["1"]
    assert sent["access_token"] == ["app-id|app-secret"] and "appsecret_proof" in sent
    assert fb.api_calls == 1


def test_facebook_by_handle_and_a_page_without_posts(
    fb: FacebookConnector, http: responses.RequestsMock
) -> None:
    http.add(responses.GET, f"{GRAPH}/{V}/mntc.edu/posts", json={"data": []})

    assert fb.latest_activity("mntc.edu") is None


def test_facebook_without_page_public_content_access_is_permission_missing(
    fb: FacebookConnector, http: responses.RequestsMock
) -> None:
    refused = graph_error(
        10,
        "(#10) This endpoint requires the 'pages_read_engagement' permission or the "
        "'Page Public Content Access' feature.",
    )
    http.add(responses.GET, f"{GRAPH}/{V}/104838712345/posts", status=403, json=refused)

    with pytest.raises(PermissionMissing):
        fb.latest_activity("mntc.edu", "104838712345")
    assert fb.denied_features == {PAGE_POSTS}


def test_facebook_throttled_waits_as_long_as_meta_says(
    fb: FacebookConnector, http: responses.RequestsMock
) -> None:
    throttled = graph_error(32, "(#32) Page request limit reached")
    http.add(
        responses.GET,
        f"{GRAPH}/{V}/104838712345/posts",
        status=400,
        json=throttled,
        headers={"X-Business-Use-Case-Usage": REGAIN},
    )

    with pytest.raises(RateLimited) as limited:
        fb.latest_activity("mntc.edu", "104838712345")
    assert limited.value.retry_at == NOW + timedelta(minutes=7)


# --- Instagram ------------------------------------------------------------------------------

IG_NODE = f"{GRAPH}/{V}/17841405309211844"


def test_instagram_reads_the_newest_media_through_business_discovery(
    ig: InstagramConnector, http: responses.RequestsMock
) -> None:
    body = {
        "business_discovery": {
            "media": {
                "data": [{"timestamp": "2026-10-02T16:30:00+0000", "id": "17895695668004550"}],
                "paging": {"cursors": {"after": "QVFIUmx1"}},
            },
            "id": "17841401441775531",
        },
        "id": "17841405309211844",
    }
    http.add(responses.GET, IG_NODE, json=body)

    assert ig.latest_activity("mntc.edu", "17841401441775531") == POSTED

    assert params(http.calls[0])["fields"] == [
        "business_discovery.username(mntc.edu){media.limit(1){timestamp}}"
    ]
    assert params(http.calls[0])["access_token"] == ["system-user-token"]


def test_instagram_without_media_is_none_and_a_personal_account_is_not_found(
    ig: InstagramConnector, http: responses.RequestsMock
) -> None:
    empty = {"business_discovery": {"id": "17841401441775531"}, "id": "17841405309211844"}
    missing = graph_error(
        110,
        "Invalid user id",
        2207013,
        is_transient=False,
        error_user_title="Cannot find User",
        error_user_msg="The user with username: nobody_here cannot be found.",
    )
    http.add(responses.GET, IG_NODE, json=empty)
    http.add(responses.GET, IG_NODE, status=400, json=missing)

    assert ig.latest_activity("quiet.one") is None
    with pytest.raises(NotFound):
        ig.latest_activity("nobody_here")


def test_instagram_rate_limit_and_server_error(
    ig: InstagramConnector, http: responses.RequestsMock
) -> None:
    usage = json.dumps(
        {
            "17841405309211844": [
                {
                    "type": "instagram",
                    "call_count": 100,
                    "total_cputime": 30,
                    "total_time": 40,
                    "estimated_time_to_regain_access": 15,
                }
            ]
        }
    )
    throttled = graph_error(80002, "There have been too many calls to this Instagram account.")
    http.add(
        responses.GET,
        IG_NODE,
        status=400,
        json=throttled,
        headers={"X-Business-Use-Case-Usage": usage},
    )
    unexpected = graph_error(2, "An unexpected error has occurred.", is_transient=True)
    http.add(responses.GET, IG_NODE, status=500, json=unexpected)

    with pytest.raises(RateLimited) as limited:
        ig.latest_activity("mntc.edu")
    assert limited.value.retry_at == NOW + timedelta(minutes=15)
    with pytest.raises(PlatformError) as failed:
        ig.latest_activity("mntc.edu")
    assert failed.value.retryable


# --- the simulated platform and the shared budget ------------------------------------------


@pytest.fixture
def sim(tmp_path: Path) -> SimulatedConnector:
    records = [
        {"id": "x:1", "platform": "x", "handle": "Quiet", "latest_post_at": "2026-03-01T08:00:00Z"},
        {"id": "x:2", "platform": "x", "handle": "NeverPosted"},
    ]
    path = tmp_path / "profiles.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    return SimulatedConnector(profiles_path=path, platform=None)


def test_simulated_profiles_carry_a_latest_post_and_publishing_is_activity(
    sim: SimulatedConnector,
) -> None:
    assert sim.latest_activity("quiet") == datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert sim.latest_activity("someone", platform_id="2") is None
    with pytest.raises(NotFound):
        sim.latest_activity("nobody")

    clock.freeze(NOW)
    post = PublishRequest(post_id=1, target_id=1, text="Hi", idempotency_key="k", handle="Quiet")
    published = sim.publish(post, Credentials("token"))
    assert sim.latest_activity("@QUIET") == NOW

    sim.delete(published.platform_post_id, Credentials("token"))  # deleted: not shown anymore
    assert sim.latest_activity("quiet") == datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert sim.api_calls == 7


def test_latest_activity_spends_the_shared_budget(sim: SimulatedConnector) -> None:
    clock.freeze(NOW)
    budgeted = BudgetedConnector(sim, MemoryBudget(), "simulated:app", Limit(1, 3600))

    assert budgeted.latest_activity("quiet") is not None
    with pytest.raises(RateLimited):
        budgeted.latest_activity("quiet")
    assert sim.api_calls == 1
