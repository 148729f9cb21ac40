"""Facebook and Instagram through the real facebook-sdk GraphAPI, HTTP intercepted by `responses`.

Payloads follow the Graph API's documented shapes: batch answers (`code` + JSON-encoded `body`),
error objects (`message`, `type`, `code`, `error_subcode`, `fbtrace_id`), usage headers.
"""

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import facebook
import pytest
import requests
import responses

from connectors.base import (
    AuthError,
    ConnectorError,
    Credentials,
    MediaFile,
    NotFound,
    PermissionMissing,
    PlatformError,
    PublishRequest,
    RateLimited,
)
from connectors.facebook import PAGE_SEARCH, FacebookConnector
from connectors.graph import Graph, graph_version
from connectors.instagram import IG_SEARCH, InstagramConnector
from service import clock
from service.settings import Settings
from tests.connectors.conftest import graph_error
from workflows.platforms import Platform

GRAPH = "https://graph.facebook.com"
V = "v25.0"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PAGE = Credentials("page-token", account_platform_id="104838712345")
IG_ACCOUNT = Credentials("page-token", account_platform_id="17841405822304914")


def page(username: str, number: int = 0) -> dict[str, Any]:
    return {
        "id": str(104838712345 + number),
        "name": f"Moore Norman {username}",
        "username": username,
        "about": "Career and technology education in Norman, Oklahoma.",
        "website": "https://www.mntc.edu https://enroll.mntc.edu",
        "link": f"https://www.facebook.com/{username}",
        "location": {"city": "Norman", "state": "OK", "country": "United States", "zip": "73071"},
        "fan_count": 5100,
        "followers_count": 5400 + number,
        "verification_status": "not_verified",
        "picture": {
            "data": {"height": 50, "is_silhouette": False, "url": "https://scontent/p.jpg"}
        },
    }


def form(call: Any) -> dict[str, list[str]]:
    body = call.request.body
    return parse_qs(body.decode() if isinstance(body, bytes) else body)


