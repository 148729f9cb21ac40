"""The finding lifecycle and material change, as pure decisions."""

import pytest

from workflows import finding_lifecycle as lifecycle
from workflows.finding_lifecycle import (
    DismissReason,
    FindingAction,
    FindingStatus,
    Moved,
    ProfileFacts,
    Refused,
    Resolution,
)

S, A = FindingStatus, FindingAction
ALLOWED = [
    (S.open, A.confirm, S.confirmed_impersonation, None),
    (S.confirmed_impersonation, A.request_takedown, S.takedown_requested, None),
    (S.takedown_requested, A.resolve, S.resolved, Resolution.taken_down),
    (S.confirmed_impersonation, A.resolve, S.resolved, Resolution.taken_down),
    (S.open, A.mark_unofficial, S.unofficial_presence, None),
    (S.unofficial_presence, A.bring_into_register, S.resolved, Resolution.brought_into_register),
    (S.unofficial_presence, A.ask_to_close, S.resolved, Resolution.asked_to_close),
]
NAMES = ["Riverbend Technology Center", "RTC", "riverbend-tech.example"]


@pytest.mark.parametrize("role", ["superintendent", "designee"])
@pytest.mark.parametrize(("status", "action", "target", "resolution"), ALLOWED)
def test_triagers_move_findings_along_the_lifecycle(
    role: str,
    status: FindingStatus,
    action: FindingAction,
    target: FindingStatus,
    resolution: Resolution | None,
) -> None:
    assert lifecycle.decide(status, action, role) == Moved(target, resolution)


@pytest.mark.parametrize("role", ["auditor", "staff", "site_admin", "system"])
@pytest.mark.parametrize(("status", "action"), [(s, a) for s, a, _, _ in ALLOWED])
def test_nobody_else_triages(role: str, status: FindingStatus, action: FindingAction) -> None:
    decision = lifecycle.decide(status, action, role)
    assert isinstance(decision, Refused) and decision.kind == "forbidden"


def test_every_other_transition_is_a_conflict() -> None:
    allowed = {(s, a) for s, a, _, _ in ALLOWED} | {(S.open, A.dismiss)}
    for status in FindingStatus:
        for action in FindingAction:
            if action is A.reopen or (status, action) in allowed:
                continue
            decision = lifecycle.decide(status, action, "superintendent", reason=DismissReason.fan)
            assert isinstance(decision, Refused) and decision.kind == "conflict", (status, action)


def test_dismissal_needs_a_reason_and_other_needs_a_note() -> None:
    missing = lifecycle.decide(S.open, A.dismiss, "designee")
    assert isinstance(missing, Refused) and missing.kind == "invalid"
    bare_other = lifecycle.decide(S.open, A.dismiss, "designee", reason=DismissReason.other)
    assert isinstance(bare_other, Refused) and bare_other.kind == "invalid"
    for reason in DismissReason:
        decision = lifecycle.decide(S.open, A.dismiss, "designee", reason=reason, note="why")
        assert decision == Moved(S.dismissed)


def test_only_the_scanner_reopens_and_only_dismissed_findings() -> None:
    assert lifecycle.decide(S.dismissed, A.reopen, "system") == Moved(S.open)
    person = lifecycle.decide(S.dismissed, A.reopen, "superintendent")
    assert isinstance(person, Refused) and person.kind == "forbidden"
    for status in set(FindingStatus) - {S.dismissed}:
        refused = lifecycle.decide(status, A.reopen, "system")
        assert isinstance(refused, Refused) and refused.kind == "conflict"


def test_evidence_packs_only_for_confirmed_impersonation() -> None:
    allowed = {s for s in FindingStatus if lifecycle.evidence_pack_allowed(s, None)}
    assert allowed == {S.confirmed_impersonation, S.takedown_requested}
    assert lifecycle.evidence_pack_allowed(S.resolved, Resolution.taken_down)
    assert not lifecycle.evidence_pack_allowed(S.resolved, Resolution.asked_to_close)


HOMOGLYPH_NAME = "Riverbend Tech F\u0430ns"  # a Cyrillic a
BEFORE = ProfileFacts("Riverbend Tech Fans", "We love the Riverbend Tech welders!", 0x0F0F)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (ProfileFacts("Riverbend Tech Fans", BEFORE.bio, 0x0F0F), []),
        (ProfileFacts("riverbend  tech fans", BEFORE.bio, 0x0F0F), []),  # case and spacing
        (ProfileFacts(BEFORE.display_name, BEFORE.bio, 0x0F0F ^ 0b111), []),  # re-encoded image
        (ProfileFacts(BEFORE.display_name, BEFORE.bio, None), []),  # image removed
        (ProfileFacts("Riverbend Technology Center", BEFORE.bio, 0x0F0F), ["display name"]),
        (ProfileFacts(HOMOGLYPH_NAME, BEFORE.bio, 0x0F0F), ["display name"]),
        (ProfileFacts(BEFORE.display_name, BEFORE.bio, ~0x0F0F & 0xFFFF), ["profile image"]),
        (ProfileFacts(BEFORE.display_name, "The official page.", 0x0F0F), ["bio now says"]),
        (
            ProfileFacts(BEFORE.display_name, "Visit riverbend-tech.example", 0x0F0F),
            ["bio now names riverbend-tech.example"],
        ),
    ],
)
def test_material_changes(after: ProfileFacts, expected: list[str]) -> None:
    changes = lifecycle.material_changes(BEFORE, after, NAMES)
    assert len(changes) == len(expected)
    for change, start in zip(changes, expected, strict=True):
        assert change.startswith(start)


def test_bio_claims_see_through_homoglyphs() -> None:
    claims = lifecycle.bio_claims("\u0422he \u043efficial RTC page", NAMES)  # Cyrillic T and o
    assert claims == {"says official", "names RTC"}
    assert lifecycle.bio_claims("Artcraft studio", NAMES) == frozenset()


def test_reopen_needs_a_dismissal_a_material_change_and_a_reportable_verdict() -> None:
    assert lifecycle.should_reopen(S.dismissed, ["display name changed"], needs_action=True)
    assert not lifecycle.should_reopen(S.dismissed, [], needs_action=True)
    assert not lifecycle.should_reopen(S.dismissed, ["display name changed"], needs_action=False)
    assert not lifecycle.should_reopen(S.resolved, ["display name changed"], needs_action=True)
