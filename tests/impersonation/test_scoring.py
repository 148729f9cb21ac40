"""One behaviour per test, on small profiles of a fictional college (helpers.harbor)."""

import time
from datetime import timedelta

import pytest

from workflows.impersonation.images import fingerprint_bytes
from workflows.impersonation.institution import CandidateProfile, InstitutionProfile
from workflows.impersonation.scoring import BANDS, Assessment, score_profiles

from .helpers import NOW, profile
from .test_images import logo_png, recoloured


def assess(institution: InstitutionProfile, candidate: CandidateProfile) -> Assessment:
    (result,) = score_profiles(institution, [candidate], now=NOW)
    low, high = BANDS[result.verdict]
    assert low <= result.score <= high
    return result


def has(result: Assessment, fragment: str) -> bool:
    return any(fragment in reason for reason in result.reasons)


def test_registered_accounts_are_official_by_the_platforms_own_comparison(
    harbor: InstitutionProfile,
) -> None:
    # Facebook ignores dots and case: both are the registered page "harbor.point.cc".
    for handle in ("HARBORPOINTCC", "harborpoint.cc"):
        result = assess(harbor, profile(platform="facebook", handle=handle))
        assert (result.verdict, result.score) == ("official", 0.0)


def test_same_handle_on_another_platform_is_not_official(harbor: InstitutionProfile) -> None:
    result = assess(harbor, profile(platform="tiktok", handle="HarborPointCC"))
    assert result.verdict != "official"


def test_homoglyph_display_name(harbor: InstitutionProfile) -> None:
    fake = "Harbor P\u043eint Community C\u043ellege"  # Cyrillic o twice
    result = assess(harbor, profile(display_name=fake, bio="Welcome! Enrol for spring."))
    assert result.verdict == "impersonation"
    assert has(result, "look-alike characters")


@pytest.mark.parametrize(
    ("handle", "fragment"),
    [
        ("HarborPoimtCC", "lookalike of @HarborPointCC"),
        ("HarborPointCC_official", 'plus "official"'),
        ("HarborPo1ntCC", "homoglyph of @HarborPointCC"),
        ("harborpointcc", "same as @HarborPointCC"),
    ],
)
def test_lookalike_handles_with_the_institutions_name(
    harbor: InstitutionProfile, handle: str, fragment: str
) -> None:
    candidate = profile(
        platform="tiktok",
        handle=handle,
        display_name="Harbor Point Community College",
        bio="News and events from Harbor Point Community College.",
    )
    result = assess(harbor, candidate)
    assert result.verdict == "impersonation"
    assert has(result, fragment), result.reasons
    assert has(result, "display name equals the institution's")


def test_copy_of_a_registered_program_account(harbor: InstitutionProfile) -> None:
    candidate = profile(handle="hpcc.nursing1", display_name="HPCC Nursing Official")
    result = assess(harbor, candidate)
    assert result.verdict == "impersonation"
    assert has(result, "copies registered @hpcc_nursing")


def test_scam_office_is_impersonation(harbor: InstitutionProfile) -> None:
    candidate = profile(
        display_name="Financial Aid Office",
        bio="HPCC financial aid. Pay the $25 processing fee by DM and send your student ID.",
    )
    result = assess(harbor, candidate)
    assert result.verdict == "impersonation"
    assert has(result, "brings up payment")
    assert has(result, "asks for IDs")


def test_a_scam_warning_is_not_a_scam(harbor: InstitutionProfile) -> None:
    candidate = profile(
        display_name="Dana Reyes",
        bio="Beware: HPCC will never ask for your password or a fee by DM.",
    )
    assert assess(harbor, candidate).verdict == "benign"


def test_lookalike_domain(harbor: InstitutionProfile) -> None:
    candidate = profile(
        display_name="HPCC Refunds", bio="Tuition refunds.", url="https://hpcc-refunds.net/x"
    )
    result = assess(harbor, candidate)
    assert result.verdict == "impersonation"
    assert has(result, "hpcc-refunds.net, which borrows the institution's name")


@pytest.mark.parametrize(
    ("display", "bio"),
    [
        ("HPCC Parody", "Satire. Not affiliated with Harbor Point Community College."),
        ("Harbor Point Community College", "Fan-run page, not the school. Go Gulls!"),
        ("HPCC Throwbacks", "Old photos from HPCC."),
        ("HPCC Booster Club", "Parents supporting HPCC sailing."),
        ("Friends of HPCC", "Volunteer-run. We raise money for HPCC scholarships."),
    ],
)
def test_disclaimers_fans_and_independent_groups_are_benign(
    harbor: InstitutionProfile, display: str, bio: str
) -> None:
    assert assess(harbor, profile(display_name=display, bio=bio)).verdict == "benign"


def test_disclaimer_is_quoted(harbor: InstitutionProfile) -> None:
    candidate = profile(display_name="HPCC Memes", bio="Parody account about HPCC.")
    result = assess(harbor, candidate)
    assert has(result, 'bio says "parody')


