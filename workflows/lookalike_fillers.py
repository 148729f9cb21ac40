"""Filler candidates: plausible handles that top up a platform's last, partial lookup batch.

On X a bulk lookup costs one request whether it carries 63 handles or 100 (X bills per
request), so the room left in the final batch of a lookalike sweep is free. Fillers use that
room and only that room (`DiscoveryPlan.batches`): they come after every primary lookalike,
so they never displace one, and never start a batch of their own, so they never add a call.
Graph API batches (Facebook, Instagram, Threads) are not free to top up: Meta counts every
call inside a batch against the app's limits, so those plans get no fillers.

Two generic sources, the first taken before the second:

* Names: the institution's acronym, its domains' first labels, and its aliases and name
  written as one word, bare and with the affixes squatters use (for an acronym "MNTC":
  MNTC, MNTCOfficial, MNTC_official, TheMNTC, RealMNTC, MNTC_edu, MNTCHq, MNTC1, MNTC_).
  Official handles are often longer than the platform allows once affixed (X: 15
  characters), while the acronym leaves room for every affix.
* Second-order variants of official handles: two tricks at once, such as a dropped letter
  then a homoglyph (MoreNorrnanTech) or a dropped letter then an affix (MoreNormanTech1),
  which is how a squatter gets near a handle already at the platform's length limit.

Candidates go through the primary list's filter: valid on the platform
(`profile_urls.normalize_handle`), never a registered or already planned handle (compared by
`handle_key`). The order is deterministic and the pool is bounded by one batch less one
handle, the most a top-up can take.
"""

import re
from collections.abc import Iterable, Iterator, Sequence
from itertools import zip_longest

from workflows.impersonation.institution import InstitutionProfile
from workflows.impersonation.names import acronyms
from workflows.lookalikes import LOOKUP_BATCH, Lookalike, interleave, technique_variants
from workflows.platforms import Platform
from workflows.profile_urls import handle_key

# Two tricks in a row, most convincing first.
SECOND_ORDER = (
    ("omission", "homoglyph"),
    ("omission", "affix"),
    ("omission", "replacement"),
    ("omission", "separator"),
    ("transposition", "homoglyph"),
    ("homoglyph", "homoglyph"),
)
# Platforms whose bulk lookup is charged and rate-limited per request, however full:
# X users/by (100 usernames) and Bluesky getProfiles (25 actors).
PER_REQUEST = frozenset({Platform.x, Platform.bluesky})
# Where a Bluesky squatter without a domain of their own gets a handle.
BLUESKY_DOMAIN = "bsky.social"


def one_word(phrase: str) -> str:
    """A name as one CamelCase word, "MooreNormanTech"; words with capitals keep them."""
    parts = re.findall(r"[^\W_]+", phrase.replace("'", "").replace("\u2019", ""))
    return "".join(p if any(c.isupper() for c in p) else p.capitalize() for p in parts)


def name_stems(institution: InstitutionProfile) -> list[str]:
    """What handles made of the institution's names start from: its acronyms, then its name,
    aliases and domains' first labels as one word, shortest first (short ones fit anywhere)."""
    initials = acronyms([institution.name])
    names = (institution.name, *institution.aliases)
    unique: dict[str, str] = {}
    for stem in (
        *sorted(initials),
        *(one_word(n) for n in names),
        *(domain.split(".")[0] for domain in institution.domains),
    ):
        if stem:
            unique.setdefault(stem.casefold(), stem)
    return sorted(unique.values(), key=lambda s: (s not in initials, len(s), s.casefold(), s))


def _name_handles(stem: str, words: Sequence[str]) -> Iterator[str]:
    variants = technique_variants(stem, words)
    yield stem
    yield from variants["affix"]
    yield from variants["separator"]


def _second_order(handle: str, first: str, then: str, words: Sequence[str]) -> Iterator[str]:
    """`then` applied to each `first` variant, breadth first: every first variant's first
    second trick, then every one's second, and so on."""
    once = [technique_variants(v, words)[then] for v in technique_variants(handle, words)[first]]
    for layer in zip_longest(*once):
        yield from (v for v in layer if v is not None)


def filler_handles(
    platform: Platform,
    institution: InstitutionProfile,
    officials: Sequence[str],
    *,
    taken: Iterable[str] = (),
    words: Sequence[str] = (),
) -> list[Lookalike]:
    """Up to one batch less one new handles for `platform` (none where a fuller batch costs
    more): name handles, round-robin over the stems, then second-order variants of
    `officials`, round-robin over (tricks, handle).

    `taken` are handles never to return: the register and everything the plan already has.
    """
    if platform not in PER_REQUEST:
        return []
    limit = LOOKUP_BATCH[platform] - 1
    seen = {handle_key(platform, h) for h in taken}
    bluesky = platform is Platform.bluesky
    names = {
        ("name", stem): (
            h.lower() + "." + BLUESKY_DOMAIN if bluesky else h for h in _name_handles(stem, words)
        )
        for stem in name_stems(institution)
    }
    found = interleave(platform, names, seen, limit)
    pairs: dict[tuple[str, str], Iterator[str]] = {}
    for first, then in SECOND_ORDER:
        for official in officials:
            # On Bluesky the tricks apply to the first label; the domain stays.
            name, dot, domain = official.partition(".") if bluesky else (official, "", "")
            variants = _second_order(name, first, then, words)
            pairs[(f"{first}+{then}", official)] = (v + dot + domain for v in variants)
    return found + interleave(platform, pairs, seen, limit - len(found))