def params(call: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def batch_answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    """Pages for every handle but `ghost*`, which gets Meta's 803 'alias does not exist'."""
    items = json.loads(form_of(request)["batch"][0])
    answers = []
    for number, item in enumerate(items):
        handle = item["relative_url"].split("/", 1)[1].split("?")[0]
        if handle.startswith("ghost"):
            body = graph_error(
                803, f"(#803) Some of the aliases you requested do not exist: {handle}"
            )
            answers.append({"code": 404, "body": json.dumps(body)})
        else:
            answers.append({"code": 200, "body": json.dumps(page(handle, number))})
    return 200, {}, json.dumps(answers)


def form_of(request: requests.PreparedRequest) -> dict[str, list[str]]:
    body = request.body
    return parse_qs(body.decode() if isinstance(body, bytes) else str(body))


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def graph() -> Graph:
    clock.freeze(NOW)
    return Graph("facebook", version=V, timeout=5, app_secret="app-secret")


@pytest.fixture
def fb(graph: Graph) -> FacebookConnector:
    return FacebookConnector(graph=graph, read_token="app-id|app-secret")


@pytest.fixture
def ig() -> InstagramConnector:
    clock.freeze(NOW)
    graph = Graph("instagram", version=V, timeout=5)
    return InstagramConnector(
        graph=graph, read_token="system-user-token", business_account_id="17841405309211844"
    )


def test_facebook_sdk_refuses_current_versions_so_we_set_it_on_the_instance() -> None:
    with pytest.raises(facebook.GraphAPIError, match="Valid API versions"):
        facebook.GraphAPI(access_token="t", version="3.2")
    with pytest.raises(facebook.GraphAPIError, match="format"):
        facebook.GraphAPI(access_token="t", version="25.0")

    client = Graph("facebook", version="25.0", timeout=5).client("t")

    assert client.version == "v25.0"
    with pytest.raises(ValueError):
        graph_version("latest")


def test_the_configured_version_is_in_every_request_path(
    http: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPRIMATUR_META_APP_TOKEN", "app-token")
    monkeypatch.setenv("IMPRIMATUR_META_GRAPH_VERSION", "v24.0")
    connector = FacebookConnector.from_settings(Settings())
    http.add(responses.GET, f"{GRAPH}/v24.0/pages/search", json={"data": [page("mntc")]})
    http.add_callback(
        responses.POST, f"{GRAPH}/v24.0/", callback=batch_answer, content_type="application/json"
    )
    http.add(responses.POST, f"{GRAPH}/v24.0/104838712345/feed", json={"id": "104838712345_1"})
    http.add(responses.DELETE, f"{GRAPH}/v24.0/104838712345_1", json={"success": True})

    connector.search_accounts("Moore Norman")
    connector.lookup_handles(["mntc"])
    connector.publish(PublishRequest(post_id=1, target_id=1, text="Hi", idempotency_key="k"), PAGE)
    connector.delete("104838712345_1", PAGE)

    assert all(urlsplit(c.request.url).path.startswith("/v24.0/") for c in http.calls)
    batch = json.loads(form(http.calls[1])["batch"][0])
    assert all(item["relative_url"].startswith("v24.0/") for item in batch)
    assert connector.api_calls == 4


def test_page_lookup_is_batched_50_per_call_and_skips_unknown_pages(
    fb: FacebookConnector, http: responses.RequestsMock
) -> None:
    http.add_callback(
        responses.POST, f"{GRAPH}/{V}/", callback=batch_answer, content_type="application/json"
    )
    handles = [f"mntcpage{i}" for i in range(57)] + ["ghost1", "ghost2", "ghost3"]

    profiles = fb.lookup_handles(handles)

    assert [len(json.loads(form(c)["batch"][0])) for c in http.calls] == [50, 10]
    assert len(profiles) == 57
    sent = form(http.calls[0])
    assert sent["access_token"] == ["app-id|app-secret"]
    proof = hmac.new(b"app-secret", b"app-id|app-secret", hashlib.sha256).hexdigest()
    assert sent["appsecret_proof"] == [proof]
    assert sent["include_headers"] == ["false"]
    first = json.loads(sent["batch"][0])[0]
    assert first["method"] == "GET"
    assert first["relative_url"].startswith(f"{V}/mntcpage0?fields=id,name,username")
    profile = profiles[0]
    assert profile.platform is Platform.facebook
    assert profile.handle == "mntcpage0"
    assert profile.url == "https://www.mntc.edu"
    assert profile.location == "Norman, OK, United States"
    assert profile.followers == 5400
    assert profile.profile_image_url == "https://scontent/p.jpg"


def test_page_search_without_the_feature_is_refused_once_then_remembered(
    fb: FacebookConnector, http: responses.RequestsMock
) -> None:
    refusal = graph_error(
        10,
        "(#10) This endpoint requires the 'pages_read_engagement' permission or the 'Page "
        "Public Content Access' feature or the 'Page Public Metadata Access' feature.",
    )
    http.add(responses.GET, f"{GRAPH}/{V}/pages/search", status=400, json=refusal)

    for _ in range(2):
        with pytest.raises(PermissionMissing) as missing:
            fb.search_accounts("Moore Norman")
        assert missing.value.feature == PAGE_SEARCH

    assert fb.api_calls == 1
    assert fb.denied_features == {PAGE_SEARCH}


def test_page_search_sends_the_query_and_fields(
    fb: FacebookConnector, http: responses.RequestsMock
) -> None:
    http.add(responses.GET, f"{GRAPH}/{V}/pages/search", json={"data": [page("mntc")]})

    [profile] = fb.search_accounts("Moore Norman", limit=5)

    sent = params(http.calls[0])
    assert sent["q"] == ["Moore Norman"]
    assert sent["limit"] == ["5"]
    assert "verification_status" in sent["fields"][0]
    assert profile.display_name == "Moore Norman mntc"


def test_publishing_text_and_one_photo_to_a_page(
    fb: FacebookConnector, http: responses.RequestsMock
) -> None:
    http.add(responses.POST, f"{GRAPH}/{V}/104838712345/feed", json={"id": "104838712345_11"})
    photo = {"id": "881234567", "post_id": "104838712345_12"}
    http.add(responses.POST, f"{GRAPH}/{V}/104838712345/photos", json=photo)
    text = PublishRequest(post_id=1, target_id=1, text="Open house!", idempotency_key="k")
    image = MediaFile("flyer.jpg", "image/jpeg", b"\xff\xd8\xffjpeg-bytes")

    assert fb.publish(text, PAGE).url == "https://www.facebook.com/104838712345_11"
    with_photo = fb.publish(
        PublishRequest(post_id=2, target_id=1, text="Flyer", idempotency_key="k", media=(image,)),
        PAGE,
    )

    assert with_photo.platform_post_id == "104838712345_12"
    assert form(http.calls[0])["message"] == ["Open house!"]
    assert form(http.calls[0])["access_token"] == ["page-token"]
    multipart = http.calls[1].request.body
    assert b'name="source"; filename="flyer.jpg"' in multipart and b"jpeg-bytes" in multipart
    assert b'name="message"' in multipart and b"Flyer" in multipart


def test_several_photos_are_uploaded_unpublished_then_attached_to_one_post(
    fb: FacebookConnector, http: responses.RequestsMock
) -> None:
    photos = iter(["881000001", "881000002"])
    http.add_callback(
        responses.POST,
        f"{GRAPH}/{V}/104838712345/photos",
        callback=lambda request: (200, {}, json.dumps({"id": next(photos)})),
        content_type="application/json",
    )
    http.add(responses.POST, f"{GRAPH}/{V}/104838712345/feed", json={"id": "104838712345_14"})
    images = tuple(MediaFile(f"{n}.png", "image/png", b"png") for n in ("a", "b"))
    post = PublishRequest(post_id=3, target_id=1, text="Two", idempotency_key="k", media=images)

    published = fb.publish(post, PAGE)

    assert all(b'name="published"' in c.request.body for c in http.calls[:2])
    feed = form(http.calls[2])
    assert json.loads(feed["attached_media[0]"][0]) == {"media_fbid": "881000001"}
    assert json.loads(feed["attached_media[1]"][0]) == {"media_fbid": "881000002"}
    assert feed["message"] == ["Two"]
    assert published.platform_post_id == "104838712345_14"


def test_find_published_reads_the_page_posts(
    fb: FacebookConnector, http: responses.RequestsMock
) -> None:
    posts = {
        "data": [
            {
                "id": "104838712345_13",
                "message": "Open house!",
                "created_time": "2026-11-25T11:58:02+0000",
            },
            {
                "id": "104838712345_12",
                "message": "Open house!",
                "created_time": "2026-11-25T11:57:00+0000",
            },
            {
                "id": "104838712345_9",
                "message": "Open house!",
                "created_time": "2026-11-20T09:00:00+0000",
            },
        ],
        "paging": {"cursors": {"before": "a", "after": "b"}},
    }
    http.add(responses.GET, f"{GRAPH}/{V}/104838712345/posts", json=posts)
    post = PublishRequest(
        post_id=1,
        target_id=1,
        text="Open house!",
        idempotency_key="k",
        not_before=NOW - timedelta(minutes=10),
    )

    found = fb.find_published(post, PAGE)

    assert found is not None and found.platform_post_id == "104838712345_12"
    assert params(http.calls[0])["since"] == [str(int(post.not_before.timestamp()))]  # type: ignore[union-attr]


REGAIN = json.dumps(
    {
        "104838712345": [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 20,
                "total_time": 25,
                "estimated_time_to_regain_access": 7,
            }
        ]
    }
)


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected", "check"),
    [
        (
            400,
            graph_error(4, "(#4) Application request limit reached"),
            {},
            RateLimited,
            NOW + timedelta(seconds=60),
        ),
        (
            400,
            graph_error(17, "(#17) User request limit reached"),
            {},
            RateLimited,
            NOW + timedelta(seconds=60),
        ),
        (
            400,
            graph_error(32, "(#32) Page request limit reached"),
            {"X-Business-Use-Case-Usage": REGAIN},
            RateLimited,
            NOW + timedelta(minutes=7),
        ),
        (
            400,
            graph_error(613, "Calls to this api have exceeded the rate limit."),
            {},
            RateLimited,
            None,
        ),
        (
            400,
            graph_error(80001, "There have been too many calls to this Page account."),
            {},
            RateLimited,
            None,
        ),
        (
            401,
            graph_error(
                190,
                "Error validating access token: Session has expired on Tuesday, 24-Nov-26.",
                463,
            ),
            {},
            AuthError,
            None,
        ),
        (
            403,
            graph_error(10, "(#10) Application does not have permission for this action"),
            {},
            PermissionMissing,
            None,
        ),
        (403, graph_error(200, "(#200) Permissions error"), {}, PermissionMissing, None),
        (
            400,
            graph_error(
                100,
                "Unsupported get request. Object with ID '1' does not exist, cannot be loaded "
                "due to missing permissions, or does not support this operation.",
                33,
                type="GraphMethodException",
            ),
            {},
            NotFound,
            None,
        ),
        (
            500,
            graph_error(
                2,
                "An unexpected error has occurred. Please retry your request later.",
                is_transient=True,
            ),
            {},
            PlatformError,
            True,
        ),
        (400, graph_error(100, "(#100) Invalid parameter"), {}, PlatformError, False),
    ],
)
def test_graph_errors_map_to_ours(
    graph: Graph,
    http: responses.RequestsMock,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str],
    expected: type[ConnectorError],
    check: Any,
) -> None:
    http.add(responses.GET, f"{GRAPH}/{V}/me", status=status, json=body, headers=headers)

    with pytest.raises(expected) as error:
        graph.get("token", "me", "a feature")

    if isinstance(error.value, RateLimited) and check is not None:
        assert error.value.retry_at == check
    if isinstance(error.value, PlatformError):
        assert error.value.retryable is check and error.value.status == status
    if isinstance(error.value, PermissionMissing):
        assert error.value.feature == "a feature"


