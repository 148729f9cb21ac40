"""Per-profile evidence, computed for a whole batch at once.

The pairwise string comparisons (every handle against every official handle, every display
name against every form of the institution's name) are the expensive part, so they run as
rapidfuzz `cdist` matrices in C; what is left per profile is a few regex scans.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from workflows.impersonation.images import ImageFingerprint, ImageMatch, closest_match
from workflows.impersonation.institution import CandidateProfile, InstitutionProfile
from workflows.impersonation.lexicon import SCAMS, cues
from workflows.impersonation.names import NameModel, display_words
from workflows.impersonation.text import (
    compact,
    handle_fold,
    has_confusable,
    plain,
    skeleton,
    word_list,
    words,
)
from workflows.impersonation.vocabulary import (
    BUSINESS_WORDS,
    CLASS_OF,
    FAN_WORDS,
    HANDLE_PREFIXES,
    HANDLE_SUFFIXES,
    ORG_WORDS,
    PARODY_WORDS,
    SENSITIVE_WORDS,
)

HANDLE_AFFIXES = frozenset({*HANDLE_PREFIXES, *HANDLE_SUFFIXES, "verified", "desk", "admin"})
# Link shorteners, link-in-bio pages and form hosts: the destination is hidden or arbitrary.
REDIRECT_HOSTS = frozenset(
    word_list(
        "bit.ly tinyurl.com forms.gle linktr.ee goo.gl t.co ow.ly rebrand.ly cutt.ly is.gd buff.ly"
        " shorturl.at tiny.cc lnk.bio beacons.ai docs.google.com forms.office.com rb.gy bl.ink s.id"
        " t.ly linkin.bio campsite.bio carrd.co jotform.com typeform.com tr.ee"
    )
)
FUZZY_DISPLAY = 94  # rapidfuzz ratio at which a long display name is a near-copy
_SEPARATORS = str.maketrans("", "", "._-")
_RELATED_LINKS = frozenset({"official", "lookalike", "redirect_named"})


@dataclass(frozen=True)
class HandleMatch:
    handle: str  # the official handle, with '@'
    platform: str
    kind: str  # same, homoglyph, typo, affix
    detail: str = ""  # edits or the affix


@dataclass(frozen=True)
class Signals:
    registered: bool
    display_identity: bool  # the display name is the institution's name (claims aside)
    display_mention: bool  # ... or contains it, or a campus name
    display_name: str
    remainder: tuple[str, ...]  # skeletons of the display name's other words
    remainder_kind: str  # "", parody, fan, org, business, office, other
    sensitive: bool  # the remainder names an office that handles money or personal data
    homoglyph: bool
    registered_copy: str | None  # "@handle" whose display name is copied
    handle: HandleMatch | None
    handle_names: bool  # the handle carries the institution's name or acronym
    handle_spells: bool  # the handle is the institution's name squashed together
    office_name: bool  # the display name is an office's, institution's words aside
    names_program: bool  # beside the institution's name, a program or office and more
    bio_campus: bool  # the bio names one of the campuses
    campus_page: bool  # the display name is a campus's name alone
    # Only the head of its name or a campus's ("Ironwood Welding Shop"), and what the rest is
    display_partial: bool
    partial_kind: str
    bio_places: bool  # the bio names the institution, a campus (initials too) or a department
    bio_mention: bool
    bio_cues: dict[str, str]  # category -> phrase; shared between equal bios, do not modify
    display_cues: dict[str, str]
    link: str | None  # official, lookalike, redirect_named, redirect, other
    link_host: str
    own_link: bool  # the link's host is the account's own name or handle
    location_match: bool
    location_elsewhere: bool  # a location is given and it is not the institution's town
    age_days: int | None
    followers: int | None
    verified: bool
    image: ImageMatch | None


def _host_kind(host: str, model: NameModel) -> str:
    if any(host == d or host.endswith("." + d) for d in model.domains):
        return "official"
    labels = {compact(skeleton(label)) for label in host.replace("-", ".").split(".")}
    whole = compact(skeleton(host))
    if labels & set(model.short_forms) or any(f in whole for f in model.compact_forms):
        return "lookalike"
    return "redirect" if host in REDIRECT_HOSTS else "other"


def _link(url: str | None, model: NameModel, hosts: dict[str, str]) -> tuple[str | None, str]:
    """`hosts` memoises host verdicts within a batch: the same few hosts recur."""
    if not url:
        return None, ""
    try:
        parts = urlsplit(url if "//" in url else "https://" + url)
        host = (parts.hostname or "").removeprefix("www.")
    except ValueError:
        return "other", url
    kind = hosts.get(host)
    if kind is None:
        kind = hosts[host] = _host_kind(host, model)
    if kind == "redirect":
        path = compact(skeleton(parts.path))
        if any(f in path for f in (*model.compact_forms, *model.short_forms)):
            kind = "redirect_named"
    return kind, host


def _own_host(host: str, profile: CandidateProfile) -> bool:
    """Whether the site is named after the account itself ("Harbor Point Plumbing" at
    harborpointplumbing.com) rather than after the institution alone."""
    label = compact(skeleton(host.rsplit(".", 1)[0]))
    return label in {compact(skeleton(profile.display_name)), compact(skeleton(profile.handle))}


def _handle_match(handle: str, nearest: int, edits: int, model: NameModel) -> HandleMatch | None:
    """`nearest` is the closest official handle within its edit allowance, or -1."""
    raw = handle.casefold().translate(_SEPARATORS)
    if nearest >= 0:
        platform, official, _ = model.official_folds[nearest]
        if edits:
            return HandleMatch("@" + official, platform, "typo", f"{edits} edit(s)")
        same = raw == model.official_raw[nearest]
        return HandleMatch("@" + official, platform, "same" if same else "homoglyph")
    for col, official_raw in enumerate(model.official_raw):
        if raw == official_raw or official_raw not in raw:
            continue
        head, _, tail = raw.partition(official_raw)
        if all(not p or p in HANDLE_AFFIXES or p.isdigit() for p in (head, tail)):
            platform, official, _ = model.official_folds[col]
            affix = "+".join(p for p in (head, tail) if p)
            return HandleMatch("@" + official, platform, "affix", affix)
    return None


def _remainder_kind(rest: Sequence[str], display_plain: str, model: NameModel) -> str:
    if not rest:
        return ""
    found = set(rest)
    if found & PARODY_WORDS:
        return "parody"
    if found <= model.office_words and not found <= ORG_WORDS | FAN_WORDS:
        return "office"  # "Family Services", a listed "Family Engagement" department
    if found & ORG_WORDS:
        return "org"
    if found & FAN_WORDS or CLASS_OF.search(display_plain):
        return "fan"
    if found & BUSINESS_WORDS:
        return "business"
    return "office" if found <= model.office_words else "other"


def as_written(display: str, rest: Sequence[str]) -> str:
    """The remainder in the account's own spelling (skeletons are for comparing only)."""
    wanted = set(rest)
    return " ".join(w for w in words(display) if skeleton(w) in wanted)


