"""The institution as impersonation scoring sees it, and the candidate profiles it scores.

Everything institution-specific (names, places, programs, the register) arrives here as data,
so the same scorer serves every school. Plain dataclasses keep `workflows` free of the
database and of file I/O: the caller reads files and hands over values.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from workflows.impersonation.images import ImageFingerprint
from workflows.platforms import Platform
from workflows.profile_urls import handle_key


@dataclass(frozen=True)
class OfficialAccount:
    """A registered account: exact matches are official, near matches are suspects."""

    platform: Platform
    handle: str
    display_name: str = ""
    image: ImageFingerprint | None = None

    @property
    def key(self) -> str:
        return handle_key(self.platform, self.handle)


@dataclass(frozen=True)
class InstitutionProfile:
    name: str
    aliases: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    location: str = ""
    campuses: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    logos: tuple[ImageFingerprint, ...] = ()
    official_accounts: tuple[OfficialAccount, ...] = ()

    def is_registered(self, platform: Platform | str, handle: str) -> bool:
        try:
            known = Platform(platform)
        except ValueError:
            return False
        return (known, handle_key(known, handle)) in self._register

    @cached_property
    def _register(self) -> frozenset[tuple[Platform, str]]:
        return frozenset((a.platform, a.key) for a in self.official_accounts)


@dataclass(frozen=True)
class CandidateProfile:
    """One account found by a scan, mirroring the fields platforms expose publicly."""

    id: str
    platform: str
    handle: str
    display_name: str = ""
    bio: str = ""
    url: str | None = None
    location: str | None = None
    created_at: datetime | None = None
    followers: int | None = None
    verified: bool = False
    image: ImageFingerprint | None = None


def _strings(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, Iterable):
        return tuple(str(v).strip() for v in value if v is not None and str(v).strip())
    return (str(value),)


def institution_from_mapping(
    data: Mapping[str, object],
    *,
    logos: Iterable[ImageFingerprint] = (),
    account_images: Mapping[tuple[str, str], ImageFingerprint] | None = None,
) -> InstitutionProfile:
    """Builds the profile from the eval YAML shape (and the service's institution fields).

    Logo files are the caller's business (paths are relative to the YAML file); it passes
    their fingerprints in. Accounts on platforms we do not know are kept out rather than
    guessed at.
    """
    accounts: list[OfficialAccount] = []
    raw_accounts = data.get("official_accounts") or []
    if isinstance(raw_accounts, Iterable):
        for raw in raw_accounts:
            if not isinstance(raw, Mapping):
                continue
            try:
                platform = Platform(str(raw.get("platform", "")).strip().casefold())
            except ValueError:
                continue
            handle = str(raw.get("handle", "")).strip().removeprefix("@")
            if not handle:
                continue
            image = (account_images or {}).get((platform.value, handle_key(platform, handle)))
            display = str(raw.get("display_name") or "").strip()
            accounts.append(OfficialAccount(platform, handle, display, image))
    return InstitutionProfile(
        name=str(data.get("name", "")).strip(),
        aliases=_strings(data.get("aliases")),
        domains=tuple(d.casefold().removeprefix("www.") for d in _strings(data.get("domains"))),
        location=str(data.get("location") or "").strip(),
        campuses=_strings(data.get("campuses")),
        departments=_strings(data.get("departments")),
        logos=tuple(logos),
        official_accounts=tuple(accounts),
    )


def parse_timestamp(value: object) -> datetime | None:
    """ISO 8601 with a 'Z' or an offset; naive times are taken as UTC like the scans store."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def candidate_from_mapping(
    data: Mapping[str, object], *, image: ImageFingerprint | None = None
) -> CandidateProfile:
    """The eval JSONL shape; missing or malformed optional fields become 'unknown'."""
    followers = data.get("followers")
    return CandidateProfile(
        id=str(data.get("id", "")),
        platform=str(data.get("platform", "")).strip().casefold(),
        handle=str(data.get("handle") or "").strip().removeprefix("@"),
        display_name=str(data.get("display_name") or ""),
        bio=str(data.get("bio") or ""),
        url=str(data["url"]) if data.get("url") else None,
        location=str(data["location"]) if data.get("location") else None,
        created_at=parse_timestamp(data.get("created_at")),
        followers=followers if isinstance(followers, int) else None,
        verified=bool(data.get("verified")),
        image=image,
    )
