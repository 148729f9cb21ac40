"""Finding lifecycle (DESIGN.md): who may move an impersonation finding, and when it reopens.

open → confirmed_impersonation → takedown_requested → resolved;
open → unofficial_presence → resolved (brought into the register, or asked to close);
open → dismissed (fan, parody, unrelated, other institution, other — with a reason);
dismissed → open, by the scanner only, when the account changes materially.

Triage belongs to the superintendent and designees; the auditor reads; the scanner reopens.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from workflows.impersonation.images import PHASH_MATCH
from workflows.impersonation.text import skeleton, words


class FindingStatus(StrEnum):
    open = "open"
    confirmed_impersonation = "confirmed_impersonation"
    takedown_requested = "takedown_requested"
    unofficial_presence = "unofficial_presence"
    dismissed = "dismissed"
    resolved = "resolved"


class FindingAction(StrEnum):
    confirm = "confirm"
    request_takedown = "request_takedown"
    resolve = "resolve"
    mark_unofficial = "mark_unofficial"
    bring_into_register = "bring_into_register"
    ask_to_close = "ask_to_close"
    dismiss = "dismiss"
    reopen = "reopen"


class DismissReason(StrEnum):
    fan = "fan"
    parody = "parody"
    unrelated = "unrelated"
    other_institution = "other_institution"
    other = "other"


class Resolution(StrEnum):
    taken_down = "taken_down"
    brought_into_register = "brought_into_register"
    asked_to_close = "asked_to_close"


SYSTEM = "system"
TRIAGERS = frozenset({"superintendent", "designee"})
READERS = TRIAGERS | {"auditor"}
CONFIRMED = frozenset({FindingStatus.confirmed_impersonation, FindingStatus.takedown_requested})
OPEN = frozenset({FindingStatus.open})
UNOFFICIAL = frozenset({FindingStatus.unofficial_presence})

# action: (from which states, to which state, the resolution it records)
_TRANSITIONS: dict[FindingAction, tuple[frozenset[FindingStatus], FindingStatus, Resolution | None]]
_TRANSITIONS = {
    FindingAction.confirm: (OPEN, FindingStatus.confirmed_impersonation, None),
    FindingAction.request_takedown: (
        frozenset({FindingStatus.confirmed_impersonation}),
        FindingStatus.takedown_requested,
        None,
    ),
    # A confirmed impostor may vanish before anyone reports it: that resolves it too.
    FindingAction.resolve: (CONFIRMED, FindingStatus.resolved, Resolution.taken_down),
    FindingAction.mark_unofficial: (OPEN, FindingStatus.unofficial_presence, None),
    FindingAction.bring_into_register: (
        UNOFFICIAL,
        FindingStatus.resolved,
        Resolution.brought_into_register,
    ),
    FindingAction.ask_to_close: (UNOFFICIAL, FindingStatus.resolved, Resolution.asked_to_close),
    FindingAction.dismiss: (OPEN, FindingStatus.dismissed, None),
    FindingAction.reopen: (frozenset({FindingStatus.dismissed}), FindingStatus.open, None),
}


@dataclass(frozen=True)
class Moved:
    new_status: FindingStatus
    resolution: Resolution | None = None


@dataclass(frozen=True)
class Refused:
    kind: Literal["forbidden", "conflict", "invalid"]
    reason: str


def decide(
    status: FindingStatus,
    action: FindingAction,
    role: str,
    *,
    reason: DismissReason | None = None,
    note: str = "",
) -> Moved | Refused:
    """Apply nothing: say what `action` by someone of `role` would do, or why it may not."""
    if action is FindingAction.reopen:
        if role != SYSTEM:
            return Refused("forbidden", "Findings are reopened by the scanner only.")
    elif role not in TRIAGERS:
        return Refused("forbidden", "Only the superintendent or a designee triages findings.")
    allowed, target, resolution = _TRANSITIONS[action]
    if status not in allowed:
        options = " or ".join(sorted(allowed))
        return Refused(
            "conflict", f"Cannot {action} a finding that is {status}; it must be {options}."
        )
    if action is FindingAction.dismiss:
        if reason is None:
            return Refused("invalid", "Say why it is dismissed: " + ", ".join(DismissReason) + ".")
        if reason is DismissReason.other and not note.strip():
            return Refused("invalid", "A dismissal for another reason needs a note.")
    return Moved(target, resolution)


def evidence_pack_allowed(status: FindingStatus, resolution: str | None) -> bool:
    """A takedown evidence pack is for confirmed impostors only (also after the takedown)."""
    return status in CONFIRMED or resolution == Resolution.taken_down


# --- material change: what makes a dismissed account worth a second look ---

CLAIM_WORDS = frozenset(skeleton(w) for w in ("official", "real", "verified", "authentic"))


@dataclass(frozen=True)
class ProfileFacts:
    """What is compared between two sightings of one account."""

    display_name: str
    bio: str
    image_phash: int | None


def bio_claims(bio: str, names: Iterable[str]) -> frozenset[str]:
    """The claims a bio makes: "official"-type words, and which of `names` (the institution's
    name, aliases, domains) it mentions — compared as TR39 skeletons, so homoglyphs count."""
    bio_skeleton = skeleton(bio)
    found = {f"says {word}" for word in words(bio_skeleton) if word in CLAIM_WORDS}
    for name in names:
        name_skeleton = " ".join(words(skeleton(name)))
        if name_skeleton and f" {name_skeleton} " in f" {' '.join(words(bio_skeleton))} ":
            found.add(f"names {name}")
    return frozenset(found)


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def material_changes(
    before: ProfileFacts | None, after: ProfileFacts, names: Iterable[str]
) -> list[str]:
    """Why the account is materially different now; empty when it is not.

    Material: another display name (look-alike characters count), a new profile image
    (perceptual-hash distance above the copy threshold), or a bio claim it did not make before
    ("official", the institution's names or domain). Followers, links and a removed image are not.
    """
    if before is None:
        return []
    changes = []
    if not _same_name(before.display_name, after.display_name):
        changes.append(
            f'display name changed from "{before.display_name}" to "{after.display_name}"'
        )
    if after.image_phash is not None and (
        before.image_phash is None
        or (before.image_phash ^ after.image_phash).bit_count() > PHASH_MATCH
    ):
        changes.append("profile image changed")
    name_list = list(names)
    gained = bio_claims(after.bio, name_list) - bio_claims(before.bio, name_list)
    changes += [f"bio now {claim}" for claim in sorted(gained)]
    return changes


def should_reopen(status: FindingStatus, changes: list[str], needs_action: bool) -> bool:
    """A dismissed finding reopens when the account changed materially and the scorer would
    report it today; a cosmetic change, or a change into something harmless, does not."""
    return status is FindingStatus.dismissed and bool(changes) and needs_action