def _allowed_distance(length: int) -> int:
    return 0 if length <= 5 else 1 if length <= 9 else 2


def _nearest_official(folds: list[str], model: NameModel) -> tuple[np.ndarray, np.ndarray]:
    """Per profile, the closest official handle within its edit allowance (-1 for none) and
    the edits to it: one OSA distance matrix for the whole batch."""
    official = [fold for _, _, fold in model.official_folds]
    if not official:
        return np.full(len(folds), -1), np.zeros(len(folds), dtype=np.int64)
    distances = process.cdist(folds, official, scorer=OSA.distance)
    limits = np.array([_allowed_distance(len(f)) for f in official])
    # Out-of-allowance pairs are pushed past every real distance before taking the argmin.
    beyond = np.iinfo(np.int32).max
    allowed = np.where(distances <= limits, distances, beyond)
    nearest = allowed.argmin(axis=1)
    edits = allowed[np.arange(len(folds)), nearest]
    nearest[edits == beyond] = -1
    return nearest, edits


def _other_region(location: str | None, model: NameModel) -> bool:
    """A town of the same name in another region: "Harborview, Alaska" for Harborview,
    Oregon. Only a region the location spells out counts; none given is no conflict."""
    parts = (location or "").split(",")[1:]
    known = model.broad_words | model.nearby_words | set(model.city)
    for part in parts:
        named = [w for w in words(skeleton(part)) if not w.isdigit()]
        if named and not set(named) <= known:
            return True
    return False


