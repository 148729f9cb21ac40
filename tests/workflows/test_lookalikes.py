"""Lookalike handles and keyword queries for candidate discovery."""

from collections import Counter
from pathlib import Path

import pytest
import yaml

from workflows.impersonation.institution import InstitutionProfile, institution_from_mapping
from workflows.impersonation.text import skeleton
from workflows.lookalikes import (
    LOOKUP_BATCH,
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
        assert sum(len(b) for b in batches) == len(plan.lookalikes) + len(plan.official_elsewhere)
    assert batched([str(i) for i in range(250)], Platform.x) == [
        tuple(str(i) for i in range(start, min(start + 100, 250))) for start in (0, 100, 200)
    ]
