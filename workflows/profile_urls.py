"""Reduce whatever people paste for an account (profile URLs, @handles) to one identity.

Registering one account twice, or mistaking a lookalike for a registered account, are the
mistakes an official-account register exists to prevent. So every spelling of a profile must
reduce to the same `ProfileRef`, and anything we cannot vouch for is refused with a reason a
school administrator can act on, rather than guessed at.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlsplit

from workflows.platforms import Platform

# Real profile URLs are short; the cap keeps hostile input from costing us anything.
MAX_URL_LENGTH = 2048


class ProfileUrlError(ValueError):
    """The text is not a profile URL or handle we recognise.

    str(e) is a plain-language message, fit to show as-is in a 422 response.
    """


@dataclass(frozen=True)
class ProfileRef:
    """One account on one platform.

    `handle` keeps the case it was entered with, because that is how people recognise it.
    `by_id` marks accounts named by an opaque id (Facebook numeric id, YouTube channel id,
    Bluesky DID) that cannot be shown as an @handle. Legacy YouTube `/c/` and `/user/` names
    keep their prefix ("c/Name"): they need not match the channel's @handle, and assuming they
    do could register whoever owns that handle.
    """

    platform: Platform
    handle: str
    by_id: bool = False

    @property
    def key(self) -> str:
        """Used for uniqueness and lookups, where case must not create a second account."""
        return handle_key(self.platform, self.handle)


def handle_key(platform: Platform, handle: str) -> str:
    """Facebook also ignores dots: its help centre says john.smith55 and JohnSmith55 are the
    same username, so they must collide here too."""
    key = handle.casefold()
    return key.replace(".", "") if platform is Platform.facebook else key


@dataclass(frozen=True)
class _Rule:
    name: str
    handle: re.Pattern[str]
    what: str
    ids: re.Pattern[str] | None = None
    reserved: frozenset[str] = frozenset()


def _reserved(platform: Platform, words: str) -> frozenset[str]:
    """Compared by key, so a dotted or recased spelling cannot slip past on Facebook."""
    return frozenset(handle_key(platform, word) for word in words.split())


_IG_HANDLE = r"(?!\.+\Z)[A-Za-z0-9._]{1,30}"
_IG_WHAT = "username (up to 30 letters, digits, dots or underscores)"

_RULES: dict[Platform, _Rule] = {
    Platform.x: _Rule(
        "X",
        re.compile(r"[A-Za-z0-9_]{1,15}"),
        "handle (1 to 15 letters, digits or underscores)",
        reserved=_reserved(
            Platform.x,
            "home explore search i intent share hashtag messages notifications settings login"
            " logout signup signin tos privacy compose about account download help jobs lists"
            " communities premium bookmarks topics who_to_follow oauth",
        ),
    ),
    # Usernames need a letter (all digits is a numeric id). The 5-character minimum is not
    # enforced because older pages predate it (facebook.com/cnn).
    Platform.facebook: _Rule(
        "Facebook",
        re.compile(r"(?!.*\.php\Z)(?=[0-9.]*[A-Za-z])[A-Za-z0-9.]{1,50}"),
        "username (up to 50 letters, digits or dots, with at least one letter)",
        ids=re.compile(r"[1-9][0-9]{0,19}"),
        reserved=_reserved(
            Platform.facebook,
            "groups events watch share sharer login marketplace gaming help policies photo"
            " photos hashtag search settings messages notifications friends privacy terms legal"
            " ads business reel reels stories videos live dialog plugins media bookmarks saved"
            " fundraisers jobs places pg pages people p home",
        ),
    ),
    Platform.instagram: _Rule(
        "Instagram",
        re.compile(_IG_HANDLE),
        _IG_WHAT,
        reserved=_reserved(
            Platform.instagram,
            "p reel reels tv explore stories accounts direct about developer legal web"
            " challenge emails session oauth graphql api static privacy terms press jobs blog"
            " help directory create s",
        ),
    ),
    Platform.youtube: _Rule(
        "YouTube",
        re.compile(r"[A-Za-z0-9._-]{3,30}|(?:c|user)/[A-Za-z0-9_-]{1,100}"),
        "handle (3 to 30 letters, digits, dots, dashes or underscores)",
        ids=re.compile(r"UC[A-Za-z0-9_-]{22}"),
    ),
    Platform.tiktok: _Rule(
        "TikTok",
        re.compile(r"[A-Za-z0-9_.]{2,24}"),
        "username (2 to 24 letters, digits, dots or underscores)",
    ),
    # Stored percent-decoded so a slug pasted from the address bar and one copied as a link
    # are the same page; profile_url re-encodes it.
    Platform.linkedin: _Rule(
        "LinkedIn",
        re.compile(r"[\w-]{1,100}"),
        "page name (up to 100 letters, digits, dashes or underscores)",
    ),
    Platform.bluesky: _Rule(
        "Bluesky",
        re.compile(
            r"(?=.{1,253}\Z)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
            r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
        ),
        "handle (a domain name such as school.bsky.social) or DID",
        ids=re.compile(r"did:(?:plc:[a-z2-7]{24}|web:[A-Za-z0-9.-]{1,253})"),
    ),
    Platform.threads: _Rule("Threads", re.compile(_IG_HANDLE), _IG_WHAT),
}

_DOMAINS: dict[str, Platform] = {
    **dict.fromkeys(["x.com", "twitter.com"], Platform.x),
    **dict.fromkeys(["facebook.com", "fb.com"], Platform.facebook),
    **dict.fromkeys(["instagram.com", "instagr.am"], Platform.instagram),
    "youtube.com": Platform.youtube,
    "tiktok.com": Platform.tiktok,
    "linkedin.com": Platform.linkedin,
    "bsky.app": Platform.bluesky,
    **dict.fromkeys(["threads.net", "threads.com"], Platform.threads),
}
# Only the platform's own well-known front ends: other subdomains are not profile pages.
_SUBDOMAINS = frozenset({"www", "m", "mobile", "web"})
_SUPPORTED = ", ".join(_DOMAINS)

_PROFILE_URLS: dict[Platform, str] = {
    Platform.x: "https://x.com/{}",
    Platform.facebook: "https://www.facebook.com/{}",
    Platform.instagram: "https://www.instagram.com/{}",
    Platform.youtube: "https://www.youtube.com/@{}",
    Platform.tiktok: "https://www.tiktok.com/@{}",
    Platform.linkedin: "https://www.linkedin.com/company/{}",
    Platform.bluesky: "https://bsky.app/profile/{}",
    Platform.threads: "https://www.threads.net/@{}",
}
_ID_URLS: dict[Platform, str] = {
    Platform.facebook: "https://www.facebook.com/profile.php?id={}",
    Platform.youtube: "https://www.youtube.com/channel/{}",
}

# A scheme that is not followed by a digit, so "x.com:443/..." reads as a host and port.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?![0-9])")


def normalize_handle(platform: Platform | str, handle: str) -> ProfileRef:
    """For forms that ask for platform and handle separately. A leading '@' says the text is a
    handle, so "@UC..." on YouTube is never mistaken for a channel id."""
    text = handle.strip()
    return _classify(_platform(platform), text.removeprefix("@"), explicit=text.startswith("@"))


def is_valid_handle(platform: Platform | str, handle: str) -> bool:
    """Whether `handle` (without its '@') is one the platform could have."""
    try:
        normalize_handle(platform, "@" + handle)
    except ProfileUrlError:
        return False
    return True


def profile_url(ref: ProfileRef) -> str:
    """One canonical link per account, so what we display is what we would parse back."""
    if ref.by_id and ref.platform in _ID_URLS:
        template = _ID_URLS[ref.platform]
    elif ref.platform is Platform.youtube and "/" in ref.handle:
        template = "https://www.youtube.com/{}"
    else:
        template = _PROFILE_URLS[ref.platform]
    return template.format(quote(ref.handle, safe=":/"))


def parse_profile_url(text: str) -> ProfileRef:
    """Only full URLs: a bare handle does not say which platform it lives on."""
    host, segments, query = _split_url(_clean(text))
    platform = _DOMAINS.get(host)
    sub, _, parent = host.partition(".")
    if platform is None and sub in _SUBDOMAINS:
        platform = _DOMAINS.get(parent)
    if platform is None:
        raise ProfileUrlError(f"{host} is not a supported platform; supported: {_SUPPORTED}.")
    return _PATHS[platform](platform, segments, query)


def _platform(value: Platform | str) -> Platform:
    try:
        return Platform(value.strip().casefold())
    except ValueError:
        supported = ", ".join(Platform)
        raise ProfileUrlError(f"'{value}' is not a supported platform; use {supported}.") from None


def _classify(platform: Platform, text: str, *, explicit: bool = False) -> ProfileRef:
    rule = _RULES[platform]
    if rule.ids is not None and not explicit and rule.ids.fullmatch(text):
        return ProfileRef(platform, text, by_id=True)
    if handle_key(platform, text) in rule.reserved:
        raise ProfileUrlError(f"'{text}' is a built-in {rule.name} page, not an account.")
    if not rule.handle.fullmatch(text):
        raise ProfileUrlError(f"'{text}' is not a valid {rule.name} {rule.what}.")
    return ProfileRef(platform, text)


def _by_id(platform: Platform, values: list[str]) -> ProfileRef:
    ids = _RULES[platform].ids
    if len(values) == 1 and ids is not None and ids.fullmatch(values[0]):
        return ProfileRef(platform, values[0], by_id=True)
    raise ProfileUrlError(f"That {_RULES[platform].name} link does not contain a valid id.")


def _clean(text: str) -> str:
    text = text.strip()
    if not text:
        raise ProfileUrlError("Paste the account's profile URL.")
    if len(text) > MAX_URL_LENGTH:
        raise ProfileUrlError(f"That is too long to be a profile URL ({MAX_URL_LENGTH} max).")
    if not text.isprintable() or "\\" in text or any(c.isspace() for c in text):
        raise ProfileUrlError(
            "A profile URL cannot contain spaces, backslashes or invisible characters."
        )
    if text.startswith("@") or not any(c in text for c in "./:"):
        raise ProfileUrlError(
            "A full profile URL is needed, such as https://x.com/yourschool;"
            " to enter just a handle, choose the platform too."
        )
    return text


def _split_url(text: str) -> tuple[str, list[str], str]:
    url = _with_scheme(text)
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unbalanced '[' in the host
        raise ProfileUrlError("That is not a well-formed web address.") from exc
    segments = [unquote(segment) for segment in parts.path.split("/") if segment]
    if any(segment in {".", ".."} for segment in segments):
        # Browsers resolve these away, so the page opened is not the one the text names.
        raise ProfileUrlError("A profile URL cannot contain '.' or '..' path segments.")
    return _host(parts.netloc), segments, parts.query


def _with_scheme(text: str) -> str:
    if text.lower().startswith(("http://", "https://")):
        return text
    if text.startswith("//"):
        return "https:" + text
    if _SCHEME.match(text):
        raise ProfileUrlError("Only http:// and https:// links can be profile URLs.")
    return "https://" + text


def _host(netloc: str) -> str:
    """Userinfo is refused outright: https://x.com@evil.com/ opens evil.com."""
    if "@" in netloc:
        raise ProfileUrlError("A profile URL cannot have a user name or password before the host.")
    if ":" in netloc:
        raise ProfileUrlError("A profile URL cannot include a port number.")
    host = netloc.lower().removesuffix(".")
    if not host:
        raise ProfileUrlError("That link has no web address.")
    return host