def test_an_html_5xx_and_a_network_failure_are_retryable(
    graph: Graph, http: responses.RequestsMock
) -> None:
    http.add(
        responses.GET,
        f"{GRAPH}/{V}/me",
        status=502,
        body="<html>Bad Gateway</html>",
        content_type="text/html",
    )
    http.add(responses.GET, f"{GRAPH}/{V}/you", body=requests.ConnectionError("reset"))

    with pytest.raises(PlatformError) as gateway:
        graph.get("token", "me", "f")
    with pytest.raises(PlatformError) as network:
        graph.get("secret-token", "you", "f")

    assert gateway.value.retryable and gateway.value.status == 502
    assert network.value.retryable and "secret-token" not in str(network.value)


def test_a_token_expired_mid_lookup_is_an_auth_error(
    fb: FacebookConnector, http: responses.RequestsMock
) -> None:
    expired = graph_error(
        190, "Error validating access token: The session has been invalidated.", 460
    )
    answers = iter(["ok", "expired"])

    def expires(request: requests.PreparedRequest) -> Any:
        return batch_answer(request) if next(answers) == "ok" else (400, {}, json.dumps(expired))

    http.add_callback(
        responses.POST, f"{GRAPH}/{V}/", callback=expires, content_type="application/json"
    )

    with pytest.raises(AuthError):
        fb.lookup_handles([f"page{i}" for i in range(80)])
    assert fb.api_calls == 2


