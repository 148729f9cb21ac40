"""Candidate discovery: what to search for, per platform, to find impersonators.

Two sources. Keyword queries find accounts that *name* the institution (its name, aliases,
acronym, campuses). Lookalike handles find accounts that *squat* on an official handle with
a near-miss spelling; platforms look handles up in bulk, so we generate them.

Generation is deterministic (same inputs, same list, same order) and bounded by `cap` per
official handle. Techniques are interleaved round-robin, so even a small cap covers every
kind of trick before it covers every position of one. A variant is kept only if the platform
would accept it as a handle (`profile_urls.is_valid_handle`), and never if it is, by the
platform's own comparison (`handle_key`), a registered handle.

Homoglyphs: handles on the supported platforms are ASCII (the repository's handle rules, and
YouTube is the only one with non-Latin handles), so handle variants use only the ASCII
confusables in TR39 (m ~ rn, l ~ 1 ~ I, O ~ 0). Unicode confusables (Cyrillic o, U+043E, for
Latin o) are generated for display names by `display_name_lookalikes`, for search and for
tests; scoring catches them by comparing TR39 skeletons.

Fillers: where a bulk lookup costs one request whether it carries 63 handles or 100 (X), a
plan also carries a bounded pool of less likely but still plausible handles
(`lookalike_fillers`) that top up its last, partial batch. They come after every primary
lookalike and never start a batch of their own: they cannot displace one or add a call.
"""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import zip_longest

from workflows.impersonation.institution import InstitutionProfile
from workflows.impersonation.names import acronyms
from workflows.impersonation.text import ascii_confusables, unicode_confusables
from workflows.impersonation.vocabulary import HANDLE_PREFIXES, HANDLE_SUFFIXES
from workflows.platforms import Platform
from workflows.profile_urls import handle_key, is_valid_handle

DEFAULT_CAP = 250
SEPARATORS = ("_", ".", "-")
VOWELS = "aeiou"
LEET = {"o": "0", "e": "3", "a": "4", "i": "1", "l": "1", "s": "5", "t": "7", "b": "8", "g": "9"}
_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
# Keys next to each key on a QWERTY keyboard: the typos a hurried squatter relies on.
KEYBOARD = {
    key: "".join(
        _ROWS[r][c]
        for r in range(len(_ROWS))
        for c in range(len(_ROWS[r]))
        if abs(r - row) <= 1 and abs(c - col) <= 1 and (r, c) != (row, col)
    )
    for row, keys in enumerate(_ROWS)
    for col, key in enumerate(keys)
}
# Platforms' largest bulk lookups (handles per request): X users/by takes 100 usernames,
# Graph API batches take 50 calls, Bluesky getProfiles 25 actors; the rest are one by one.
LOOKUP_BATCH: dict[Platform, int] = {
    Platform.x: 100,
    Platform.facebook: 50,
    Platform.instagram: 50,
    Platform.threads: 50,
    Platform.bluesky: 25,
    Platform.youtube: 1,
    Platform.tiktok: 1,
    Platform.linkedin: 1,
}


@dataclass(frozen=True)
class Lookalike:
    handle: str
    technique: str  # affix, separator, homoglyph, omission, repetition, transposition, ...
    source: str  # the official handle it imitates


@dataclass(frozen=True)
class DiscoveryPlan:
    platform: Platform
    queries: tuple[str, ...]
    lookalikes: tuple[Lookalike, ...]
    # Official handles registered on other platforms but not here: a squatter may hold them.
    official_elsewhere: tuple[str, ...]
    # Plausible but secondary candidates, in order, at most one batch less one handle.
    fillers: tuple[Lookalike, ...] = ()

    def batches(self) -> list[tuple[str, ...]]:
        """Official handles elsewhere, then lookalikes, in the platform's largest batches.

        Where a call costs the same whether it carries 63 handles or 100 (X bills per
        request), the plan has fillers, and the last batch is topped up from them while they
        last; fillers never make a batch of their own.
        """
        handles = [*self.official_elsewhere, *(v.handle for v in self.lookalikes)]
        room = -len(handles) % LOOKUP_BATCH.get(self.platform, 1)
        handles += [v.handle for v in self.fillers[:room]]
        return batched(handles, self.platform)


def _case(word: str, like: str) -> str:
    """Affixes follow the handle's style: TheSchool for CamelCase, theschool otherwise."""
    return word.capitalize() if any(c.isupper() for c in like) else word