def _partial_mention(skel: str, handle: str, model: NameModel) -> tuple[bool, str]:
    """Whether the display name (or failing that, the handle) carries only the head of the
    institution's or a campus's name, or a campus's initials ("Ironwood Welding Shop",
    "RFMS Coyotes Athletics", "Javelina Library" under @ASHSLibrary), and what the rest of the
    display name is: office, program (an office word among others), other, or "handle" when
    only the handle carries it."""
    rest, found = skel, 0
    for pattern in (model.heads, model.campus_initials):
        if pattern is not None:
            rest, count = pattern.subn(" ", rest)
            found += count
    if not found:
        return model.handle_has_partial(handle), "handle"
    remainder = display_words(rest)
    kind = _remainder_kind(remainder, skel, model)
    if kind == "other" and not model.program_words.isdisjoint(remainder):
        kind = "program"
    return True, kind


def _memo_cues(memo: dict[str, dict[str, str]], text: str, *, name: bool = False) -> dict[str, str]:
    """The phrases of a bio or display name, scanned once per batch (`memo` is the batch's)."""
    found = memo.get(text)
    if found is None:
        found = memo[text] = cues(text if name else plain(text), name=name)
    return found


def _acronym_collision(
    profile: CandidateProfile,
    skel: str,
    rest: list[str],
    image: ImageMatch | None,
    model: NameModel,
    bio_said: dict[str, str],
) -> bool:
    """Only the acronym, far away, never our name, our logo, one of our offices or a scam:
    an organisation abroad that shares the letters (README: `@mntc`, a tennis club)."""
    if model.mentions(skel + "\n" + skeleton(profile.bio), short_forms=False):
        return False
    if (image is not None and image.is_copy) or model.carries_long_form(profile.handle):
        return False
    if _remainder_kind(rest, plain(profile.display_name), model) == "office":
        return False
    return SCAMS.keys().isdisjoint(bio_said)


def _split_display(skel: str, model: NameModel) -> tuple[bool, list[str]]:
    """Whether the display name contains the institution's name, and its other words."""
    rest, found = model.identity.subn(" ", skel) if model.identity else (skel, 0)
    return found > 0, display_words(rest)


def _campus_alone(skel: str, model: NameModel) -> bool:
    """A display name that is a campus's name and nothing else ("Birchwood Elem 🍁")."""
    if model.campus is None:
        return False
    return bool(model.campus.search(skel)) and not display_words(model.campus.sub(" ", skel))