def _first(platform: Platform, segments: list[str]) -> str:
    if not segments:
        raise ProfileUrlError(
            f"That is the {_RULES[platform].name} home page; paste the account's profile link."
        )
    return segments[0]


def _first_segment(platform: Platform, segments: list[str], _query: str) -> ProfileRef:
    return _classify(platform, _first(platform, segments))


def _not_an_account(platform: Platform, first: str) -> ProfileUrlError:
    example = profile_url(ProfileRef(platform, "name"))
    name = _RULES[platform].name
    return ProfileUrlError(f"'{first}' is not a {name} account; account links look like {example}.")


def _at_segment(platform: Platform, segments: list[str], _query: str) -> ProfileRef:
    first = _first(platform, segments)
    if not first.startswith("@"):
        raise _not_an_account(platform, first)
    return _classify(platform, first[1:], explicit=True)


def _facebook(platform: Platform, segments: list[str], query: str) -> ProfileRef:
    first = _first(platform, segments).lower()
    if first == "profile.php":
        return _by_id(platform, parse_qs(query).get("id", []))
    if first in {"people", "pages"} and len(segments) >= 3:  # /people/Some-Name/1000123
        return _by_id(platform, segments[2:3])
    if first == "p" and len(segments) >= 2:  # /p/Some-Name-1000123
        return _by_id(platform, [segments[1].rpartition("-")[2]])
    return _classify(platform, segments[0])


