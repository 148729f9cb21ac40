"""Lookalike handles and keyword queries for candidate discovery."""

from collections import Counter
from pathlib import Path

import pytest
import yaml

from workflows.impersonation.institution import (
    InstitutionProfile,
    OfficialAccount,
    institution_from_mapping,
)
from workflows.impersonation.text import skeleton
from workflows.lookalike_fillers import PER_REQUEST, filler_handles, name_stems
from workflows.lookalikes import (
    LOOKUP_BATCH,
    DiscoveryPlan,
    Lookalike,
    batched,
    discovery_plan,
    display_name_lookalikes,
    keyword_queries,
    lookalike_handles,
)
from workflows.platforms import Platform
from workflows.profile_urls import handle_key, normalize_handle

DEV = Path(__file__).resolve().parents[3] / "shared/eval/impersonation/dev/institution.yaml"
WORDS = ["Moore", "Norman", "Technology", "Tech", "Center"]


@pytest.fixture
def institution() -> InstitutionProfile:
    if not DEV.exists():
        pytest.skip(f"development set not found at {DEV}")
    return institution_from_mapping(yaml.safe_load(DEV.read_text(encoding="utf-8")))


def handles(platform: Platform, handle: str, **options: object) -> set[str]:
    found = lookalike_handles(platform, handle, words=WORDS, **options)  # type: ignore[arg-type]
    return {v.handle for v in found}


@pytest.mark.parametrize(
    ("platform", "handle", "expected"),
    [
        # Where handles may be longer than the original, every technique shows up.
        (
            Platform.youtube,
            "MooreNormanTech",
            [
                "MooreNormanTech_",  # separator
                "MooreNorrnanTech",  # TR39: rn reads as m
                "MooreNormanTec",  # omission
                "MoreNormanTech",  # omission
                "MoooreNormanTech",  # repetition
                "MooreNormaneTch",  # transposition
                "MooreNormanT3ch",  # replacement (leet)
                "MooreNormenTech",  # vowel swap
                "MooreNormanTech1",  # affix
                "TheMooreNormanTech",  # affix
                "MooreNormanTechOfficial",  # affix
                "MooreNormanTech_real",  # affix
                "Moore_NormanTech",  # separator at a word boundary
            ],
        ),
        # X allows 15 characters, so a 15-character handle only has same-length lookalikes.
        (
            Platform.x,
            "MooreNormanTech",
            ["MoreNormanTech", "MooreNormanTec", "MooreNormaneTch", "MooreN0rmanTech"],
        ),
        (
            Platform.instagram,
            "mntc_cosmetology",
            [
                "mnct_cosmetology",
                "mntc_cosmetolgy",
                "mntc_cosmet0logy",
                "mntccosmetology",
                "mntc.cosmetology",
                "mntc_cosmetology_edu",
                "mntc_cosmetology2",
                "mntc_cosrnetology",
            ],
        ),
        (
            Platform.facebook,
            "MooreNormanTechnologyCenter",
            [
                "MooreNormanTechnologyCenterHQ",
                "TheMooreNormanTechnologyCenter",
                "MoorNormanTechnologyCenter",
            ],
        ),
        (
            Platform.tiktok,
            "moorenormantech",
            ["moorenormantech_", "moore_normantech", "mooreormantech"],
        ),
    ],
)
def test_known_lookalikes_are_generated(
    platform: Platform, handle: str, expected: list[str]
) -> None:
    found = {h.casefold() for h in handles(platform, handle)}
    assert {e.casefold() for e in expected} <= found


def test_variants_are_valid_on_their_platform() -> None:
    for platform in (Platform.x, Platform.facebook, Platform.instagram, Platform.tiktok):
        for handle in handles(platform, "MooreNormanTech"):
            normalize_handle(platform, "@" + handle)  # raises if the platform would refuse it
    for handle in handles(Platform.x, "MooreNormanTech"):
        assert len(handle) <= 15 and handle.replace("_", "").isalnum() and handle.isascii()
    assert not any("_" in h for h in handles(Platform.facebook, "MooreNormanTech"))


def test_no_variant_is_a_registered_handle(institution: InstitutionProfile) -> None:
    registered = {a.handle.casefold() for a in institution.official_accounts}
    for platform, plan in discovery_plan(institution).items():
        keys = {handle_key(platform, a.handle) for a in institution.official_accounts}
        for variant in plan.lookalikes:
            assert variant.handle.casefold() not in registered
            assert handle_key(platform, variant.handle) not in keys
        here = {a.key for a in institution.official_accounts if a.platform is platform}
        assert not {handle_key(platform, h) for h in plan.official_elsewhere} & here


