"""Hostile input to the handle generator: whatever a register holds or a person types as a
name (any Unicode, empty, very long, right-to-left, zero-width, emoji), the generator never
raises, and everything it plans is a new handle the platform would accept, in a bounded,
repeatable list."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from workflows.impersonation.institution import InstitutionProfile, OfficialAccount
from workflows.impersonation.text import skeleton
from workflows.lookalike_fillers import PER_REQUEST, filler_handles
from workflows.lookalikes import (
    LOOKUP_BATCH,
    Lookalike,
    discovery_plan,
    display_name_lookalikes,
    lookalike_handles,
    technique_variants,
)
from workflows.platforms import Platform
from workflows.profile_urls import handle_key, is_valid_handle

# Characters that break naive string handling: right-to-left marks, zero-width joiners and
# spaces, a byte-order mark, combining marks, confusables, emoji (outside the BMP), NUL.
TRICKY = "\u202e\u200f\u200d\u200b\ufeff\u0301\u043e\u0131\u00df\U0001f600\x00 ._-@/"
HANDLE_CHARS = st.sampled_from("abcdeilmnorstuvwxyzABMNOT0123456789_.-") | st.sampled_from(TRICKY)
HANDLES = st.text(HANDLE_CHARS, max_size=40) | st.text(max_size=300)
PLATFORMS = st.sampled_from(list(Platform))
TECHNIQUES = frozenset(technique_variants("x")) | {"name"}
EXAMPLES = settings(max_examples=60)


def assert_new_valid_handles(
    platform: Platform, found: list[Lookalike], taken: list[str], limit: int
) -> None:
    """Valid on the platform, none of `taken`, no two the same by the platform's comparison."""
    assert len(found) <= limit
    keys = [handle_key(platform, v.handle) for v in found]
    assert len(set(keys)) == len(keys)
    assert not set(keys) & {handle_key(platform, h) for h in taken}
    for variant in found:
        assert is_valid_handle(platform, variant.handle), variant


@EXAMPLES
@given(
    platform=PLATFORMS,
    handle=HANDLES,
    registered=st.lists(HANDLES, max_size=3),
    cap=st.integers(0, 300),
    words=st.lists(st.text(max_size=12), max_size=4),
)
@example(Platform.x, "\u202eMoore\u200dNorman\U0001f600", [], 20, ["Moore"])
@example(Platform.bluesky, "school..bsky.social", ["school.bsky.social"], 20, [])
def test_lookalikes_of_any_text_are_new_valid_handles_within_the_cap(
    platform: Platform, handle: str, registered: list[str], cap: int, words: list[str]
) -> None:
    found = lookalike_handles(platform, handle, registered=registered, cap=cap, words=words)

    assert_new_valid_handles(platform, found, [handle, *registered], cap)
    assert {v.source for v in found} <= {handle}
    assert {v.technique for v in found} <= TECHNIQUES
    again = lookalike_handles(platform, handle, registered=registered, cap=cap, words=words)
    assert again == found


@EXAMPLES
@given(name=st.text(max_size=200), cap=st.integers(0, 80))
@example(name="Moore Norman Tech", cap=0)
def test_display_name_lookalikes_of_any_text_change_one_character(name: str, cap: int) -> None:
    variants = display_name_lookalikes(name, cap=cap)

    assert len(variants) <= cap
    assert variants == display_name_lookalikes(name, cap=cap)
    for variant in variants:
        assert len(variant) == len(name)
        assert sum(a != b for a, b in zip(variant, name, strict=True)) == 1


# Names as people write them: words of letters and digits. (Next to free-standing punctuation
# a skeleton depends on context, so only words promise an identical skeleton.)
NAMES = st.text(st.characters(categories=["L", "Nd", "Zs"]), max_size=60)


@EXAMPLES
@given(name=NAMES)
@example(name="Block T")  # T has look-alike symbols (U+22A4), punctuation when alone
def test_display_name_lookalikes_keep_the_skeleton(name: str) -> None:
    for variant in display_name_lookalikes(name, cap=20):
        assert skeleton(variant) == skeleton(name)


INSTITUTIONS = st.builds(
    InstitutionProfile,
    name=st.text(max_size=60),
    aliases=st.lists(st.text(max_size=30), max_size=2).map(tuple),
    domains=st.lists(st.text(max_size=30), max_size=2).map(tuple),
    official_accounts=st.lists(
        st.builds(OfficialAccount, platform=PLATFORMS, handle=HANDLES), max_size=3
    ).map(tuple),
)


@settings(max_examples=25)
@given(institution=INSTITUTIONS, cap=st.integers(0, 40))
def test_a_plan_for_any_register_looks_up_only_new_valid_handles_in_bounded_batches(
    institution: InstitutionProfile, cap: int
) -> None:
    plans = discovery_plan(institution, list(Platform), cap=cap)

    registered = [a.handle for a in institution.official_accounts]
    for platform, plan in plans.items():
        sources = {a.handle for a in institution.official_accounts}
        assert len(plan.lookalikes) <= cap * len(sources)
        assert_new_valid_handles(platform, list(plan.lookalikes), registered, len(plan.lookalikes))
        planned = [*registered, *(v.handle for v in plan.lookalikes)]
        limit = LOOKUP_BATCH[platform] - 1 if platform in PER_REQUEST else 0
        assert_new_valid_handles(platform, list(plan.fillers), planned, limit)
        assert all(is_valid_handle(platform, h) for h in plan.official_elsewhere)
        assert all(len(batch) <= LOOKUP_BATCH[platform] for batch in plan.batches())
    assert discovery_plan(institution, list(Platform), cap=cap) == plans


@EXAMPLES
@given(
    platform=st.sampled_from(sorted(PER_REQUEST)),
    institution=INSTITUTIONS,
    officials=st.lists(HANDLES, max_size=3),
    taken=st.lists(HANDLES, max_size=3),
)
def test_fillers_for_any_names_are_new_valid_handles_within_one_batch(
    platform: Platform, institution: InstitutionProfile, officials: list[str], taken: list[str]
) -> None:
    fillers = filler_handles(platform, institution, officials, taken=taken)

    assert_new_valid_handles(platform, fillers, taken, LOOKUP_BATCH[platform] - 1)
    assert filler_handles(platform, institution, officials, taken=taken) == fillers
