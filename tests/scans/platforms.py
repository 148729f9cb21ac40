"""The demo's accounts served over HTTP as X and Meta serve them, for scans through the real
clients (tweepy, facebook-sdk) with `responses` answering in the platforms' documented shapes.

With a seed, a share of the platform's API calls fail the ways platforms fail: a 429 with the
rate-limit headers (X's `x-rate-limit-*`, Meta's throttling codes with its usage headers), a 5xx
(X's 503, Meta's transient code 2), a connect or read timeout, and a 200 whose JSON is cut
short. Profile images come from the platforms' CDNs, which never fail here: an image lost is
evidence lost, not a fault of the API.
"""

import json
import random
import re
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
import responses

from connectors.base import Profile
from connectors.simulated import SimulatedConnector
from service import clock, demo
from tests.connectors.conftest import graph_error
from workflows.platforms import Platform

X_API = "https://api.twitter.com"
GRAPH = "https://graph.facebook.com/v25.0"
CDN = "https://cdn.platform.example"
BUSINESS_ACCOUNT = "17841405309211844"  # the institution's own Instagram account
FAULTS = ("rate_limit", "server_error", "timeout", "malformed")
JSON = "application/json; charset=utf-8"

Answer = tuple[int, dict[str, str], str]
Handler = Callable[[requests.PreparedRequest], Answer]

# X answers users/search (v1.1) this way on the Basic tier.
LIMITED_V1 = {
    "errors": [
        {
            "message": "You currently have access to a subset of X API V2 endpoints and limited "
            "v1.1 endpoints (e.g. media post, oauth) only. If you need access to this endpoint, "
            "you may need a different access level.",
            "code": 453,
        }
    ]
}
# Meta's throttling codes, each with the usage header that comes with it.
META_THROTTLES = (
    (4, "(#4) Application request limit reached", "x-app-usage"),
    (17, "(#17) User request limit reached", "x-app-usage"),
    (32, "(#32) Page request limit reached", "x-business-use-case-usage"),
    (613, "(#613) Calls to this api have exceeded the rate limit.", "x-business-use-case-usage"),
)


def _query(request: requests.PreparedRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(request.url)).query)


def _form(request: requests.PreparedRequest) -> dict[str, list[str]]:
    body = request.body
    return parse_qs(body.decode() if isinstance(body, bytes) else str(body))


