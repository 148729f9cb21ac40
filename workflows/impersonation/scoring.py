"""Verdicts for candidate profiles: official, impersonation, unofficial presence or benign.

The verdict is a short decision list over the signals (docs/scoring.md explains each step):
registered accounts are official; hard evidence of pretending to be the institution (a
homoglyph name, a scam in its name, a lookalike domain) is impersonation whatever else the
profile says; a disclaimer or a fan/club/parody name otherwise makes an account benign;
softer identity evidence (its exact name, a lookalike handle, "official" or "we moved"
claims) is impersonation; a program, office or campus name next to the institution's, with
the institution named in the bio, is an unofficial presence; everything else is benign.

The score is a logistic sum of the same evidence, clamped into the verdict's band so that
sorting by score never contradicts the verdicts.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from workflows.impersonation.institution import CandidateProfile, InstitutionProfile
from workflows.impersonation.lexicon import SCAMS
from workflows.impersonation.names import INSTITUTION_KIND_WORDS, NameModel, build_name_model
from workflows.impersonation.signals import HandleMatch, Signals, as_written, extract
from workflows.impersonation.text import skeleton

OFFICIAL = "official"
IMPERSONATION = "impersonation"
UNOFFICIAL = "unofficial_presence"
BENIGN = "benign"
NEEDS_ACTION = frozenset({IMPERSONATION, UNOFFICIAL})

# Score bands per verdict: needs-action verdicts score at least 0.5, others below.
BANDS = {
    OFFICIAL: (0.0, 0.0),
    IMPERSONATION: (0.7, 1.0),
    UNOFFICIAL: (0.5, 0.85),
    BENIGN: (0.0, 0.45),
}
BIAS = -2.0
YOUNG_DAYS = 90
FEW_FOLLOWERS = 100


@dataclass(frozen=True)
class Assessment:
    id: str
    verdict: str
    score: float
    reasons: tuple[str, ...]


@dataclass
class _Case:
    """Evidence gathered for one profile: log-odds weight and a reason per item."""

    reasons: list[str]
    weight: float = BIAS

    def add(self, weight: float, reason: str | None = None) -> None:
        self.weight += weight
        if reason:
            self.reasons.append(reason)


def _age(days: int) -> str:
    if days < 2 * 365:
        return f"account {days} days old"
    return f"account {days // 365} years old"


def _handle_reason(match: HandleMatch) -> str:
    where = f"{match.handle}, registered on {match.platform}"
    if match.kind == "same":
        return f"handle is the same as {where}"
    if match.kind == "homoglyph":
        return f"handle is a homoglyph of {where}"
    if match.kind == "affix":
        return f'handle is {match.handle} plus "{match.detail}"'
    return f"handle is a lookalike of {where} ({match.detail})"


def _hard(s: Signals, cues: dict[str, str], mention: bool, case: _Case) -> list[str]:
    """Evidence that outweighs any disclaimer: nobody needs a fake name, a scam or a fake
    domain to run a fan page."""
    found: list[str] = []
    if s.homoglyph:
        found.append("display name imitates the institution's with look-alike characters")
        case.add(4.0)
    scams = [kind for kind in SCAMS if kind in cues]
    if not scams and {"money", "contact"} <= cues.keys():
        scams = ["lure"]
        cues.setdefault("lure", f'{cues["money"]}" + "{cues["contact"]}')
    if scams and set(scams) <= {"payment", "lure"} and _fundraiser(s, cues):
        scams = []
    tied = mention or s.handle or s.link == "lookalike" or s.office_name
    if scams and "warning" not in cues and tied:
        found += [f'bio {SCAMS[kind]} ("{cues[kind]}")' for kind in scams]
        if s.office_name and not mention:
            found.append("an office name under a handle with the institution's name")
        case.add(3.5)
    if s.link == "lookalike" and not _own_site(s, cues, scams):
        found.append(f"links to {s.link_host}, which borrows the institution's name")
        case.add(3.0)
    elif s.sensitive and s.link in {"redirect", "redirect_named", "other"} and s.display_mention:
        remainder = as_written(s.display_name, s.remainder)
        found.append(f'a "{remainder}" page whose link leaves the institution\'s domains')
        case.add(2.5)
    return found


def _fundraiser(s: Signals, cues: dict[str, str]) -> bool:
    """A booster club, parent group or local business naming its price: payment talk is its
    business, as long as it does not claim to be the institution."""
    says_else = s.remainder_kind in {"org", "business"} or not {"org", "disclaimer"}.isdisjoint(
        cues
    )
    return says_else and "claim" not in cues and not s.display_identity


def _own_site(s: Signals, cues: dict[str, str], scams: list[str]) -> bool:
    """A link to a site named after the account itself ("Harbor Point Plumbing" at
    harborpointplumbing.com) whose name says it is something else, placed elsewhere or
    reading as a group or business: a name collision, not a borrowed name."""
    if scams or "claim" in cues:
        return False
    if "org" in s.bio_cues and not s.display_identity:
        return True  # a campaign or group in its own words: "paid for by Friends of ..."
    if not s.own_link or not s.remainder:
        return False
    says_else = s.remainder_kind in {"org", "business", "fan", "parody"} or "disclaimer" in cues
    return says_else or (s.location_elsewhere and not s.sensitive)


def _soft(s: Signals, cues: dict[str, str], mention: bool, case: _Case) -> list[str]:
    """Claims to *be* the institution. Each needs some context besides itself, so a tennis
    club that happens to share the acronym is not taken for the school."""
    found: list[str] = []
    if _own_site(s, cues, []):
        return found  # "Sandhill Tech Solutions" at its own site in another state: a collision
    tied = mention or s.office_name
    claim = "claim" in cues and tied
    takeover = "takeover" in s.bio_cues and tied
    context = (
        s.bio_mention
        or s.link in {"official", "lookalike", "redirect_named"}
        or (s.image is not None and s.image.is_copy)
        or claim
        or takeover
    )
    typo = s.handle is not None and s.handle.kind != "same"
    # The town alone ties a lookalike handle only to an account that also uses our name:
    # @QuarryHillFD is the town's fire department, two letters from @QuarryHillCSD.
    loose_typo = s.handle is not None and s.handle.kind == "typo" and not s.display_mention
    context = context or (s.location_match and not loose_typo)
    # Its name and its name squashed into the handle: both copied, nothing of its own.
    copied = s.handle_spells and not s.location_elsewhere
    if s.registered_copy:
        found.append(f"display name copies registered {s.registered_copy}")
        case.add(3.0)
    if s.display_identity and (context or typo or copied):
        found.append("display name equals the institution's")
        case.add(2.5)
        if copied and not (context or typo) and s.handle is None:
            found.append("handle is the institution's name run together")
            case.add(1.0)
    elif s.display_identity:
        case.add(0.5, "display name equals the institution's, but nothing else points to it")
    copies_both = copied and s.display_identity
    if s.handle is not None and (
        context or (typo and s.display_mention) or s.registered_copy or copies_both
    ):
        found.append(_handle_reason(s.handle))
        case.add(3.0)
    if claim:
        found.append(f'claims to be the real thing ("{cues["claim"]}")')
        case.add(1.5)
    if takeover:
        found.append(f'says the old account is gone ("{cues["takeover"]}")')
        case.add(2.0)
    return found


def _shielded(s: Signals, cues: dict[str, str], case: _Case) -> bool:
    """Disclaimers, and names or bios that say what else the account is."""
    if "disclaimer" in cues:
        where = "bio" if "disclaimer" in s.bio_cues else "display name"
        case.add(-3.5, f'{where} says "{cues["disclaimer"]}"')
        return True
    kinds = {"parody": "a parody", "fan": "a fan or alumni", "org": "an independent group's"}
    if s.remainder_kind in kinds or s.remainder_kind == "business":
        kind = kinds.get(s.remainder_kind, "a business")
        case.add(-2.0, f'display name reads as {kind} page ("{s.display_name}")')
        return True
    outlet = s.bio_cues.get("business") or s.bio_cues.get("news")
    if outlet and not s.display_identity:
        case.add(-2.0, f'bio reads as a business or news outlet ("{outlet}")')
        return True
    return False


def _unofficial(s: Signals) -> bool:
    """A program, office or campus page in the institution's name, or an office-named page
    whose bio places it at the institution, that is nobody's personal account."""
    if s.location_elsewhere and not s.bio_mention and s.link != "official":
        return False  # shares a name, lives elsewhere, never mentions the institution: a collision
    if s.display_mention:
        # "HPCC Library", "PVTI Culinary Demos", "Birchwood Elem": the name says it all
        if s.remainder_kind == "office" or s.names_program or s.campus_page:
            return True
        supported = s.bio_places or s.link == "official" or "staff" in s.bio_cues
        own_voice = "personal" in s.bio_cues or "org" in s.bio_cues
        return s.remainder_kind == "other" and supported and not own_voice
    if "personal" in s.bio_cues or "org" in s.bio_cues:
        return False  # a person's or an independent group's page, in the bio's own words
    if s.display_partial and _partial_presence(s):
        return True
    if not s.bio_mention or _another_institution(s):
        return False
    # "Lineworker Program" whose bio places it at one of our campuses
    program_at_campus = s.names_program and s.bio_campus and s.link in {None, "official"}
    return (
        s.remainder_kind == "office" or s.office_name or "staff" in s.bio_cues or program_at_campus
    )


