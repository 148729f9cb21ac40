"""X's answers in our terms: tweepy's exceptions, rate-limit headers and user payloads."""

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import tweepy  # type: ignore[import-untyped]

from connectors.base import (
    AuthError,
    ConnectorError,
    NotFound,
    PermissionMissing,
    PlatformError,
    Profile,
    RateLimited,
)
from service import clock
from workflows.platforms import Platform

NAME = "x"
DEFAULT_WAIT = timedelta(seconds=60)  # when a 429 carries no reset header
TWITTER_EPOCH_MS = 1288834974657  # post ids are snowflakes: milliseconds since this, << 22
_TIER_REFUSALS = ("client-not-enrolled", "client-forbidden", "oauth1-permissions")
_TIER_CODES = {453, 220}  # v1.1: "limited v1.1 access", "credentials do not allow access"


def translate(error: Exception, feature: str) -> ConnectorError:
    """tweepy's (and requests') exceptions in our terms."""
    if isinstance(error, tweepy.TooManyRequests):
        return RateLimited(NAME, _describe(error), retry_at(error.response.headers))
    if isinstance(error, tweepy.Unauthorized):
        return AuthError(NAME, _describe(error))
    if isinstance(error, tweepy.Forbidden):
        if _tier_refused(error):
            return PermissionMissing(NAME, feature, _describe(error))
        if any("duplicate content" in message for message in error.api_messages):
            return PlatformError(NAME, _describe(error), status=403)
        return AuthError(NAME, _describe(error))
    if isinstance(error, tweepy.NotFound):
        return NotFound(NAME, _describe(error))
    if isinstance(error, tweepy.HTTPException):
        status = error.response.status_code
        retryable = isinstance(error, tweepy.TwitterServerError)
        return PlatformError(NAME, _describe(error), status=status, retryable=retryable)
    cause = error if isinstance(error, requests.RequestException) else error.__context__
    if isinstance(cause, requests.RequestException):
        return PlatformError(NAME, f"network error ({type(cause).__name__})", retryable=True)
    return PlatformError(NAME, type(error).__name__)


def retry_at(headers: Mapping[str, str]) -> datetime:
    """The latest reset among the exhausted windows (15-minute, app and user 24-hour)."""
    resets = [
        int(reset)
        for prefix in ("x-rate-limit", "x-app-limit-24hour", "x-user-limit-24hour")
        if (reset := headers.get(f"{prefix}-reset", "")).isdigit()
        and headers.get(f"{prefix}-remaining") == "0"
    ]
    if not resets and (reset := headers.get("x-rate-limit-reset", "")).isdigit():
        resets.append(int(reset))
    if not resets:
        return clock.now() + DEFAULT_WAIT
    return datetime.fromtimestamp(max(resets), UTC)


def search_query(text: str) -> str:
    words = " ".join(text.replace('"', " ").split())
    phrase = f'"{words}"' if " " in words else words
    return f"{phrase} -is:retweet"


def tweet_url(handle: str | None, tweet_id: str) -> str:
    return f"https://x.com/{handle or 'i/web'}/status/{tweet_id}"


def _tier_refused(error: Any) -> bool:
    try:
        body = error.response.json()
    except ValueError:
        body = {}
    kinds = f"{body.get('reason', '')} {body.get('type', '')}" if isinstance(body, dict) else ""
    return any(k in kinds for k in _TIER_REFUSALS) or bool(_TIER_CODES & set(error.api_codes))


def _describe(error: Any) -> str:
    return re.sub(r"\s+", " ", str(error)).strip()[:500]


def _expanded_url(user: Mapping[str, Any]) -> str | None:
    urls = user.get("entities", {}).get("url", {}).get("urls", [])
    if urls and urls[0].get("expanded_url"):
        return str(urls[0]["expanded_url"])
    return user.get("url") or None


def user_profile(user: Mapping[str, Any]) -> Profile:
    """An API v2 user object."""
    created = user.get("created_at")
    verified_type = user.get("verified_type")
    return Profile(
        platform=Platform.x,
        platform_id=str(user["id"]),
        handle=user["username"],
        display_name=user.get("name") or "",
        bio=user.get("description") or "",
        url=_expanded_url(user),
        location=user.get("location") or None,
        created_at=datetime.fromisoformat(created) if created else None,
        followers=user.get("public_metrics", {}).get("followers_count"),
        verified=bool(user.get("verified")) or verified_type not in (None, "none"),
        profile_image_url=user.get("profile_image_url"),
    )


def v1_user_profile(user: Mapping[str, Any]) -> Profile:
    """An API v1.1 user object (people search)."""
    created = user.get("created_at")
    return Profile(
        platform=Platform.x,
        platform_id=str(user["id_str"]),
        handle=user["screen_name"],
        display_name=user.get("name") or "",
        bio=user.get("description") or "",
        url=_expanded_url(user),
        location=user.get("location") or None,
        created_at=datetime.strptime(created, "%a %b %d %H:%M:%S %z %Y") if created else None,
        followers=user.get("followers_count"),
        verified=bool(user.get("verified")),
        profile_image_url=user.get("profile_image_url_https"),
    )


def latest_post_time(body: Mapping[str, Any]) -> datetime | None:
    """A user lookup with the `most_recent_tweet_id` field and expansion: the post's
    `created_at` from `includes`, else the time inside its snowflake id; None if it has none."""
    user = body.get("data")
    if not isinstance(user, Mapping):
        errors = body.get("errors") or [{}]
        raise NotFound(NAME, str(errors[0].get("detail") or "no such user"))
    tweet_id = user.get("most_recent_tweet_id")
    if not tweet_id:
        return None
    for tweet in body.get("includes", {}).get("tweets", []):
        if str(tweet.get("id")) == str(tweet_id) and tweet.get("created_at"):
            return datetime.fromisoformat(tweet["created_at"])
    return snowflake_time(str(tweet_id))


def snowflake_time(tweet_id: str) -> datetime | None:
    if not tweet_id.isdigit():
        return None
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + TWITTER_EPOCH_MS) / 1000, UTC)