@pytest.mark.parametrize(
    ("display", "bio"),
    [
        ("HPCC Welding", "Welding students and instructors at HPCC. Shop photos."),
        ("Marine Technology | Harbor Point College", "Updates from the HPCC program."),
        ("Bayside Campus", "Closures and events at the Bayside Campus of HPCC."),
        ("Library", "The library at Harbor Point Community College. Open Mon-Fri."),
    ],
)
def test_program_office_and_campus_pages_are_unofficial_presence(
    harbor: InstitutionProfile, display: str, bio: str
) -> None:
    result = assess(harbor, profile(display_name=display, bio=bio, url="https://hpcc.edu/x"))
    assert result.verdict == "unofficial_presence"
    assert has(result, "unregistered")


def test_personal_accounts_mentioning_the_institution_are_benign(
    harbor: InstitutionProfile,
) -> None:
    candidate = profile(display_name="Dana Reyes", bio="Nursing student at HPCC. Coffee, dogs.")
    assert assess(harbor, candidate).verdict == "benign"


def test_name_collision_needs_more_than_the_name(harbor: InstitutionProfile) -> None:
    candidate = profile(handle="hpcc", display_name="HPCC", bio="Curling club in Glasgow.")
    result = assess(harbor, candidate)
    assert result.verdict == "benign"
    assert has(result, "nothing else points to it")


def test_renamed_account_claiming_a_move(harbor: InstitutionProfile) -> None:
    candidate = profile(
        handle="jdoe1987",
        display_name="Harbor Point Community College",
        bio="We moved! This is now the main HPCC page.",
        created_at=NOW - timedelta(days=9 * 365),
    )
    result = assess(harbor, candidate)
    assert result.verdict == "impersonation"
    assert has(result, "old account is gone")
    assert has(result, "9 years old but now carries the institution's name")


def test_other_institutions_claiming_official_are_benign(harbor: InstitutionProfile) -> None:
    candidate = profile(
        display_name="Port Ellis High School",
        bio="Official account of Port Ellis High School.",
        url="https://portellis.k12.me.us",
        location="Port Ellis, Maine",
    )
    result = assess(harbor, candidate)
    assert result.verdict == "benign"
    assert has(result, "does not name the institution")


def test_young_account_and_few_followers_are_reasons(harbor: InstitutionProfile) -> None:
    candidate = profile(
        handle="HarborPointCC_real",
        display_name="Harbor Point Community College",
        bio="The official HPCC page.",
        created_at=NOW - timedelta(days=12),
        followers=3,
    )
    result = assess(harbor, candidate)
    assert has(result, "account 12 days old")
    assert has(result, "3 followers")
    assert has(result, 'claims to be the real thing ("official")')


def test_profile_image_copying_the_logo(harbor: InstitutionProfile) -> None:
    logo = fingerprint_bytes(logo_png((0, 51, 153), (255, 204, 0)))
    copy = fingerprint_bytes(logo_png((0, 51, 153), (255, 204, 0), size=96, jpeg=True))
    other = fingerprint_bytes(recoloured())
    assert logo and copy and other
    institution = InstitutionProfile(**{**harbor.__dict__, "logos": (logo,)})
    candidate = profile(display_name="HPCC", bio="HPCC updates", image=copy)
    result = assess(institution, candidate)
    assert has(result, "profile image matches the official logo (pHash distance")
    unrelated = assess(institution, profile(display_name="HPCC", bio="HPCC", image=other))
    assert not has(unrelated, "profile image")


def test_batch_keeps_order_and_handles_empty_input(harbor: InstitutionProfile) -> None:
    assert score_profiles(harbor, [], now=NOW) == []
    batch = [profile(id=f"p{i}", handle=f"user{i}") for i in range(5)]
    assert [a.id for a in score_profiles(harbor, batch, now=NOW)] == [c.id for c in batch]


def test_every_needs_action_verdict_has_a_reason(harbor: InstitutionProfile) -> None:
    candidates = [
        profile(id="a", display_name="HPCC Welding", bio="HPCC welding program news."),
        profile(id="b", display_name="Harbor Point College", bio="Real HPCC page, follow us."),
    ]
    for result in score_profiles(harbor, candidates, now=NOW):
        assert result.verdict in {"impersonation", "unofficial_presence"}
        assert result.reasons and result.score >= 0.5


def test_ten_thousand_profiles_are_scored_in_one_batch_quickly(
    harbor: InstitutionProfile,
) -> None:
    """A guard against per-pair Python loops; bench/bench_scoring.py measures properly."""
    templates = [
        ("HarborPointCC_real", "Harbor Point Community College", "The official HPCC page."),
        ("hpcc_welding", "HPCC Welding", "Welding students and instructors at HPCC."),
        ("dana.reyes", "Dana Reyes", "Nursing student at HPCC. Coffee."),
        ("hpcc_fans", "HPCC Fans", "Not affiliated with the college."),
        ("aid_desk", "Financial Aid Desk", "HPCC aid: send your student ID by DM."),
        ("portellisnews", "Port Ellis News", "Covering Port Ellis."),
    ]
    batch = [
        profile(id=str(i), handle=f"{h}{i}", display_name=d, bio=f"{b} #{i}")
        for i in range(10_000)
        for h, d, b in [templates[i % len(templates)]]
    ]
    start = time.perf_counter()
    results = score_profiles(harbor, batch, now=NOW)
    assert len(results) == 10_000
    assert time.perf_counter() - start < 5.0
