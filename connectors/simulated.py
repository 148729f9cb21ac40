"""A platform that lives in two files, so the demo and tests run the whole loop offline.

Accounts come from `simulated_profiles_path` (JSONL, or a JSON array, in the profile format of
`shared/eval/impersonation/README.md`); publishing appends events to `simulated_published_path`
(JSONL) when set, and always to the in-memory `published` list. One call per lookup batch,
search, publish, delete, reconciliation or activity read is counted in `api_calls`.

A profile record may carry `latest_post_at` (ISO 8601), the newest post the platform shows;
`latest_activity` returns the later of it and the account's live published posts.

Tests (and the demo) can make the next call fail with `fail_next(error)`; with
`after_publishing=True` a publish is recorded first and then fails, as when a platform
accepted a post but the answer never arrived, which `find_published` then reconciles.
"""

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.base import (
    ConnectorError,
    Credentials,
    NotFound,
    Profile,
    Published,
    PublishRequest,
    lookup_in_batches,
)
from service import clock
from service.settings import Settings
from workflows.platforms import Platform

NAME = "simulated"


def load_records(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        records: list[dict[str, Any]] = json.loads(text)
        return records
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def load_profiles(path: Path) -> list[Profile]:
    return [profile_from_record(record, path.parent) for record in load_records(path)]


def profile_from_record(record: dict[str, Any], base: Path) -> Profile:
    platform = Platform(record["platform"])
    prefix, _, rest = str(record["id"]).partition(":")
    image = record.get("profile_image")
    if image and "://" not in image:
        image = (base / image).resolve().as_uri()
    created = record.get("created_at")
    return Profile(
        platform=platform,
        platform_id=rest if rest and prefix == platform else str(record["id"]),
        handle=record["handle"],
        display_name=record.get("display_name") or "",
        bio=record.get("bio") or "",
        url=record.get("url"),
        location=record.get("location"),
        created_at=_aware(datetime.fromisoformat(created)) if created else None,
        followers=record.get("followers"),
        verified=bool(record.get("verified")),
        profile_image_url=image,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SimulatedConnector:
    name = NAME
    max_lookup_batch = 100

    def __init__(
        self,
        *,
        profiles_path: Path | None = None,
        published_path: Path | None = None,
        platform: Platform | None = None,
        latency_seconds: float = 0,
    ) -> None:
        self.platform = platform
        self._latency = latency_seconds
        records = load_records(profiles_path) if profiles_path else []
        self.profiles: list[Profile] = []
        # Profile.key → the newest post the platform shows (the record's `latest_post_at`).
        self.latest_posts: dict[str, datetime] = {}
        for record in records:
            profile = profile_from_record(record, profiles_path.parent if profiles_path else Path())
            if platform is not None and profile.platform != platform:
                continue
            self.profiles.append(profile)
            if record.get("latest_post_at"):
                latest = _aware(datetime.fromisoformat(record["latest_post_at"]))
                self.latest_posts[profile.key] = latest
        self._published_path = published_path
        self.published: list[dict[str, Any]] = []
        self._failures: list[tuple[ConnectorError, bool]] = []
        self._calls = 0
        if published_path is not None and published_path.exists():
            for line in published_path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    self._apply(json.loads(line))

    @classmethod
    def from_settings(
        cls, settings: Settings, platform: Platform | None = None
    ) -> "SimulatedConnector":
        return cls(
            profiles_path=settings.simulated_profiles_path,
            published_path=settings.simulated_published_path,
            platform=platform,
            latency_seconds=settings.simulated_latency_seconds,
        )

    @property
    def api_calls(self) -> int:
        return self._calls

    @property
    def denied_features(self) -> frozenset[str]:
        return frozenset()

    def fail_next(self, error: ConnectorError, *, after_publishing: bool = False) -> None:
        self._failures.append((error, after_publishing))

    def _call(self, publishing: bool = False) -> None:
        self._calls += 1
        if self._failures and not (publishing and self._failures[0][1]):
            raise self._failures.pop(0)[0]

    def lookup_handles(self, handles: Sequence[str]) -> list[Profile]:
        return lookup_in_batches(NAME, handles, self.max_lookup_batch, self._lookup_batch)

    def _lookup_batch(self, batch: Sequence[str]) -> list[Profile]:
        self._call()
        wanted = {handle.casefold() for handle in batch}
        return [p for p in self.profiles if p.handle.casefold() in wanted]

    def search_accounts(self, query: str, limit: int = 100) -> list[Profile]:
        """Profiles whose handle, name or bio holds the query, or every word of it."""
        self._call()
        needle = query.casefold().strip()
        words = needle.split()
        if not words:
            return []
        found = []
        for profile in self.profiles:
            text = f"{profile.handle} {profile.display_name} {profile.bio}".casefold()
            if needle in text or all(word in text for word in words):
                found.append(profile)
        return found[:limit]

    def publish(self, post: PublishRequest, credentials: Credentials) -> Published:
        self._call(publishing=True)
        time.sleep(self._latency)  # a slow platform, for demos of in-flight work
        handle = post.handle or credentials.extra.get("handle") or f"account-{post.target_id}"
        post_id = f"sim-{len(self.published) + 1}"
        url = f"https://simulated.example/{handle}/posts/{post_id}"
        event = {
            "event": "published",
            "platform": self.platform,
            "platform_post_id": post_id,
            "url": url,
            "post_id": post.post_id,
            "target_id": post.target_id,
            "handle": handle,
            "text": post.text,
            "idempotency_key": post.idempotency_key,
            "media": [media.filename for media in post.media],
            "public_media_urls": list(post.public_media_urls),
            "published_at": clock.now().isoformat(),
        }
        self._record(event)
        if self._failures and self._failures[0][1]:
            raise self._failures.pop(0)[0]
        return Published(post_id, url)

    def delete(self, platform_post_id: str, credentials: Credentials) -> None:
        self._call()
        if self._live(platform_post_id) is None:
            raise NotFound(NAME, f"no post {platform_post_id}")
        event = {
            "event": "deleted",
            "platform_post_id": platform_post_id,
            "deleted_at": clock.now().isoformat(),
        }
        self._record(event)

    def find_published(self, post: PublishRequest, credentials: Credentials) -> Published | None:
        self._call()
        for record in self.published:
            if not record.get("deleted") and record["idempotency_key"] == post.idempotency_key:
                return Published(record["platform_post_id"], record["url"])
        return None

    def latest_activity(self, handle: str, platform_id: str | None = None) -> datetime | None:
        self._call()
        wanted = handle.strip().removeprefix("@").casefold()
        profile = next(
            (
                p
                for p in self.profiles
                if p.platform_id == platform_id or p.handle.casefold() == wanted
            ),
            None,
        )
        times = [
            _aware(datetime.fromisoformat(record["published_at"]))
            for record in self.published
            if not record.get("deleted")
            and str(record.get("handle", "")).casefold() == wanted
            and (self.platform is None or record.get("platform") in (None, self.platform))
        ]
        if profile is None and not times:
            raise NotFound(NAME, f"no account @{handle}")
        if profile is not None and profile.key in self.latest_posts:
            times.append(self.latest_posts[profile.key])
        return max(times, default=None)

    def _live(self, platform_post_id: str) -> dict[str, Any] | None:
        for record in self.published:
            if record["platform_post_id"] == platform_post_id and not record.get("deleted"):
                return record
        return None

    def _record(self, event: dict[str, Any]) -> None:
        self._apply(event)
        if self._published_path is not None:
            self._published_path.parent.mkdir(parents=True, exist_ok=True)
            with self._published_path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(event) + "\n")

    def _apply(self, event: dict[str, Any]) -> None:
        if event.get("event") == "deleted":
            record = self._live(event["platform_post_id"])
            if record is not None:
                record["deleted"] = event["deleted_at"]
        else:
            self.published.append(dict(event))