def test_a_throttled_item_inside_a_batch_raises_with_what_came_before(
    fb: FacebookConnector, http: responses.RequestsMock
) -> None:
    throttled = graph_error(4, "(#4) Application request limit reached", is_transient=True)
    answers = iter(["ok", "throttled"])

    def second_throttled(request: requests.PreparedRequest) -> Any:
        if next(answers) == "ok":
            return batch_answer(request)
        return 200, {}, json.dumps([{"code": 403, "body": json.dumps(throttled)}])

    http.add_callback(
        responses.POST, f"{GRAPH}/{V}/", callback=second_throttled, content_type="application/json"
    )

    with pytest.raises(RateLimited) as limited:
        fb.lookup_handles([f"page{i}" for i in range(51)])
    assert len(limited.value.partial) == 50


def test_instagram_lookup_uses_business_discovery_in_batches(
    ig: InstagramConnector, http: responses.RequestsMock
) -> None:
    found = {
        "business_discovery": {
            "id": "17841401441775531",
            "username": "mntc.edu",
            "name": "Moore Norman Technology Center",
            "biography": "Official account",
            "website": "https://www.mntc.edu",
            "followers_count": 267788,
            "profile_picture_url": "https://scontent.cdninstagram.com/p.jpg",
        },
        "id": "17841405309211844",
    }
    missing = graph_error(
        110,
        "Invalid user id",
        2207013,
        is_transient=False,
        error_user_title="Cannot find User",
        error_user_msg="The user with username: nobody_here cannot be found.",
    )
    answers = [{"code": 200, "body": json.dumps(found)}, {"code": 400, "body": json.dumps(missing)}]
    http.add(responses.POST, f"{GRAPH}/{V}/", json=answers)

    [profile] = ig.lookup_handles(["mntc.edu", "nobody_here", "not a handle!"])

    batch = json.loads(form(http.calls[0])["batch"][0])
    assert [item["relative_url"] for item in batch] == [
        f"{V}/17841405309211844?fields=business_discovery.username(mntc.edu)"
        "{id,username,name,biography,website,followers_count,profile_picture_url}",
        f"{V}/17841405309211844?fields=business_discovery.username(nobody_here)"
        "{id,username,name,biography,website,followers_count,profile_picture_url}",
    ]
    assert form(http.calls[0])["access_token"] == ["system-user-token"]
    assert profile.platform is Platform.instagram
    assert profile.followers == 267788 and profile.url == "https://www.mntc.edu"


def test_instagram_has_no_account_search(
    ig: InstagramConnector, http: responses.RequestsMock
) -> None:
    with pytest.raises(PermissionMissing) as missing:
        ig.search_accounts("MNTC")
    assert missing.value.feature == IG_SEARCH
    assert ig.denied_features == {IG_SEARCH} and ig.api_calls == 0