def _boundaries(handle: str, words: Sequence[str]) -> list[int]:
    """Where words meet: CamelCase humps, existing separators, and the hint words' ends."""
    cuts = {i for i in range(1, len(handle)) if handle[i].isupper() and handle[i - 1].islower()}
    cuts |= {i for i, c in enumerate(handle) if c in SEPARATORS}
    lowered, position = handle.casefold(), 0
    for word in words:
        found = lowered.find(word.casefold(), position)
        if found >= 0:
            cuts |= {found, found + len(word)}
            position = found + len(word)
    return sorted(c for c in cuts if 0 < c < len(handle))


def _affixes(h: str) -> Iterator[str]:
    for suffix, prefix in zip_longest(HANDLE_SUFFIXES, HANDLE_PREFIXES):
        if suffix is not None:
            yield h + _case(suffix, h)
            yield f"{h}_{suffix}"
        if prefix is not None:
            yield _case(prefix, h) + h
            yield f"{prefix}_{h}"


def _separators(h: str, words: Sequence[str]) -> Iterator[str]:
    yield h + "_"
    yield "_" + h
    stripped = "".join(c for c in h if c not in SEPARATORS)
    if stripped != h:
        yield stripped
    for cut in _boundaries(h, words):
        for sep in SEPARATORS:
            if h[cut] in SEPARATORS:
                yield h[:cut] + sep + h[cut + 1 :]
            else:
                yield h[:cut] + sep + h[cut:]
    for old in SEPARATORS:
        if old in h:
            yield from (h.replace(old, new) for new in SEPARATORS if new != old)


def _homoglyphs(h: str) -> Iterator[str]:
    for source, targets in ascii_confusables().items():
        start = h.find(source)
        while start >= 0:
            for target in targets:
                yield h[:start] + target + h[start + len(source) :]
            start = h.find(source, start + 1)


def _omissions(h: str) -> Iterator[str]:
    return (h[:i] + h[i + 1 :] for i in range(len(h)))


def _repetitions(h: str) -> Iterator[str]:
    return (h[: i + 1] + h[i] + h[i + 1 :] for i in range(len(h)))


def _transpositions(h: str) -> Iterator[str]:
    return (
        h[:i] + h[i + 1] + h[i] + h[i + 2 :]
        for i in range(len(h) - 1)
        if h[i].casefold() != h[i + 1].casefold()
    )


def _vowel_swaps(h: str) -> Iterator[str]:
    for i, c in enumerate(h):
        if c.casefold() in VOWELS:
            for v in VOWELS:
                if v != c.casefold():
                    yield h[:i] + (v.upper() if c.isupper() else v) + h[i + 1 :]


def _replacements(h: str) -> Iterator[str]:
    for i, c in enumerate(h):
        if c.casefold() in LEET:
            yield h[:i] + LEET[c.casefold()] + h[i + 1 :]
    for i, c in enumerate(h):
        for k in KEYBOARD.get(c.casefold(), ""):
            yield h[:i] + (k.upper() if c.isupper() else k) + h[i + 1 :]


def _insertions(h: str) -> Iterator[str]:
    for i, c in enumerate(h):
        for k in KEYBOARD.get(c.casefold(), ""):
            if k.isalpha():
                yield h[: i + 1] + k + h[i + 1 :]


def technique_variants(handle: str, words: Sequence[str] = ()) -> dict[str, Iterator[str]]:
    """One lazy generator per technique, in the order round-robin takes them."""
    return {
        "affix": _affixes(handle),
        "separator": _separators(handle, words),
        "homoglyph": _homoglyphs(handle),
        "omission": _omissions(handle),
        "repetition": _repetitions(handle),
        "transposition": _transpositions(handle),
        "vowel_swap": _vowel_swaps(handle),
        "replacement": _replacements(handle),
        "insertion": _insertions(handle),
    }


def interleave(
    platform: Platform,
    generators: Mapping[tuple[str, str], Iterator[str]],
    seen: set[str],
    limit: int,
) -> list[Lookalike]:
    """Up to `limit` new valid handles, one per (technique, source) generator in turn, so a
    small limit covers every generator before it exhausts any. `seen` (handle keys) grows."""
    out: list[Lookalike] = []
    live = dict(generators)
    while live and len(out) < limit:
        for (technique, source), generator in list(live.items()):
            for candidate in generator:
                key = handle_key(platform, candidate)
                if key not in seen and is_valid_handle(platform, candidate):
                    seen.add(key)
                    out.append(Lookalike(candidate, technique, source))
                    break
            else:
                del live[(technique, source)]
            if len(out) >= limit:
                break
    return out