def _another_institution(s: Signals) -> bool:
    """A display name that is itself a school's or district's ("Broken Bow Public Schools")."""
    last = s.display_name.split()[-1:] or [""]
    return skeleton(last[0].casefold()) in INSTITUTION_KIND_WORDS


def _partial_presence(s: Signals) -> bool:
    """ "Ironwood Welding Shop", "RFMS Coyotes Athletics": only the head of the name or a
    campus's initials, so the page must be placed at the institution (its bio, its link, or
    staff speaking in its town) and read as a program or be run by staff. A site of its own
    or a group's voice makes it a neighbour that shares the name: the town's library, a
    dance studio near the school, the employees' union."""
    if s.link in {"other", "redirect"}:
        return False
    staff = "staff" in s.bio_cues
    placed = s.bio_places or s.link == "official" or (s.location_match and staff)
    if s.partial_kind == "handle":
        return placed and staff
    program = s.partial_kind in {"office", "program"}
    return placed and (program or staff or s.link == "official")


def _assess(s: Signals) -> tuple[str, float, list[str]]:
    if s.registered:
        return OFFICIAL, 0.0, ["in the register of official accounts"]
    case = _Case([])
    cues = {**s.display_cues, **s.bio_cues}
    mention = s.display_mention or s.bio_mention or s.link == "official"
    hard = _hard(s, cues, mention, case)
    soft = _soft(s, cues, mention, case)
    shielded = _shielded(s, cues, case)
    if hard or (soft and not shielded):
        verdict = IMPERSONATION
    elif not shielded and _unofficial(s):
        verdict = UNOFFICIAL
        remainder = as_written(s.display_name, s.remainder)
        case.add(2.5, f'an unregistered "{remainder}" page in the institution\'s name')
    else:
        verdict = BENIGN
        if not mention:
            case.add(-2.5, "does not name the institution")
        elif not case.reasons:
            case.add(-1.0, "names the institution without presenting itself as its account")
    case.reasons[:0] = hard + soft if verdict == IMPERSONATION else []
    _supporting(s, case, verdict)
    low, high = BANDS[verdict]
    score = 1 / (1 + math.exp(-case.weight))
    return verdict, min(high, max(low, score)), case.reasons