def test_instagram_publishing_is_a_container_then_media_publish(
    ig: InstagramConnector, http: responses.RequestsMock
) -> None:
    http.add(
        responses.POST, f"{GRAPH}/{V}/17841405822304914/media", json={"id": "17889455560051444"}
    )
    http.add(
        responses.POST,
        f"{GRAPH}/{V}/17841405822304914/media_publish",
        json={"id": "17920238422030506"},
    )
    http.add(
        responses.GET,
        f"{GRAPH}/{V}/17920238422030506",
        json={"permalink": "https://www.instagram.com/p/Cabc123/", "id": "17920238422030506"},
    )
    post = PublishRequest(
        post_id=4,
        target_id=2,
        text="Welcome back, students!",
        idempotency_key="k",
        public_media_urls=("https://imprimatur.example/media/4/welcome.jpg",),
    )

    published = ig.publish(post, IG_ACCOUNT)

    container, publish, permalink = http.calls
    assert form(container) == {
        "image_url": ["https://imprimatur.example/media/4/welcome.jpg"],
        "caption": ["Welcome back, students!"],
        "access_token": ["page-token"],
    }
    assert form(publish)["creation_id"] == ["17889455560051444"]
    assert params(permalink)["fields"] == ["permalink"]
    assert published.platform_post_id == "17920238422030506"
    assert published.url == "https://www.instagram.com/p/Cabc123/"


def test_instagram_carousel_and_a_failed_permalink(
    ig: InstagramConnector, http: responses.RequestsMock
) -> None:
    containers = iter(["child-1", "child-2", "carousel-1"])
    http.add_callback(
        responses.POST,
        f"{GRAPH}/{V}/17841405822304914/media",
        callback=lambda request: (200, {}, json.dumps({"id": next(containers)})),
        content_type="application/json",
    )
    http.add(responses.POST, f"{GRAPH}/{V}/17841405822304914/media_publish", json={"id": "1792"})
    http.add(responses.GET, f"{GRAPH}/{V}/1792", status=500, body="oops", content_type="text/plain")
    post = PublishRequest(
        post_id=4,
        target_id=2,
        text="Two photos",
        idempotency_key="k",
        public_media_urls=("https://a.example/1.jpg", "https://a.example/2.jpg"),
        handle="mntc.edu",
    )

    published = ig.publish(post, IG_ACCOUNT)

    assert form(http.calls[0])["is_carousel_item"] == ["true"]
    carousel = form(http.calls[2])
    assert carousel["media_type"] == ["CAROUSEL"] and carousel["children"] == ["child-1,child-2"]
    assert form(http.calls[3])["creation_id"] == ["carousel-1"]
    assert published.url == "https://www.instagram.com/mntc.edu"  # live anyway: no failure


def test_instagram_publishing_needs_public_media_urls(
    ig: InstagramConnector, http: responses.RequestsMock
) -> None:
    image = MediaFile("a.jpg", "image/jpeg", b"jpeg")
    post = PublishRequest(post_id=1, target_id=1, text="Hi", idempotency_key="k", media=(image,))

    with pytest.raises(PlatformError, match="public_media_urls") as error:
        ig.publish(post, IG_ACCOUNT)
    assert not error.value.retryable and ig.api_calls == 0


def test_instagram_find_published_and_delete(
    ig: InstagramConnector, http: responses.RequestsMock
) -> None:
    media = {
        "data": [
            {
                "id": "1793",
                "caption": "Welcome back, students!",
                "permalink": "https://www.instagram.com/p/X/",
                "timestamp": "2026-11-25T11:59:59+0000",
            },
        ]
    }
    http.add(responses.GET, f"{GRAPH}/{V}/17841405822304914/media", json=media)
    http.add(responses.DELETE, f"{GRAPH}/{V}/1793", json={"success": True})
    http.add(
        responses.DELETE,
        f"{GRAPH}/{V}/1794",
        status=400,
        json=graph_error(
            100, "Unsupported delete request. Object with ID '1794' does not exist", 33
        ),
    )
    post = PublishRequest(
        post_id=4, target_id=2, text="Welcome back, students!", idempotency_key="k"
    )

    found = ig.find_published(post, IG_ACCOUNT)
    ig.delete("1793", IG_ACCOUNT)
    with pytest.raises(NotFound):
        ig.delete("1794", IG_ACCOUNT)

    assert found is not None and found.url == "https://www.instagram.com/p/X/"
