"""The X connector through the real tweepy client, with HTTP intercepted by `responses`.

Payloads follow the X API v2 (and v1.1 for people search and media upload) documented shapes.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from connectors.base import (
    AuthError,
    ConnectorNotConfigured,
    Credentials,
    MediaFile,
    NotFound,
    PermissionMissing,
    PlatformError,
    PublishRequest,
    RateLimited,
)
from connectors.x import USER_SEARCH, XConnector
from service import clock
from workflows.platforms import Platform

USERS_BY = "https://api.twitter.com/2/users/by"
RECENT = "https://api.twitter.com/2/tweets/search/recent"
USERS_SEARCH = "https://api.twitter.com/1.1/users/search.json"
UPLOAD = "https://upload.twitter.com/1.1/media/upload.json"
TWEETS = "https://api.twitter.com/2/tweets"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ACCOUNT = Credentials("user-token", "user-token-secret", account_platform_id="2244994945")


def v2_user(username: str, number: int = 0) -> dict[str, Any]:
    return {
        "id": str(2244994945 + number),
        "name": f"Moore Norman {username}",
        "username": username,
        "created_at": "2013-12-14T04:35:55.000Z",
        "description": "Official news from Moore Norman Technology Center",
        "location": "Norman, OK",
        "profile_image_url": "https://pbs.twimg.com/profile_images/1/abc_normal.jpg",
        "public_metrics": {
            "followers_count": 1200 + number,
            "following_count": 300,
            "tweet_count": 4000,
            "listed_count": 12,
            "like_count": 80,
        },
        "url": "https://t.co/abc123",
        "entities": {
            "url": {
                "urls": [
                    {
                        "start": 0,
                        "end": 23,
                        "url": "https://t.co/abc123",
                        "expanded_url": "https://www.mntc.edu",
                        "display_url": "mntc.edu",
                    }
                ]
            }
        },
        "verified": False,
        "verified_type": "none",
    }


def not_found(username: str) -> dict[str, str]:
    return {
        "value": username,
        "detail": f"Could not find user with usernames: [{username}].",
        "title": "Not Found Error",
        "resource_type": "user",
        "parameter": "usernames",
        "resource_id": username,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


def users_by(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    """Answers like X: known users in `data`, unknown ones (`ghost*`) in `errors`."""
    names = parse_qs(urlsplit(request.url).query)["usernames"][0].split(",")
    body: dict[str, Any] = {
        "data": [v2_user(n, i) for i, n in enumerate(names) if not n.startswith("ghost")]
    }
    missing = [not_found(n) for n in names if n.startswith("ghost")]
    if missing:
        body["errors"] = missing
    headers = {"x-rate-limit-limit": "300", "x-rate-limit-remaining": "299"}
    headers["x-rate-limit-reset"] = str(int((NOW + timedelta(minutes=15)).timestamp()))
    return 200, headers, json.dumps(body)


def rate_limited(reset: datetime) -> responses.Response:
    return responses.Response(
        responses.GET,
        USERS_BY,
        status=429,
        json={"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank"},
        headers={
            "x-rate-limit-limit": "300",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int(reset.timestamp())),
        },
    )


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def x() -> XConnector:
    clock.freeze(NOW)
    return XConnector(bearer_token="app-bearer", consumer_key="ck", consumer_secret="cs", timeout=5)


def query(call: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def test_250_handles_take_three_lookups_of_at_most_100(
    x: XConnector, http: responses.RequestsMock
) -> None:
    http.add_callback(responses.GET, USERS_BY, callback=users_by)
    handles = [f"school{i}" for i in range(245)] + [f"ghost{i}" for i in range(5)]

    profiles = x.lookup_handles(handles)

    assert [len(query(c)["usernames"][0].split(",")) for c in http.calls] == [100, 100, 50]
    assert all(c.request.headers["Authorization"] == "Bearer app-bearer" for c in http.calls)
    fields = query(http.calls[0])["user.fields"][0].split(",")
    assert {"created_at", "description", "public_metrics", "verified_type"} <= set(fields)
    assert len(profiles) == 245  # the five unknown handles were reported beside data: skipped
    assert x.api_calls == 3


def test_a_profile_carries_every_field(x: XConnector, http: responses.RequestsMock) -> None:
    http.add_callback(responses.GET, USERS_BY, callback=users_by)

    [profile] = x.lookup_handles(["@mntc_news", "ghost", "MNTC_NEWS", "mntc-news", "mntç_news"])

    # duplicates and handles X cannot have (which would fail the whole batch) are not sent
    assert query(http.calls[0])["usernames"] == ["mntc_news,ghost"]
    assert profile.platform is Platform.x
    assert profile.handle == "mntc_news"
    assert profile.url == "https://www.mntc.edu"  # expanded, not the t.co link
    assert profile.created_at == datetime(2013, 12, 14, 4, 35, 55, tzinfo=UTC)
    assert profile.followers == 1200
    assert profile.verified is False
    assert profile.key == "x:2244994945"


def test_a_429_raises_rate_limited_until_the_reset_then_succeeds(
    x: XConnector, http: responses.RequestsMock
) -> None:
    reset = NOW + timedelta(minutes=12)
    http.add(rate_limited(reset))

    with pytest.raises(RateLimited) as limited:
        x.lookup_handles(["mntc"])
    assert limited.value.retry_at == reset

    with pytest.raises(RateLimited):  # before the reset: refused without spending a call
        x.lookup_handles(["mntc"])
    assert x.api_calls == 1

    clock.freeze(reset + timedelta(seconds=1))
    http.add_callback(responses.GET, USERS_BY, callback=users_by)
    assert [p.handle for p in x.lookup_handles(["mntc"])] == ["mntc"]
    assert x.api_calls == 2


def test_a_rate_limit_mid_lookup_keeps_what_came_before(
    x: XConnector, http: responses.RequestsMock
) -> None:
    reset = NOW + timedelta(minutes=5)
    answers = iter(["ok", "limited"])

    def first_ok_then_limited(request: requests.PreparedRequest) -> Any:
        if next(answers) == "ok":
            return users_by(request)
        headers = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(reset.timestamp()))}
        return 429, headers, json.dumps({"title": "Too Many Requests", "status": 429})

    http.add_callback(responses.GET, USERS_BY, callback=first_ok_then_limited)

    with pytest.raises(RateLimited) as limited:
        x.lookup_handles([f"school{i}" for i in range(150)])

    assert len(limited.value.partial) == 100
    assert limited.value.retry_at == reset


def test_remaining_zero_stops_before_the_next_batch(
    x: XConnector, http: responses.RequestsMock
) -> None:
    reset = NOW + timedelta(minutes=9)

    def last_allowed_call(request: requests.PreparedRequest) -> Any:
        status, headers, body = users_by(request)
        headers.update(
            {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(reset.timestamp()))}
        )
        return status, headers, body

    http.add_callback(responses.GET, USERS_BY, callback=last_allowed_call)

    with pytest.raises(RateLimited) as limited:
        x.lookup_handles([f"school{i}" for i in range(150)])

    assert x.api_calls == 1
    assert limited.value.retry_at == reset
    assert len(limited.value.partial) == 100


def test_a_token_expired_mid_run_raises_auth_error(
    x: XConnector, http: responses.RequestsMock
) -> None:
    unauthorized = {"title": "Unauthorized", "type": "about:blank", "status": 401}
    answers = iter(["ok", "expired"])

    def expires(request: requests.PreparedRequest) -> Any:
        if next(answers) == "ok":
            return users_by(request)
        return 401, {}, json.dumps({**unauthorized, "detail": "Unauthorized"})

    http.add_callback(responses.GET, USERS_BY, callback=expires)

    with pytest.raises(AuthError):
        x.lookup_handles([f"school{i}" for i in range(250)])
    assert x.api_calls == 2


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retryable(
    x: XConnector, http: responses.RequestsMock, status: int
) -> None:
    body = {"title": "Service Unavailable", "detail": "Service Unavailable", "status": status}
    http.add(responses.GET, USERS_BY, status=status, json=body)

    with pytest.raises(PlatformError) as error:
        x.lookup_handles(["mntc"])
    assert error.value.retryable and error.value.status == status


def test_network_failures_are_retryable(x: XConnector, http: responses.RequestsMock) -> None:
    http.add(responses.GET, USERS_BY, body=requests.ConnectionError("connection reset"))

    with pytest.raises(PlatformError) as error:
        x.lookup_handles(["mntc"])
    assert error.value.retryable


def recent_search(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    tweet = {
        "id": "1460323737035677698",
        "text": "Enrolment open at Moore Norman Technology Center!",
        "author_id": "2244994950",
        "edit_history_tweet_ids": ["1460323737035677698"],
    }
    body = {
        "data": [tweet],
        "includes": {"users": [v2_user("mooren0rman", 5)]},
        "meta": {"newest_id": tweet["id"], "oldest_id": tweet["id"], "result_count": 1},
    }
    return 200, {}, json.dumps(body)


def test_search_without_people_search_access_degrades_and_reports_once(
    x: XConnector, http: responses.RequestsMock
) -> None:
    limited_access = {
        "errors": [
            {
                "message": "You currently have access to a subset of X API V2 endpoints and "
                "limited v1.1 endpoints (e.g. media post, oauth) only. If you need access to "
                "this endpoint, you may need a different access level.",
                "code": 453,
            }
        ]
    }
    http.add(responses.GET, USERS_SEARCH, status=403, json=limited_access)
    http.add_callback(responses.GET, RECENT, callback=recent_search)

    first = x.search_accounts("Moore Norman")
    second = x.search_accounts("Moore Norman")

    assert [p.handle for p in first] == [p.handle for p in second] == ["mooren0rman"]
    assert x.denied_features == {USER_SEARCH}
    searched = [c for c in http.calls if c.request.url.startswith(USERS_SEARCH)]
    assert len(searched) == 1  # not asked again once refused
    recent = query(next(c for c in http.calls if c.request.url.startswith(RECENT)))
    assert recent["query"] == ['"Moore Norman" -is:retweet']
    assert recent["expansions"] == ["author_id"]
    assert recent["max_results"] == ["100"]


def test_people_search_where_the_tier_allows_it(
    x: XConnector, http: responses.RequestsMock
) -> None:
    v1_user = {
        "id": 6253282,
        "id_str": "6253282",
        "name": "MNTC Official",
        "screen_name": "mntc_official",
        "location": "Norman, OK",
        "description": "The real one",
        "url": "https://t.co/xyz",
        "entities": {"url": {"urls": [{"url": "https://t.co/xyz", "expanded_url": None}]}},
        "followers_count": 15,
        "created_at": "Wed May 23 06:01:13 +0000 2007",
        "verified": False,
        "profile_image_url_https": "https://pbs.twimg.com/profile_images/2/x_normal.png",
    }
    http.add(responses.GET, USERS_SEARCH, json=[v1_user])
    http.add_callback(responses.GET, RECENT, callback=recent_search)

    profiles = x.search_accounts("MNTC", limit=10)

    assert [p.handle for p in profiles] == ["mntc_official", "mooren0rman"]
    assert profiles[0].created_at == datetime(2007, 5, 23, 6, 1, 13, tzinfo=UTC)
    assert profiles[0].url == "https://t.co/xyz"
    assert http.calls[0].request.headers["Authorization"] == "Bearer app-bearer"
    assert x.denied_features == set()


def test_search_on_a_tier_without_search_is_permission_missing(
    x: XConnector, http: responses.RequestsMock
) -> None:
    not_enrolled = {
        "client_id": "12345",
        "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use "
        "keys and tokens from a Twitter developer App that is attached to a Project.",
        "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
        "title": "Client Forbidden",
        "required_enrollment": "Appropriate Level of API Access",
        "reason": "client-not-enrolled",
        "type": "https://api.twitter.com/2/problems/client-forbidden",
    }
    http.add(responses.GET, USERS_SEARCH, status=403, json=not_enrolled)
    http.add(responses.GET, RECENT, status=403, json=not_enrolled)

    with pytest.raises(PermissionMissing) as missing:
        x.search_accounts("MNTC")
    assert missing.value.feature == "x recent post search"


def test_publish_uploads_media_then_creates_the_post(
    x: XConnector, http: responses.RequestsMock
) -> None:
    upload = {
        "media_id": 710511363345354753,
        "media_id_string": "710511363345354753",
        "size": 11065,
        "expires_after_secs": 86400,
        "image": {"image_type": "image/png", "w": 800, "h": 320},
    }
    http.add(responses.POST, UPLOAD, json=upload)
    created = {"id": "1445880548472328192", "text": "Open house Saturday!"}
    http.add(
        responses.POST,
        TWEETS,
        status=201,
        json={"data": {**created, "edit_history_tweet_ids": [created["id"]]}},
    )
    post = PublishRequest(
        post_id=7,
        target_id=3,
        text="Open house Saturday!",
        idempotency_key="post-7-rev-2",
        media=(MediaFile("flyer.png", "image/png", b"\x89PNG\r\n\x1a\nflyer"),),
        handle="mntc",
    )

    published = x.publish(post, ACCOUNT)

    assert published.platform_post_id == "1445880548472328192"
    assert published.url == "https://x.com/mntc/status/1445880548472328192"
    upload_call, tweet_call = http.calls
    assert b"flyer" in upload_call.request.body
    assert json.loads(tweet_call.request.body) == {
        "text": "Open house Saturday!",
        "media": {"media_ids": ["710511363345354753"]},
    }
    for call in (upload_call, tweet_call):
        auth = call.request.headers["Authorization"]
        auth = auth.decode() if isinstance(auth, bytes) else auth
        assert auth.startswith("OAuth ")
        assert 'oauth_consumer_key="ck"' in auth and 'oauth_token="user-token"' in auth
    assert x.api_calls == 2


def test_publishing_needs_consumer_keys_and_a_user_token_secret(
    http: responses.RequestsMock,
) -> None:
    post = PublishRequest(post_id=1, target_id=1, text="Hi", idempotency_key="k")
    with pytest.raises(ConnectorNotConfigured, match="IMPRIMATUR_X_CONSUMER_KEY"):
        XConnector(bearer_token="app-bearer").publish(post, ACCOUNT)
    with pytest.raises(AuthError):
        XConnector(bearer_token=None, consumer_key="ck", consumer_secret="cs").publish(
            post, Credentials("oauth2-token")
        )
    assert len(http.calls) == 0


def test_a_duplicate_post_is_a_platform_error_not_an_auth_error(
    x: XConnector, http: responses.RequestsMock
) -> None:
    duplicate = {
        "detail": "You are not allowed to create a Tweet with duplicate content.",
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
    }
    http.add(responses.POST, TWEETS, status=403, json=duplicate)
    post = PublishRequest(post_id=1, target_id=1, text="Hi", idempotency_key="k")

    with pytest.raises(PlatformError) as error:
        x.publish(post, ACCOUNT)
    assert error.value.status == 403 and not error.value.retryable


def test_a_daily_posting_limit_reports_the_24_hour_reset(
    x: XConnector, http: responses.RequestsMock
) -> None:
    daily_reset = NOW + timedelta(hours=20)
    headers = {
        "x-rate-limit-limit": "10000",
        "x-rate-limit-remaining": "9990",
        "x-rate-limit-reset": str(int((NOW + timedelta(minutes=15)).timestamp())),
        "x-user-limit-24hour-limit": "17",
        "x-user-limit-24hour-remaining": "0",
        "x-user-limit-24hour-reset": str(int(daily_reset.timestamp())),
    }
    http.add(
        responses.POST, TWEETS, status=429, json={"title": "Too Many Requests"}, headers=headers
    )
    post = PublishRequest(post_id=1, target_id=1, text="Hi", idempotency_key="k")

    with pytest.raises(RateLimited) as limited:
        x.publish(post, ACCOUNT)
    assert limited.value.retry_at == daily_reset


def test_delete_and_a_missing_post(x: XConnector, http: responses.RequestsMock) -> None:
    http.add(responses.DELETE, f"{TWEETS}/1445880548472328192", json={"data": {"deleted": True}})
    missing = {
        "title": "Not Found Error",
        "detail": "Could not find tweet with id: [1].",
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }
    http.add(responses.DELETE, f"{TWEETS}/1", status=404, json=missing)

    x.delete("1445880548472328192", ACCOUNT)
    with pytest.raises(NotFound):
        x.delete("1", ACCOUNT)


def test_find_published_reconciles_by_text_since_the_first_attempt(
    x: XConnector, http: responses.RequestsMock
) -> None:
    timeline = {
        "data": [
            {
                "id": "1900000000000000002",
                "text": "Open house Saturday &amp; Sunday! https://t.co/AbCdEf",
                "created_at": "2026-11-25T11:59:00.000Z",
                "edit_history_tweet_ids": ["1900000000000000002"],
            },
            {
                "id": "1900000000000000001",
                "text": "Something else",
                "created_at": "2026-11-25T11:00:00.000Z",
                "edit_history_tweet_ids": ["1900000000000000001"],
            },
        ],
        "meta": {"result_count": 2, "newest_id": "1900000000000000002"},
    }
    http.add(responses.GET, "https://api.twitter.com/2/users/2244994945/tweets", json=timeline)
    post = PublishRequest(
        post_id=7,
        target_id=3,
        text="Open house Saturday & Sunday!",
        idempotency_key="post-7",
        not_before=NOW - timedelta(minutes=5),
    )

    found = x.find_published(post, ACCOUNT)

    assert found is not None and found.platform_post_id == "1900000000000000002"
    assert query(http.calls[0])["start_time"] == ["2026-11-25T11:55:00Z"]
    http.add(
        responses.GET,
        "https://api.twitter.com/2/users/2244994945/tweets",
        json={"meta": {"result_count": 0}},
    )
    assert (
        x.find_published(
            PublishRequest(post_id=8, target_id=3, text="New", idempotency_key="k"), ACCOUNT
        )
        is None
    )