class Platforms:
    """Register on a `responses` mock; `seed` None is a platform that never fails."""

    def __init__(self, mock: responses.RequestsMock, seed: int | None, rate: float = 0.3) -> None:
        self._random = random.Random(seed)
        self._rate = rate if seed is not None else 0.0
        self.faults: Counter[str] = Counter()
        self.calls = 0
        self._images: dict[str, Path] = {}
        self._accounts = {
            platform: SimulatedConnector(profiles_path=demo.SIMULATED_PROFILES, platform=platform)
            for platform in (Platform.x, Platform.facebook, Platform.instagram)
        }
        x_faults, meta_faults = self._x_fault, self._meta_fault
        routes: list[tuple[str, str, Handler, Callable[[str, Answer], Answer]]] = [
            (responses.GET, f"{X_API}/2/users/by", self._x_lookup, x_faults),
            (responses.GET, f"{X_API}/2/tweets/search/recent", self._x_search, x_faults),
            (responses.GET, f"{X_API}/1.1/users/search.json", self._x_people, x_faults),
            (responses.POST, f"{GRAPH}/", self._meta_batch, meta_faults),
            (responses.GET, f"{GRAPH}/pages/search", self._page_search, meta_faults),
        ]
        for method, url, handler, fault in routes:
            mock.add_callback(method, url, callback=self._faulty(handler, fault), content_type=JSON)
        mock.add_callback(responses.GET, re.compile(f"{CDN}/.*"), callback=self._image)

    # --- faults ----------------------------------------------------------------------------

    def _faulty(self, handler: Handler, fault: Callable[[str, Answer], Answer]) -> Handler:
        def answer(request: requests.PreparedRequest) -> Answer:
            self.calls += 1
            if self._random.random() >= self._rate:
                return handler(request)
            kind = self._random.choice(FAULTS)
            if kind == "timeout":
                self.faults[kind] += 1
                raise self._random.choice([requests.ConnectTimeout, requests.ReadTimeout])()
            answer = handler(request)
            if kind == "malformed" and answer[0] != 200:
                return answer  # a refusal stays readable: only answers that succeed are cut
            self.faults[kind] += 1
            return fault(kind, answer)

        return answer

    @staticmethod
    def _truncated(answer: Answer) -> Answer:
        status, headers, body = answer
        return status, headers, body[: len(body) // 2]

    def _x_fault(self, kind: str, answer: Answer) -> Answer:
        if kind == "malformed":
            return self._truncated(answer)
        if kind == "server_error":
            problem = {"title": "Service Unavailable", "detail": "Service Unavailable"}
            return 503, {}, json.dumps({**problem, "type": "about:blank", "status": 503})
        reset = clock.now() + timedelta(minutes=15)
        headers = {
            "x-rate-limit-limit": "300",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int(reset.timestamp())),
        }
        problem = {"title": "Too Many Requests", "detail": "Too Many Requests"}
        return 429, headers, json.dumps({**problem, "type": "about:blank", "status": 429})

    def _meta_fault(self, kind: str, answer: Answer) -> Answer:
        if kind == "malformed":
            return self._truncated(answer)
        if kind == "server_error":
            message = "An unexpected error has occurred. Please retry your request later."
            return 500, {}, json.dumps(graph_error(2, message, is_transient=True))
        code, message, header = self._random.choice(META_THROTTLES)
        usage: dict[str, Any] = {"call_count": 100, "total_cputime": 40, "total_time": 60}
        if header == "x-business-use-case-usage":
            regain = {"type": "pages", **usage, "estimated_time_to_regain_access": 7}
            usage = {"104838712345": [regain]}
        return 400, {header: json.dumps(usage)}, json.dumps(graph_error(code, message))

    # --- X ---------------------------------------------------------------------------------

    def _x_user(self, profile: Profile) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": profile.platform_id,
            "name": profile.display_name,
            "username": profile.handle,
            "description": profile.bio,
            "public_metrics": {"followers_count": profile.followers or 0, "following_count": 0},
            "verified": profile.verified,
            "verified_type": "business" if profile.verified else "none",
        }
        if profile.created_at:
            user["created_at"] = profile.created_at.isoformat().replace("+00:00", ".000Z")
        if profile.location:
            user["location"] = profile.location
        if profile.url:
            link = {"start": 0, "end": 23, "url": "https://t.co/abc123"}
            user["url"] = link["url"]
            user["entities"] = {"url": {"urls": [{**link, "expanded_url": profile.url}]}}
        if image := self._cdn(profile):
            user["profile_image_url"] = image
        return user

    def _x_ok(self, body: Any) -> Answer:
        reset = clock.now() + timedelta(minutes=15)
        headers = {
            "x-rate-limit-limit": "300",
            "x-rate-limit-remaining": "299",
            "x-rate-limit-reset": str(int(reset.timestamp())),
        }
        return 200, headers, json.dumps(body)

    def _x_lookup(self, request: requests.PreparedRequest) -> Answer:
        names = _query(request)["usernames"][0].split(",")
        found = self._accounts[Platform.x].lookup_handles(names)
        body: dict[str, Any] = {"data": [self._x_user(p) for p in found]}
        known = {p.handle.casefold() for p in found}
        missing = [n for n in names if n.casefold() not in known]
        if missing:
            body["errors"] = [
                {
                    "value": name,
                    "detail": f"Could not find user with usernames: [{name}].",
                    "title": "Not Found Error",
                    "resource_type": "user",
                    "parameter": "usernames",
                    "resource_id": name,
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
                for name in missing
            ]
        return self._x_ok(body)

    def _x_search(self, request: requests.PreparedRequest) -> Answer:
        words = _query(request)["query"][0].removesuffix(" -is:retweet").strip('"')
        authors = self._accounts[Platform.x].search_accounts(words)
        tweets = [
            {
                "id": str(1860000000000000000 + number),
                "text": f"News from {author.display_name}",
                "author_id": author.platform_id,
                "edit_history_tweet_ids": [str(1860000000000000000 + number)],
            }
            for number, author in enumerate(authors)
        ]
        body: dict[str, Any] = {"meta": {"result_count": len(tweets)}}
        if tweets:
            body["data"] = tweets
            body["includes"] = {"users": [self._x_user(author) for author in authors]}
        return self._x_ok(body)

    def _x_people(self, request: requests.PreparedRequest) -> Answer:
        return 403, {}, json.dumps(LIMITED_V1)

    # --- Meta ------------------------------------------------------------------------------

    def _page(self, profile: Profile) -> dict[str, Any]:
        city, _, state = (profile.location or "").partition(", ")
        page: dict[str, Any] = {
            "id": profile.platform_id,
            "name": profile.display_name,
            "username": profile.handle,
            "about": profile.bio,
            "link": f"https://www.facebook.com/{profile.handle}",
            "followers_count": profile.followers or 0,
            "verification_status": "blue_verified" if profile.verified else "not_verified",
        }
        if profile.url:
            page["website"] = profile.url
        if city:
            page["location"] = {"city": city, "state": state}
        if image := self._cdn(profile):
            page["picture"] = {"data": {"height": 50, "is_silhouette": False, "url": image}}
        return page

    def _instagram(self, profile: Profile) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": profile.platform_id,
            "username": profile.handle,
            "name": profile.display_name,
            "biography": profile.bio,
            "followers_count": profile.followers or 0,
        }
        if profile.url:
            user["website"] = profile.url
        if image := self._cdn(profile):
            user["profile_picture_url"] = image
        return user

    def _meta_batch(self, request: requests.PreparedRequest) -> Answer:
        items = json.loads(_form(request)["batch"][0])
        return 200, {}, json.dumps([self._batch_item(item["relative_url"]) for item in items])

    def _batch_item(self, relative_url: str) -> dict[str, Any]:
        path = unquote(relative_url).split("/", 1)[1]
        discovery = re.search(r"business_discovery\.username\(([^)]+)\)", path)
        if discovery is not None:
            found = self._accounts[Platform.instagram].lookup_handles([discovery[1]])
            if not found:
                body = graph_error(110, "Invalid user id", 2207013, is_transient=False)
                return {"code": 400, "body": json.dumps(body)}
            answer = {"business_discovery": self._instagram(found[0]), "id": BUSINESS_ACCOUNT}
            return {"code": 200, "body": json.dumps(answer)}
        handle = path.split("?")[0]
        pages = self._accounts[Platform.facebook].lookup_handles([handle])
        if not pages:
            message = f"(#803) Some of the aliases you requested do not exist: {handle}"
            return {"code": 404, "body": json.dumps(graph_error(803, message))}
        return {"code": 200, "body": json.dumps(self._page(pages[0]))}

    def _page_search(self, request: requests.PreparedRequest) -> Answer:
        pages = self._accounts[Platform.facebook].search_accounts(_query(request)["q"][0])
        return 200, {}, json.dumps({"data": [self._page(page) for page in pages]})

    # --- CDN -------------------------------------------------------------------------------

    def _cdn(self, profile: Profile) -> str | None:
        if not profile.profile_image_url:
            return None
        local = Path(unquote(urlsplit(profile.profile_image_url).path))
        url = f"{CDN}/{profile.platform}/{profile.platform_id}/{local.name}"
        self._images[url] = local
        return url

    def _image(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        local = self._images[str(request.url)]
        return 200, {"content-type": "image/png"}, local.read_bytes()