def extract(
    institution: InstitutionProfile,
    model: NameModel,
    profiles: Sequence[CandidateProfile],
    *,
    now: datetime,
) -> list[Signals]:
    if not profiles:
        return []
    nearest, edits = _nearest_official([handle_fold(p.handle) for p in profiles], model)
    skels = [skeleton(p.display_name) for p in profiles]
    shown = [" ".join(display_words(s)) for s in skels]
    ratios = process.cdist(shown, model.identity_phrases or [""], scorer=fuzz.ratio)
    best_ratio = ratios.max(axis=1)
    references: list[tuple[str, ImageFingerprint]] = [
        ("the official logo", logo) for logo in institution.logos
    ]
    references += [
        (f"@{a.handle}'s image", a.image) for a in institution.official_accounts if a.image
    ]

    hosts: dict[str, str] = {}
    said_by_bio: dict[str, dict[str, str]] = {}  # accounts reuse one bio across platforms
    said_by_name: dict[str, dict[str, str]] = {}  # ... and one display name
    out: list[Signals] = []
    for row, profile in enumerate(profiles):
        registered = institution.is_registered(profile.platform, profile.handle)
        named, rest = _split_display(skels[row], model)
        campus = model.campus is not None and bool(model.campus.search(skels[row]))
        fuzzy = len(shown[row]) >= 10 and float(best_ratio[row]) >= FUZZY_DISPLAY
        identity = (named and not rest) or fuzzy
        copy = model.registered_displays.get(shown[row])
        display_plain = plain(profile.display_name)
        location = set(words(skeleton(profile.location))) if profile.location else set()
        link, host = _link(profile.url, model, hosts)
        handle = None
        if not registered:
            handle = _handle_match(profile.handle, int(nearest[row]), int(edits[row]), model)
            if (
                handle is not None
                and handle.kind == "typo"
                and model.names_a_campus(profile.handle)
            ):
                handle = None  # @quarryhillhs is the high school's own name, not a typo
        handle_names = handle_spells = False
        if not registered:
            handle_names, handle_spells = model.handle_names(profile.handle)
        location_match = (
            bool(model.city)
            and location.issuperset(model.city)
            and not _other_region(profile.location, model)
        )
        bio_skel = skeleton(profile.bio)
        bio_mention = model.mentions(bio_skel)
        if not campus and model.campus_initials is not None:
            # "QHHS Student Life": initials count once the bio places the account with us.
            initials = bool(model.campus_initials.search(skels[row]))
            campus = initials and model.places(skeleton(profile.bio))
        # What an account says only matters once something ties it to the institution;
        # skipping the phrase scan for the rest is most of the batch's time on broad searches.
        elsewhere = (
            bool(location)
            and not location_match
            and not location & model.nearby_words
            and not location <= model.broad_words
        )
        image = closest_match(profile.image, references) if profile.image else None
        related = named or campus or bio_mention or handle_names or link == "lookalike"
        unanchored = related and elsewhere and link != "official" and handle is None
        if (
            unanchored
            and not fuzzy
            and _acronym_collision(
                profile, skels[row], rest, image, model, _memo_cues(said_by_bio, profile.bio)
            )
        ):
            # ... even when its own domain carries those letters (pvti.nl).
            named = campus = identity = bio_mention = handle_names = False
            rest = display_words(skels[row])
            link = "other" if link == "lookalike" else link
        kind = _remainder_kind(rest, display_plain, model)
        partial, partial_kind = False, ""
        if not (named or campus):
            partial, partial_kind = _partial_mention(skels[row], profile.handle, model)
        said: dict[str, str] = {}
        said_in_name: dict[str, str] = {}
        tied = named or campus or partial or bio_mention or handle is not None or handle_names
        if tied or link in _RELATED_LINKS:
            said = _memo_cues(said_by_bio, profile.bio)
            said_in_name = _memo_cues(said_by_name, display_plain, name=True)
            if "staff" in said and model.mentions(skeleton(said["staff"])):
                # "graduates of the Sandhill Tech CDL program": spoken of, not spoken by.
                said = {kind: text for kind, text in said.items() if kind != "staff"}
        out.append(
            Signals(
                registered=registered,
                display_identity=identity,
                display_mention=named or campus,
                display_name=profile.display_name,
                remainder=tuple(rest),
                remainder_kind=kind,
                names_program=kind == "other" and not model.program_words.isdisjoint(rest),
                bio_campus=model.campus is not None and bool(model.campus.search(bio_skel)),
                campus_page=not named and _campus_alone(skels[row], model),
                display_partial=partial,
                partial_kind=partial_kind,
                bio_places=bio_mention or (tied and model.places(skeleton(profile.bio))),
                sensitive=not SENSITIVE_WORDS.isdisjoint(rest),
                homoglyph=(identity or copy is not None) and has_confusable(display_plain),
                registered_copy=copy,
                handle=handle,
                handle_names=handle_names,
                handle_spells=handle_spells,
                office_name=handle_names and model.names_an_office(skels[row]),
                bio_mention=bio_mention,
                bio_cues=said,
                display_cues=said_in_name,
                link=link,
                link_host=host,
                own_link=link == "lookalike" and _own_host(host, profile),
                location_match=location_match,
                location_elsewhere=elsewhere,
                age_days=(now - profile.created_at).days if profile.created_at else None,
                followers=profile.followers,
                verified=profile.verified,
                image=image,
            )
        )
    return out
