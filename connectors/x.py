"""X (Twitter) through tweepy.

Reads use the app's bearer token (API v2); publishing uses OAuth 1.0a user context: the app's
consumer key/secret from settings plus the account's access token/secret from `Credentials`.
Media go through tweepy's v1.1 upload (tweepy 4.17 has no v2 upload).

Rate limits are never waited out here: a 429 (or a read endpoint whose
`x-rate-limit-remaining` reached 0 earlier) raises `RateLimited(retry_at)` from the reset
headers, and the caller reschedules. Account search degrades instead of failing when the
API tier lacks `users/search`: recent-post authors are still returned, and the refusal is
recorded once in `denied_features`.
"""

import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Any

import requests
import tweepy  # type: ignore[import-untyped]

from connectors.base import (
    AuthError,
    ConnectorNotConfigured,
    Credentials,
    MediaFile,
    PermissionMissing,
    PlatformError,
    Profile,
    Published,
    PublishRequest,
    RateLimited,
    lookup_in_batches,
    same_text,
)
from connectors.http import CountingSession
from connectors.x_translate import (
    NAME,
    latest_post_time,
    retry_at,
    search_query,
    translate,
    tweet_url,
    user_profile,
    v1_user_profile,
)
from service import clock
from service.settings import Settings
from workflows.platforms import Platform

USER_FIELDS = [
    "created_at",
    "description",
    "entities",
    "location",
    "profile_image_url",
    "public_metrics",
    "url",
    "verified",
    "verified_type",
]
USER_SEARCH = "x user search (v1.1 users/search)"
POST_SEARCH = "x recent post search"
SEARCH_PAGES = 3  # pages of 100 recent posts read per search
MAX_MEDIA = 4
X_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")