def _supporting(s: Signals, case: _Case, verdict: str) -> None:
    """Weaker evidence: shifts the score and explains it, never decides the verdict alone."""
    if s.image is not None and (s.image.is_copy or s.image.is_similar):
        verb, weight = ("matches", 1.5) if s.image.is_copy else ("resembles", 0.5)
        distance = s.image.phash_distance
        case.add(weight, f"profile image {verb} {s.image.reference} (pHash distance {distance})")
    if s.link == "official":
        case.add(0.3, "links to the institution's own domain")
    elif s.link == "redirect_named":
        case.add(
            1.0, f"link hides its destination behind {s.link_host} using the institution's name"
        )
    elif s.link == "redirect":
        case.add(0.3, f"link hides its destination behind {s.link_host}")
    if s.location_match and verdict in NEEDS_ACTION:
        case.add(0.2, "location is the institution's town")
    if s.age_days is not None and 0 <= s.age_days < YOUNG_DAYS:
        case.add(0.5, _age(s.age_days))
    elif s.age_days is not None and s.age_days >= 2 * 365 and s.display_identity:
        case.add(0.3, f"{_age(s.age_days)} but now carries the institution's name")
    if s.followers is not None and s.followers < FEW_FOLLOWERS and verdict in NEEDS_ACTION:
        case.add(0.25, f"{s.followers} followers")
    if s.verified and verdict in NEEDS_ACTION:
        case.add(0.0, "verified badge, but not in the register")


def score_profiles(
    institution: InstitutionProfile,
    profiles: Sequence[CandidateProfile],
    *,
    now: datetime,
    model: NameModel | None = None,
) -> list[Assessment]:
    """Assess a batch; pass a prebuilt `model` when scoring many batches for one institution."""
    model = model or build_name_model(institution)
    signals = extract(institution, model, profiles, now=now)
    results = []
    for profile, s in zip(profiles, signals, strict=True):
        verdict, score, reasons = _assess(s)
        results.append(Assessment(profile.id, verdict, score, tuple(reasons)))
    return results