def test_facebook_dots_do_not_make_new_handles() -> None:
    found = handles(Platform.facebook, "mntc.cosmetology", registered=["mntccosmetology"])
    assert not {h for h in found if h.replace(".", "").casefold() == "mntccosmetology"}


def test_generation_is_deterministic(institution: InstitutionProfile) -> None:
    assert discovery_plan(institution) == discovery_plan(institution)
    first = lookalike_handles(Platform.instagram, "moorenormantech", words=WORDS)
    assert first == lookalike_handles(Platform.instagram, "moorenormantech", words=WORDS)


@pytest.mark.parametrize("cap", [0, 1, 9, 40, 250])
def test_cap_bounds_each_handle(cap: int) -> None:
    found = lookalike_handles(Platform.youtube, "MooreNormanTech", cap=cap, words=WORDS)
    assert len(found) <= cap
    assert len({handle_key(Platform.youtube, v.handle) for v in found}) == len(found)


def test_a_small_cap_still_covers_every_technique() -> None:
    found = lookalike_handles(Platform.youtube, "MooreNormanTech", cap=9, words=WORDS)
    assert len(Counter(v.technique for v in found)) == 9


def test_bluesky_keeps_the_domain() -> None:
    found = lookalike_handles(Platform.bluesky, "hpcc.bsky.social", cap=20)
    assert found and all(v.handle.endswith(".bsky.social") for v in found)


def test_display_name_lookalikes_share_the_skeleton() -> None:
    variants = display_name_lookalikes("Moore Norman Tech", cap=10)
    assert len(variants) == 10
    for variant in variants:
        assert variant != "Moore Norman Tech"
        assert skeleton(variant) == skeleton("Moore Norman Tech")


def test_keyword_queries(institution: InstitutionProfile) -> None:
    queries = keyword_queries(institution)
    for expected in ("Moore Norman Technology Center", "MNTC", "Moore Norman Tech"):
        assert expected in queries
    assert "South Penn Campus" in queries
    assert len({q.casefold() for q in queries}) == len(queries)


def test_plan_batches_use_the_platforms_largest_batches(institution: InstitutionProfile) -> None:
    plans = discovery_plan(institution, [Platform.x, Platform.youtube], cap=30)
    for platform, plan in plans.items():
        batches = plan.batches()
        assert all(len(b) <= LOOKUP_BATCH[platform] for b in batches)
        primary = len(plan.lookalikes) + len(plan.official_elsewhere)
        room = -primary % LOOKUP_BATCH[platform]
        assert sum(len(b) for b in batches) == primary + min(room, len(plan.fillers))
    assert batched([str(i) for i in range(250)], Platform.x) == [
        tuple(str(i) for i in range(start, min(start + 100, 250))) for start in (0, 100, 200)
    ]


# A school unlike the development one, so nothing about fillers depends on its data.
HARBOR = InstitutionProfile(
    name="Harbor Point Community College",
    aliases=("HPCC", "Harbor Point"),
    domains=("harborpoint.edu",),
    official_accounts=(
        OfficialAccount(Platform.x, "HarborPointCC"),
        OfficialAccount(Platform.instagram, "harborpointcollege"),
        OfficialAccount(Platform.facebook, "HarborPointCommunityCollege"),
        OfficialAccount(Platform.bluesky, "harborpoint.bsky.social"),
    ),
)


def primary_keys(plan: DiscoveryPlan) -> list[str]:
    handles = [*plan.official_elsewhere, *(v.handle for v in plan.lookalikes)]
    return [handle_key(plan.platform, h) for h in handles]


@pytest.mark.parametrize("cap", [0, 1, 9, 50, 250])
def test_fillers_are_new_valid_handles(cap: int) -> None:
    for platform, plan in discovery_plan(HARBOR, list(Platform), cap=cap).items():
        registered = {handle_key(platform, a.handle) for a in HARBOR.official_accounts}
        keys = [handle_key(platform, v.handle) for v in plan.fillers]
        assert len(keys) == len(set(keys)) <= LOOKUP_BATCH[platform] - 1
        assert not set(keys) & registered
        assert not set(keys) & set(primary_keys(plan))
        for filler in plan.fillers:
            normalize_handle(platform, "@" + filler.handle)  # raises if the platform refuses it
        # Only where a fuller call costs nothing more: Graph batches count every call inside.
        assert bool(plan.fillers) == (platform in PER_REQUEST), platform
    assert discovery_plan(HARBOR, list(Platform)) == discovery_plan(HARBOR, list(Platform))


