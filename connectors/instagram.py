"""Instagram professional accounts through the Graph API (graph.py).

Lookups use business discovery on the institution's own professional account
(`instagram_business_account_id`) with the app's read token, batched 50 per HTTP call; only
business and creator accounts can be found, others are skipped. The Instagram API has no
account search, so `search_accounts` raises `PermissionMissing` without a call.

Publishing (the token of the Page linked to the account, the IG user id in
`Credentials.account_platform_id`): Instagram fetches images itself, so it needs
`PublishRequest.public_media_urls`; one media container (a carousel for several images), then
`media_publish`.
"""

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from connectors.base import (
    ConnectorError,
    ConnectorNotConfigured,
    Credentials,
    PermissionMissing,
    PlatformError,
    Profile,
    Published,
    PublishRequest,
    lookup_in_batches,
)
from connectors.graph import Graph, GraphConnector, graph_from_settings
from service.settings import Settings
from workflows.platforms import Platform

IG_FIELDS = "id,username,name,biography,website,followers_count,profile_picture_url"
IG_SEARCH = "instagram account search"
IG_DISCOVERY = "instagram business discovery"
MAX_CAROUSEL = 10
IG_HANDLE = re.compile(r"[A-Za-z0-9._]{1,30}")


class InstagramConnector(GraphConnector):
    name = "instagram"
    platform = Platform.instagram

    def __init__(self, *, graph: Graph, read_token: str, business_account_id: str) -> None:
        super().__init__(graph=graph, read_token=read_token)
        self._business_account_id = business_account_id

    @classmethod
    def from_settings(cls, settings: Settings) -> "InstagramConnector":
        if not settings.instagram_business_account_id:
            raise ConnectorNotConfigured(
                cls.name,
                "set IMPRIMATUR_INSTAGRAM_BUSINESS_ACCOUNT_ID (the institution's own IG "
                "professional account, used for business discovery) and IMPRIMATUR_META_APP_TOKEN",
            )
        graph, token = graph_from_settings(settings, cls.name)
        return cls(
            graph=graph,
            read_token=token,
            business_account_id=settings.instagram_business_account_id,
        )

    def lookup_handles(self, handles: Sequence[str]) -> list[Profile]:
        """Business discovery: only professional (business/creator) accounts are found."""
        return lookup_in_batches(
            self.name, handles, self.max_lookup_batch, self._lookup_batch, IG_HANDLE
        )

    def _lookup_batch(self, batch: Sequence[str]) -> list[Profile]:
        urls = [
            f"{self._business_account_id}?fields=business_discovery.username({h}){{{IG_FIELDS}}}"
            for h in batch
        ]
        answers = self._graph.batch_get(self._read_token, urls, IG_DISCOVERY)
        return self._collect(answers, lambda body: ig_profile(body["business_discovery"]))

    def search_accounts(self, query: str, limit: int = 100) -> list[Profile]:
        self._denied.add(IG_SEARCH)
        raise PermissionMissing(self.name, IG_SEARCH, "the Instagram API has no account search")

    def latest_activity(self, handle: str, platform_id: str | None = None) -> datetime | None:
        """The newest media's `timestamp`, through business discovery (it finds accounts by
        username only, so `platform_id` is not used)."""
        username = handle.strip().removeprefix("@")
        fields = f"business_discovery.username({username}){{media.limit(1){{timestamp}}}}"
        body = self._read(self._business_account_id, IG_DISCOVERY, fields=fields)
        media = body.get("business_discovery", {}).get("media", {})
        return self._newest_time(media.get("data", []), "timestamp")

    def publish(self, post: PublishRequest, credentials: Credentials) -> Published:
        """A media container (a carousel for several images), then `media_publish`."""
        ig_user = self._account(credentials)
        urls = post.public_media_urls
        if not urls:
            raise PlatformError(
                self.name,
                "Instagram posts need an image at a public URL (PublishRequest.public_media_urls)",
            )
        if len(urls) > MAX_CAROUSEL:
            raise PlatformError(self.name, f"Instagram allows at most {MAX_CAROUSEL} images")
        token = credentials.access_token
        feature = "instagram content publishing"
        path = f"{ig_user}/media"
        if len(urls) == 1:
            container = self._graph.post(token, path, feature, image_url=urls[0], caption=post.text)
        else:
            items = [
                self._graph.post(token, path, feature, image_url=url, is_carousel_item="true")
                for url in urls
            ]
            children = ",".join(str(item["id"]) for item in items)
            container = self._graph.post(
                token,
                path,
                feature,
                media_type="CAROUSEL",
                children=children,
                caption=post.text,
            )
        published = self._graph.post(
            token, f"{ig_user}/media_publish", feature, creation_id=str(container["id"])
        )
        media_id = str(published["id"])
        return Published(media_id, self._permalink(token, media_id, post.handle))

    def _permalink(self, token: str, media_id: str, handle: str | None) -> str:
        """Best effort: the post is already live, so a failure here must not fail publish."""
        try:
            link = self._graph.get(token, media_id, "instagram permalink", fields="permalink")
        except ConnectorError:
            link = {}
        return str(link.get("permalink") or f"https://www.instagram.com/{handle or ''}")

    def delete(self, platform_post_id: str, credentials: Credentials) -> None:
        self._graph.delete(credentials.access_token, platform_post_id, "instagram media deletion")

    def find_published(self, post: PublishRequest, credentials: Credentials) -> Published | None:
        body = self._graph.get(
            credentials.access_token,
            f"{self._account(credentials)}/media",
            "instagram post reconciliation",
            fields="id,caption,permalink,timestamp",
            limit=50,
        )
        match = self._oldest_match(body.get("data", []), "caption", "timestamp", post)
        if match is None:
            return None
        link = match.get("permalink") or f"https://www.instagram.com/{post.handle or ''}"
        return Published(str(match["id"]), str(link))


def ig_profile(user: Mapping[str, Any]) -> Profile:
    return Profile(
        platform=Platform.instagram,
        platform_id=str(user["id"]),
        handle=user["username"],
        display_name=user.get("name") or "",
        bio=user.get("biography") or "",
        url=user.get("website") or None,
        followers=user.get("followers_count"),
        profile_image_url=user.get("profile_picture_url"),
    )