class XConnector:
    name = NAME
    platform = Platform.x
    max_lookup_batch = 100

    def __init__(
        self,
        *,
        bearer_token: str | None,
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        timeout: float = 20,
    ) -> None:
        self._bearer_token = bearer_token
        self._consumer = (consumer_key, consumer_secret)
        self._timeout = timeout
        self._session = CountingSession(timeout)
        self._exhausted: dict[str, datetime] = {}
        self._denied: set[str] = set()

    @classmethod
    def from_settings(cls, settings: Settings) -> "XConnector":
        bearer = settings.x_bearer_token
        secret = settings.x_consumer_secret
        if bearer is None and not (settings.x_consumer_key and secret):
            raise ConnectorNotConfigured(
                NAME,
                "set IMPRIMATUR_X_BEARER_TOKEN (scans) and IMPRIMATUR_X_CONSUMER_KEY / "
                "IMPRIMATUR_X_CONSUMER_SECRET (publishing)",
            )
        return cls(
            bearer_token=bearer.get_secret_value() if bearer else None,
            consumer_key=settings.x_consumer_key,
            consumer_secret=secret.get_secret_value() if secret else None,
            timeout=settings.connector_timeout_seconds,
        )

    @property
    def api_calls(self) -> int:
        return self._session.calls

    @property
    def denied_features(self) -> frozenset[str]:
        return frozenset(self._denied)

    # --- reading ---------------------------------------------------------------------------

    def lookup_handles(self, handles: Sequence[str]) -> list[Profile]:
        """One `GET /2/users/by` per 100 handles; unknown or suspended handles are skipped."""
        return lookup_in_batches(NAME, handles, self.max_lookup_batch, self._lookup_batch, X_HANDLE)

    def _lookup_batch(self, batch: Sequence[str]) -> list[Profile]:
        client = self._app_client()
        body = self._read(
            "/2/users/by",
            "x user lookup",
            lambda: client.get_users(usernames=list(batch), user_fields=USER_FIELDS),
        )
        return [user_profile(user) for user in body.get("data", [])]

    def search_accounts(self, query: str, limit: int = 100) -> list[Profile]:
        """People search where the tier allows it, then authors of recent posts naming `query`."""
        found: dict[str, Profile] = {}
        if USER_SEARCH not in self._denied:
            try:
                for profile in self._search_users(query, min(limit, 20)):
                    found.setdefault(profile.platform_id, profile)
            except PermissionMissing:
                self._denied.add(USER_SEARCH)
        for profile in self._recent_authors(query, limit):
            found.setdefault(profile.platform_id, profile)
        return list(found.values())[:limit]

    def _search_users(self, query: str, count: int) -> list[Profile]:
        api = self._api(tweepy.OAuth2BearerHandler(self._need_bearer()))
        with self._errors(USER_SEARCH):
            users = api.search_users(q=query, count=count, include_entities=True)
        return [v1_user_profile(user._json) for user in users]

    def _recent_authors(self, query: str, limit: int) -> Iterator[Profile]:
        client = self._app_client()
        seen = 0
        token: str | None = None
        for _ in range(SEARCH_PAGES):
            search = partial(
                client.search_recent_tweets,
                query=search_query(query),
                max_results=100,
                expansions=["author_id"],
                user_fields=USER_FIELDS,
                next_token=token,
            )
            body = self._read("/2/tweets/search/recent", POST_SEARCH, search)
            for user in body.get("includes", {}).get("users", []):
                seen += 1
                yield user_profile(user)
            token = body.get("meta", {}).get("next_token")
            if not token or seen >= limit:
                return

    def latest_activity(self, handle: str, platform_id: str | None = None) -> datetime | None:
        """One user lookup (by id when known) with the most recent post expanded: one user and
        one post read, where the timeline would read five posts."""
        client = self._app_client()
        if platform_id:
            route = "/2/users/:id"
            who: dict[str, str] = {"id": platform_id}
        else:
            route = "/2/users/by/username/:username"
            who = {"username": handle.strip().removeprefix("@")}
        lookup = partial(
            client.get_user,
            **who,
            user_fields=["most_recent_tweet_id"],
            expansions=["most_recent_tweet_id"],
            tweet_fields=["created_at"],
        )
        return latest_post_time(self._read(route, "x latest activity", lookup))

    # --- publishing ------------------------------------------------------------------------

    def publish(self, post: PublishRequest, credentials: Credentials) -> Published:
        if len(post.media) > MAX_MEDIA:
            raise PlatformError(NAME, f"X allows at most {MAX_MEDIA} media per post")
        media_ids = [self._upload(media_file, credentials) for media_file in post.media]
        client = self._user_client(credentials)
        with self._errors("x post publishing"):
            body = client.create_tweet(text=post.text, media_ids=media_ids or None, user_auth=True)
        tweet_id = str(body["data"]["id"])
        return Published(tweet_id, tweet_url(post.handle, tweet_id))

    def _upload(self, media_file: MediaFile, credentials: Credentials) -> str:
        api = self._api(tweepy.OAuth1UserHandler(*self._oauth1_keys(credentials)))
        data = io.BytesIO(media_file.data)
        kind = media_file.content_type
        with self._errors("x media upload"):
            if kind.startswith("video/") or kind == "image/gif":
                category = "tweet_gif" if kind == "image/gif" else "tweet_video"
                media = api.chunked_upload(
                    media_file.filename, file=data, file_type=kind, media_category=category
                )
            else:
                media = api.simple_upload(
                    media_file.filename, file=data, media_category="tweet_image"
                )
        return str(media.media_id_string)

    def delete(self, platform_post_id: str, credentials: Credentials) -> None:
        client = self._user_client(credentials)
        with self._errors("x post deletion"):
            client.delete_tweet(platform_post_id, user_auth=True)

    def find_published(self, post: PublishRequest, credentials: Credentials) -> Published | None:
        """The oldest of the account's last 100 posts (since `not_before`) with this text."""
        client = self._user_client(credentials)
        with self._errors("x post reconciliation"):
            user_id = credentials.account_platform_id
            if user_id is None:
                user_id = str(client.get_me(user_auth=True)["data"]["id"])
            body = client.get_users_tweets(
                user_id,
                max_results=100,
                exclude=["retweets", "replies"],
                start_time=post.not_before,
                tweet_fields=["created_at"],
                user_auth=True,
            )
        matches = [t for t in body.get("data", []) if same_text(t.get("text", ""), post.text)]
        if not matches:
            return None
        tweet_id = str(matches[-1]["id"])
        return Published(tweet_id, tweet_url(post.handle, tweet_id))

    # --- plumbing --------------------------------------------------------------------------

    def _need_bearer(self) -> str:
        if not self._bearer_token:
            raise ConnectorNotConfigured(NAME, "set IMPRIMATUR_X_BEARER_TOKEN to read from X")
        return self._bearer_token

    def _app_client(self) -> Any:
        client = tweepy.Client(bearer_token=self._need_bearer(), return_type=dict)
        client.session = self._session
        return client

    def _oauth1_keys(self, credentials: Credentials) -> tuple[str, str, str, str]:
        consumer_key, consumer_secret = self._consumer
        if not (consumer_key and consumer_secret):
            raise ConnectorNotConfigured(
                NAME, "set IMPRIMATUR_X_CONSUMER_KEY and IMPRIMATUR_X_CONSUMER_SECRET to publish"
            )
        if not credentials.access_token_secret:
            raise AuthError(NAME, "X publishing needs the account's OAuth 1.0a token and secret")
        return (
            consumer_key,
            consumer_secret,
            credentials.access_token,
            credentials.access_token_secret,
        )

    def _user_client(self, credentials: Credentials) -> Any:
        key, secret, token, token_secret = self._oauth1_keys(credentials)
        client = tweepy.Client(
            consumer_key=key,
            consumer_secret=secret,
            access_token=token,
            access_token_secret=token_secret,
            return_type=dict,
        )
        client.session = self._session
        return client

    def _api(self, auth: Any) -> Any:
        api = tweepy.API(auth, timeout=self._timeout)
        api.session = self._session
        return api

    def _read(self, route: str, feature: str, call: Callable[[], Any]) -> dict[str, Any]:
        """An app-auth read; remembers when the route's window ran out so we do not call it."""
        until = self._exhausted.get(route)
        if until is not None and until > clock.now():
            raise RateLimited(NAME, f"rate limit for {route} used up", until)
        try:
            with self._errors(feature):
                body: dict[str, Any] = call()
        except RateLimited as limited:
            self._exhausted[route] = limited.retry_at
            raise
        response = self._session.last_response
        if response is not None and response.headers.get("x-rate-limit-remaining") == "0":
            self._exhausted[route] = retry_at(response.headers)
        return body

    @contextmanager
    def _errors(self, feature: str) -> Iterator[None]:
        try:
            yield
        except (tweepy.TweepyException, requests.RequestException) as error:
            translated = translate(error, feature)
            if isinstance(translated, PermissionMissing):
                self._denied.add(feature)
            raise translated from error
