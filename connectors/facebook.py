"""Facebook Pages through the Graph API (graph.py).

Reads use the app's token from settings; publishing uses the Page access token from
`Credentials` and the Page id in `Credentials.account_platform_id`.

Lookups are Graph API batch requests, 50 handles per HTTP call; a handle that does not exist
or names no Page is skipped. Page search needs the app feature Page Public Metadata Access:
without it `search_accounts` raises `PermissionMissing` every time, but only the first refusal
costs an API call (the feature is then in `denied_features`).
"""

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from connectors.base import (
    Credentials,
    PermissionMissing,
    PlatformError,
    Profile,
    Published,
    PublishRequest,
    lookup_in_batches,
)
from connectors.graph import GraphConnector, graph_from_settings
from service.settings import Settings
from workflows.platforms import Platform

PAGE_FIELDS = (
    "id,name,username,about,website,link,location,fan_count,followers_count,"
    "verification_status,picture"
)
PAGE_SEARCH = "facebook page search (Page Public Metadata Access)"
PAGE_POSTS = "facebook page posts (Page Public Content Access)"
PAGE_HANDLE = re.compile(r"[A-Za-z0-9.\-]{1,50}")


class FacebookConnector(GraphConnector):
    name = "facebook"
    platform = Platform.facebook

    @classmethod
    def from_settings(cls, settings: Settings) -> "FacebookConnector":
        graph, token = graph_from_settings(settings, cls.name)
        return cls(graph=graph, read_token=token)

    def lookup_handles(self, handles: Sequence[str]) -> list[Profile]:
        return lookup_in_batches(
            self.name, handles, self.max_lookup_batch, self._lookup_batch, PAGE_HANDLE
        )

    def _lookup_batch(self, batch: Sequence[str]) -> list[Profile]:
        urls = [f"{handle}?fields={PAGE_FIELDS}" for handle in batch]
        answers = self._graph.batch_get(self._read_token, urls, "facebook page lookup")
        return self._collect(answers, page_profile)

    def search_accounts(self, query: str, limit: int = 100) -> list[Profile]:
        if PAGE_SEARCH in self._denied:
            raise PermissionMissing(self.name, PAGE_SEARCH)
        body = self._read(
            "pages/search", PAGE_SEARCH, q=query, fields=PAGE_FIELDS, limit=min(limit, 100)
        )
        return [page_profile(page) for page in body.get("data", [])][:limit]

    def latest_activity(self, handle: str, platform_id: str | None = None) -> datetime | None:
        """The Page's newest post: `/{page}/posts?limit=1&fields=created_time`."""
        page = platform_id or handle.strip().removeprefix("@")
        body = self._read(f"{page}/posts", PAGE_POSTS, fields="created_time", limit=1)
        return self._newest_time(body.get("data", []), "created_time")

    def publish(self, post: PublishRequest, credentials: Credentials) -> Published:
        page_id = self._account(credentials)
        token = credentials.access_token
        feature = "facebook page publishing"
        if any(not m.content_type.startswith("image/") for m in post.media):
            raise PlatformError(self.name, "only images can be published to a Page for now")
        if len(post.media) == 1:
            media = post.media[0]
            source = {"source": (media.filename, media.data, media.content_type)}
            body = self._graph.post(
                token, f"{page_id}/photos", feature, files=source, message=post.text
            )
            post_id = str(body.get("post_id") or body["id"])
        else:
            attached: dict[str, str] = {}
            for index, media in enumerate(post.media):
                source = {"source": (media.filename, media.data, media.content_type)}
                photo = self._graph.post(
                    token, f"{page_id}/photos", feature, files=source, published="false"
                )
                attached[f"attached_media[{index}]"] = json.dumps({"media_fbid": photo["id"]})
            body = self._graph.post(
                token, f"{page_id}/feed", feature, message=post.text, **attached
            )
            post_id = str(body["id"])
        return Published(post_id, f"https://www.facebook.com/{post_id}")

    def delete(self, platform_post_id: str, credentials: Credentials) -> None:
        self._graph.delete(credentials.access_token, platform_post_id, "facebook post deletion")

    def find_published(self, post: PublishRequest, credentials: Credentials) -> Published | None:
        args: dict[str, Any] = {"fields": "id,message,created_time", "limit": 100}
        if post.not_before is not None:
            args["since"] = int(post.not_before.timestamp())
        body = self._graph.get(
            credentials.access_token,
            f"{self._account(credentials)}/posts",
            "facebook post reconciliation",
            **args,
        )
        match = self._oldest_match(body.get("data", []), "message", "created_time", post)
        if match is None:
            return None
        return Published(str(match["id"]), f"https://www.facebook.com/{match['id']}")


def page_profile(page: Mapping[str, Any]) -> Profile:
    location = page.get("location") or {}
    place = ", ".join(str(location[k]) for k in ("city", "state", "country") if location.get(k))
    website = (page.get("website") or "").split()
    return Profile(
        platform=Platform.facebook,
        platform_id=str(page["id"]),
        handle=page.get("username") or str(page["id"]),
        display_name=page.get("name") or "",
        bio=page.get("about") or "",
        url=website[0] if website else None,
        location=place or None,
        followers=page.get("followers_count", page.get("fan_count")),
        verified=page.get("verification_status") in ("blue_verified", "gray_verified"),
        profile_image_url=(page.get("picture") or {}).get("data", {}).get("url"),
    )