def lookalike_handles(
    platform: Platform,
    handle: str,
    *,
    registered: Iterable[str] = (),
    cap: int = DEFAULT_CAP,
    words: Sequence[str] = (),
) -> list[Lookalike]:
    """Near-miss spellings of `handle` that are valid handles on `platform`.

    `registered` are handles never to return (the institution's whole register); `words`
    are hints for where words meet in an all-lowercase handle ("moorenormantech").
    """
    if platform is Platform.bluesky:
        name, dot, domain = handle.partition(".")
        inner = lookalike_handles(Platform.tiktok, name, cap=cap, words=words)
        variants = [Lookalike(v.handle + dot + domain, v.technique, handle) for v in inner]
        return [v for v in variants if is_valid_handle(platform, v.handle)][:cap]
    generators = {(t, handle): g for t, g in technique_variants(handle, words).items()}
    seen = {handle_key(platform, h) for h in (handle, *registered)}
    return interleave(platform, generators, seen, cap)


def display_name_lookalikes(name: str, *, cap: int = 50) -> list[str]:
    """The name with one letter swapped for a Unicode confusable, Cyrillic and Greek first."""
    table = unicode_confusables()
    out: list[str] = []
    for rank in range(max((len(v) for v in table.values()), default=0)):
        for i, c in enumerate(name):
            options = table.get(c, ())
            if rank < len(options):
                if len(out) >= cap:
                    return out
                out.append(name[:i] + options[rank] + name[i + 1 :])
    return out


def keyword_queries(institution: InstitutionProfile) -> list[str]:
    """Names people search for: the name, aliases, acronym, campuses, registered names."""
    candidates = [
        institution.name,
        *institution.aliases,
        *sorted(acronyms([institution.name])),
        *institution.campuses,
        *(a.display_name for a in institution.official_accounts),
    ]
    seen: set[str] = set()
    out = []
    for query in candidates:
        if query and query.casefold() not in seen:
            seen.add(query.casefold())
            out.append(query)
    return out


def batched(handles: Sequence[str], platform: Platform) -> list[tuple[str, ...]]:
    size = LOOKUP_BATCH.get(platform, 1)
    return [tuple(handles[i : i + size]) for i in range(0, len(handles), size)]


def discovery_plan(
    institution: InstitutionProfile,
    platforms: Iterable[Platform] | None = None,
    *,
    cap: int = DEFAULT_CAP,
) -> dict[Platform, DiscoveryPlan]:
    """Per platform: keyword queries, lookalikes of every official handle (any platform's,
    since squatters copy across platforms), official handles to claim-check here, and
    fillers for the last lookup batch."""
    # The fillers build on this module's generators, so they are imported once it is loaded.
    from workflows.lookalike_fillers import filler_handles

    accounts = institution.official_accounts
    chosen = list(platforms) if platforms is not None else sorted({a.platform for a in accounts})
    hints = [w for phrase in (institution.name, *institution.aliases) for w in phrase.split()]
    registered = [a.handle for a in accounts]
    queries = tuple(keyword_queries(institution))
    plans: dict[Platform, DiscoveryPlan] = {}
    for platform in chosen:
        here = {a.key for a in accounts if a.platform is platform}
        # CamelCase spellings first: they show where words meet.
        sources: dict[str, str] = {}
        for handle in sorted({a.handle for a in accounts}, key=lambda h: (h.casefold(), h)):
            sources.setdefault(handle_key(platform, handle), handle)
        lookalikes: list[Lookalike] = []
        seen: set[str] = set()
        for source in sources.values():
            for variant in lookalike_handles(
                platform, source, registered=registered, cap=cap, words=hints
            ):
                if handle_key(platform, variant.handle) not in seen:
                    seen.add(handle_key(platform, variant.handle))
                    lookalikes.append(variant)
        elsewhere = [
            handle
            for key, handle in sources.items()
            if key not in here and is_valid_handle(platform, handle)
        ]
        planned = [*registered, *elsewhere, *(v.handle for v in lookalikes)]
        fillers = filler_handles(
            platform, institution, list(sources.values()), taken=planned, words=hints
        )
        plans[platform] = DiscoveryPlan(
            platform, queries, tuple(lookalikes), tuple(elsewhere), tuple(fillers)
        )
    return plans