def _youtube(platform: Platform, segments: list[str], _query: str) -> ProfileRef:
    first = _first(platform, segments)
    kind = first.lower()
    if first.startswith("@"):
        return _classify(platform, first[1:], explicit=True)
    if kind == "channel" and len(segments) >= 2:
        return _by_id(platform, segments[1:2])
    if kind in {"c", "user"} and len(segments) >= 2:
        return _classify(platform, f"{kind}/{segments[1]}")
    raise _not_an_account(platform, first)


def _linkedin(platform: Platform, segments: list[str], _query: str) -> ProfileRef:
    first = _first(platform, segments).lower()
    if first in {"in", "pub"}:
        raise ProfileUrlError(
            "Personal LinkedIn profiles cannot be official accounts;"
            " use the organisation's /company/ or /school/ page."
        )
    if first in {"company", "school"} and len(segments) >= 2:
        return _classify(platform, segments[1])
    raise _not_an_account(platform, first)


def _bluesky(platform: Platform, segments: list[str], _query: str) -> ProfileRef:
    first = _first(platform, segments)
    if first == "profile" and len(segments) >= 2:
        return _classify(platform, segments[1])
    raise _not_an_account(platform, first)


_PATHS: dict[Platform, Callable[[Platform, list[str], str], ProfileRef]] = {
    Platform.x: _first_segment,
    Platform.facebook: _facebook,
    Platform.instagram: _first_segment,
    Platform.youtube: _youtube,
    Platform.tiktok: _at_segment,
    Platform.linkedin: _linkedin,
    Platform.bluesky: _bluesky,
    Platform.threads: _at_segment,
}