def test_fillers_are_deterministic() -> None:
    officials = ["HarborPointCC", "harborpointcollege"]
    first = filler_handles(Platform.x, HARBOR, officials, taken=["HarborPointCC"])
    assert first and first == filler_handles(Platform.x, HARBOR, officials, taken=["HarborPointCC"])
    assert "hpcc" not in {
        v.handle.casefold()
        for v in filler_handles(Platform.x, HARBOR, officials, taken=["HarborPointCC", "hpcc"])
    }  # `taken` is compared without case


def test_fillers_start_with_handles_made_of_the_names() -> None:
    assert name_stems(HARBOR) == ["HPCC", "HarborPoint", "HarborPointCommunityCollege"]
    fillers = discovery_plan(HARBOR, [Platform.x])[Platform.x].fillers
    found = {v.handle.casefold() for v in fillers}
    for expected in ("HPCC", "HPCC_official", "HPCCofficial", "TheHPCC", "HPCC_edu", "HPCC1"):
        assert expected.casefold() in found
    assert "harborpoint_hq" in found
    assert {v.technique for v in fillers} == {"name"}  # enough of them to fill the pool


def test_fillers_then_use_two_tricks_at_once() -> None:
    """No acronym, and a 15-character X handle leaves no room for affixes: a squatter drops
    a letter first."""
    school = InstitutionProfile(
        name="Lakeport Schools", official_accounts=(OfficialAccount(Platform.x, "LakeportSchools"),)
    )
    fillers = discovery_plan(school, [Platform.x])[Platform.x].fillers
    found = {v.handle: v.technique for v in fillers}
    assert found["LakeportSchool1"] == "omission+affix"
    assert found["LakportSchoo1s"] == "omission+homoglyph"
    assert {"omission+separator", "transposition+homoglyph"} <= set(found.values())
    assert len(fillers) == LOOKUP_BATCH[Platform.x] - 1


def test_bluesky_fillers_keep_a_domain() -> None:
    fillers = discovery_plan(HARBOR, [Platform.bluesky])[Platform.bluesky].fillers
    assert fillers and all(v.handle.endswith(".bsky.social") for v in fillers)
    assert "hpcc.bsky.social" in {v.handle for v in fillers}


def test_acronym_impostors_top_up_the_dev_plan(institution: InstitutionProfile) -> None:
    plan = discovery_plan(institution, [Platform.x])[Platform.x]
    sent = {h.casefold() for batch in plan.batches() for h in batch}
    for expected in ("MNTC", "MNTC_official", "MNTCofficial", "TheMNTC", "MNTC_edu", "MNTChq"):
        assert expected.casefold() in sent
    assert "mntc" not in {a.handle.casefold() for a in institution.official_accounts}


def fake(prefix: str, count: int) -> tuple[Lookalike, ...]:
    return tuple(Lookalike(f"{prefix}{i}", "test", "src") for i in range(count))


@pytest.mark.parametrize(
    ("primary", "fillers", "sizes"),
    [
        (163, 99, [100, 100]),  # the last batch is topped up
        (163, 10, [100, 73]),  # fillers run out: the last batch is as full as they allow
        (200, 99, [100, 100]),  # no room: fillers never start a batch
        (10, 99, [100]),
        (10, 5, [15]),  # the whole pool is smaller than one batch
        (0, 99, []),  # nothing to look up, nothing to top up
    ],
)
def test_batches_top_up_only_the_last_batch(primary: int, fillers: int, sizes: list[int]) -> None:
    plan = DiscoveryPlan(Platform.x, (), fake("p", primary), (), fake("f", fillers))
    batches = plan.batches()
    assert [len(b) for b in batches] == sizes
    flat = [h for b in batches for h in b]
    assert flat[:primary] == [f"p{i}" for i in range(primary)]  # lookalikes first, in order


@pytest.mark.parametrize("cap", [0, 1, 9, 30, 50, 250])
def test_every_call_is_full_and_no_call_is_added(institution: InstitutionProfile, cap: int) -> None:
    for platform, plan in discovery_plan(institution, list(Platform), cap=cap).items():
        size = LOOKUP_BATCH[platform]
        primary = [*plan.official_elsewhere, *(v.handle for v in plan.lookalikes)]
        batches = plan.batches()
        flat = [h for b in batches for h in b]
        assert flat[: len(primary)] == primary  # no lookalike displaced
        assert len(batches) == -(-len(primary) // size)  # fillers add no call
        assert all(len(b) == size for b in batches[:-1])
        if primary:
            last = len(primary) - size * (len(batches) - 1)
            assert len(batches[-1]) == min(size, last + len(plan.fillers))
        if platform in PER_REQUEST and primary:
            pool = len(primary) + len(plan.fillers)
            assert [len(b) for b in batches] == (
                [size] * len(batches) if pool >= size else [pool]
            ), platform
        keys = [handle_key(platform, h) for h in flat]
        assert len(keys) == len(set(keys))
