"""What every platform connector speaks: typed profiles, publish requests, results and errors.

Nothing here imports a platform client. Services and jobs depend on these names only; a
connector module translates its client library into them.
"""

import html
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar, runtime_checkable

from workflows.platforms import Platform


@dataclass(frozen=True)
class Profile:
    """One account as a platform shows it, in the shape scans and scoring consume.

    `url` is the website the profile links to (X's `url`, Instagram's `website`), not the
    profile's own address: that one is `workflows.profile_urls.profile_url`.
    """

    platform: Platform
    platform_id: str
    handle: str
    display_name: str
    bio: str = ""
    url: str | None = None
    location: str | None = None
    created_at: datetime | None = None
    followers: int | None = None
    verified: bool = False
    profile_image_url: str | None = None

    def __post_init__(self) -> None:
        if self.created_at is not None and self.created_at.tzinfo is None:
            raise ValueError("Profile.created_at must be timezone-aware")

    @property
    def key(self) -> str:
        """`platform:platform_id`, the `id` of the scoring profile format."""
        return f"{self.platform}:{self.platform_id}"


@dataclass(frozen=True)
class MediaFile:
    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class PublishRequest:
    """One approved post for one target account.

    `idempotency_key` identifies the attempt for reconciliation; platforms keep no metadata of
    ours, so the real connectors reconcile by the exact text among the account's recent posts
    created at or after `not_before` (set it to when the first attempt started).
    `public_media_urls` are needed where the platform fetches media itself (Instagram);
    `handle` only shapes the returned post URL.
    """

    post_id: int
    target_id: int
    text: str
    idempotency_key: str
    media: tuple[MediaFile, ...] = ()
    public_media_urls: tuple[str, ...] = ()
    handle: str | None = None
    not_before: datetime | None = None


@dataclass(frozen=True)
class Published:
    platform_post_id: str
    url: str


@dataclass(frozen=True)
class Credentials:
    """An official account's tokens. The repr never shows them, nor the values of `extra`."""

    access_token: str
    access_token_secret: str | None = None
    account_platform_id: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"Credentials(access_token=<hidden>, access_token_secret="
            f"{'<hidden>' if self.access_token_secret else None}, "
            f"account_platform_id={self.account_platform_id!r}, extra_keys={sorted(self.extra)!r})"
        )

    __str__ = __repr__


class ConnectorError(Exception):
    """Anything a connector refuses or a platform answers with, in our terms."""

    def __init__(self, platform: str, message: str) -> None:
        super().__init__(f"{platform}: {message}")
        self.platform = platform
        self.message = message


class ConnectorNotConfigured(ConnectorError):
    """The platform is unknown, or its settings are missing; the message names them."""


class AuthError(ConnectorError):
    """The token is invalid, expired or revoked: a person must reconnect the account."""


class RateLimited(ConnectorError):
    """Try again at `retry_at`. `partial` holds what a multi-call lookup gathered before."""

    def __init__(
        self, platform: str, message: str, retry_at: datetime, partial: Sequence[Profile] = ()
    ) -> None:
        super().__init__(platform, message)
        self.retry_at = retry_at
        self.partial: tuple[Profile, ...] = tuple(partial)


class NotFound(ConnectorError):
    """The account or post does not exist (or is not visible to us)."""


class PermissionMissing(ConnectorError):
    """The app lacks a platform feature or access tier; retrying will not help."""

    def __init__(self, platform: str, feature: str, message: str = "") -> None:
        super().__init__(platform, message or f"the app has no access to {feature}")
        self.feature = feature


class PlatformError(ConnectorError):
    """Any other failure. `retryable` for 5xx, timeouts and transient platform errors."""

    def __init__(
        self, platform: str, message: str, *, status: int | None = None, retryable: bool = False
    ) -> None:
        super().__init__(platform, message)
        self.status = status
        self.retryable = retryable


@runtime_checkable
class Connector(Protocol):
    """The only way the rest of Imprimatur talks to a platform.

    `name` is the registry name; `platform` is None only for a connector serving several
    platforms (the simulated one). `api_calls` counts HTTP requests made by this instance.
    `denied_features` lists features the platform refused this instance (see PermissionMissing).
    """

    @property
    def name(self) -> str: ...

    @property
    def platform(self) -> Platform | None: ...

    @property
    def max_lookup_batch(self) -> int: ...

    @property
    def api_calls(self) -> int: ...

    @property
    def denied_features(self) -> frozenset[str]: ...

    def lookup_handles(self, handles: Sequence[str]) -> list[Profile]: ...

    def search_accounts(self, query: str, limit: int = 100) -> list[Profile]: ...

    def publish(self, post: PublishRequest, credentials: Credentials) -> Published: ...

    def delete(self, platform_post_id: str, credentials: Credentials) -> None: ...

    def find_published(
        self, post: PublishRequest, credentials: Credentials
    ) -> Published | None: ...

    def latest_activity(self, handle: str, platform_id: str | None = None) -> datetime | None:
        """When the account last posted (timezone-aware), None if it never has.

        Takes what the register stores: the handle, and the platform's account id when known
        (preferred where the platform can look up by id). Raises `NotFound` for an account the
        platform does not show."""
        ...


T = TypeVar("T")


def batched(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def unique_handles(handles: Sequence[str]) -> list[str]:
    """Strip `@`, drop blanks and case-insensitive duplicates, keep the first spelling."""
    seen: set[str] = set()
    result: list[str] = []
    for raw in handles:
        handle = raw.strip().removeprefix("@")
        if handle and handle.casefold() not in seen:
            seen.add(handle.casefold())
            result.append(handle)
    return result


def lookup_in_batches(
    platform: str,
    handles: Sequence[str],
    size: int,
    fetch: Callable[[Sequence[str]], list[Profile]],
    valid: re.Pattern[str] | None = None,
) -> list[Profile]:
    """Calls `fetch(batch) -> list[Profile]` per full batch of distinct handles the platform
    could have (`valid`; others cannot exist there and would spoil a batch). A rate limit
    keeps what came before in `RateLimited.partial`."""
    wanted = [h for h in unique_handles(handles) if valid is None or valid.fullmatch(h)]
    profiles: list[Profile] = []
    for batch in batched(wanted, size):
        try:
            profiles.extend(fetch(batch))
        except RateLimited as limited:
            raise RateLimited(platform, limited.message, limited.retry_at, profiles) from limited
    return profiles


_URL = re.compile(r"https?://\S+")
_SPACE = re.compile(r"\s+")


def same_text(published: str, wanted: str) -> bool:
    """Platforms shorten links, append media links and escape entities; compare what is left."""

    def norm(text: str) -> str:
        return _SPACE.sub(" ", _URL.sub("", html.unescape(text))).strip().casefold()

    return norm(published) == norm(wanted)
