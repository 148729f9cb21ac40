"""Patterns that generalise beyond the dev set's wording, on the fictional college of
helpers.harbor: a handle as identity, copied names, programs outside the departments list,
and independent groups or businesses that merely share the name."""

from datetime import timedelta

import pytest

from workflows.impersonation.institution import InstitutionProfile
from workflows.impersonation.lexicon import cues
from workflows.impersonation.names import build_name_model
from workflows.impersonation.text import plain, skeleton

from .helpers import NOW, profile
from .test_scoring import assess, has


@pytest.mark.parametrize(
    ("handle", "names", "spells"),
    [
        ("HPCC_Bursary", True, False),
        ("hpccbursary", True, False),
        ("HPCCBursary", True, False),
        ("harbor.point.college.help", True, False),
        ("HarborPointCommunityCollege", True, True),
        ("bursary_office", False, False),
        ("shpccx", False, False),
    ],
)
def test_handle_names_the_institution(
    harbor: InstitutionProfile, handle: str, names: bool, spells: bool
) -> None:
    assert build_name_model(harbor).handle_names(handle) == (names, spells)


def test_office_name_under_an_acronym_handle_with_a_fee_is_impersonation(
    harbor: InstitutionProfile,
) -> None:
    candidate = profile(
        handle="HPCC_Bursary",
        display_name="Harbor Bursary Office",
        bio="Winners announced! Award still pending? A $15 release fee clears it. DM us.",
    )
    result = assess(harbor, candidate)
    assert result.verdict == "impersonation"
    assert has(result, "office name under a handle")


def test_office_name_and_fee_without_the_handle_are_not_tied_to_the_institution(
    harbor: InstitutionProfile,
) -> None:
    candidate = profile(
        handle="bursary_desk",
        display_name="Harbor Bursary Office",
        bio="A $15 release fee clears your award. DM us.",
    )
    assert assess(harbor, candidate).verdict == "benign"


def test_acronym_handle_of_a_club_with_fees_is_benign(harbor: InstitutionProfile) -> None:
    candidate = profile(
        handle="hpcc_sailing",
        display_name="Port Ellis Sailing Club",
        bio="Season membership $40. DM us for a trial sail.",
    )
    assert assess(harbor, candidate).verdict == "benign"


def test_exact_name_with_the_name_squashed_into_the_handle_is_impersonation(
    harbor: InstitutionProfile,
) -> None:
    candidate = profile(
        platform="youtube",
        handle="HarborPointCommunityCollege",
        display_name="Harbor Point Community College",
        created_at=NOW - timedelta(days=20),
        followers=2,
    )
    result = assess(harbor, candidate)
    assert result.verdict == "impersonation"
    assert has(result, "display name equals the institution's")


def test_exact_name_and_squashed_handle_placed_elsewhere_is_not_enough(
    harbor: InstitutionProfile,
) -> None:
    candidate = profile(
        platform="youtube",
        handle="HarborPointCommunityCollege",
        display_name="Harbor Point Community College",
        location="Perth, Australia",
    )
    assert assess(harbor, candidate).verdict == "benign"


@pytest.mark.parametrize(
    ("display", "bio"),
    [
        ("HPCC Dental Hygiene", "Our seniors just finished their first clinic rotation!"),
        ("HPCC Study Hub", "Printing, tutoring and quiet rooms. Open 8-5 on weekdays."),
        ("Robotics Club @ HPCC", "Our chapter heads to regionals in March. Updates from advisors."),
        ("Tidewater Cafe at Harbor Point College", "student chefs from the hospitality program"),
        ("HPCC Barbering", "fresh fades from the student shop ✂️ book through the front desk"),
        ("Harbor Point College Photography", "Student portfolios from the photography program."),
    ],
)
def test_programs_outside_the_departments_list_are_unofficial_presence(
    harbor: InstitutionProfile, display: str, bio: str
) -> None:
    result = assess(harbor, profile(display_name=display, bio=bio, location="Port Ellis, ME"))
    assert result.verdict == "unofficial_presence", result.reasons
    assert has(result, "unregistered")


@pytest.mark.parametrize(
    ("display", "bio"),
    [
        ("Maya at HPCC", "I love our program! Barista, cat mom, future hygienist."),
        ("HPCC Alumni", "Our classmates, our memories. Open to all grads."),
        ("HPCC Photography", "Parody. Bad photos of the quad."),
    ],
)
def test_personal_fan_and_parody_accounts_with_program_words_stay_benign(
    harbor: InstitutionProfile, display: str, bio: str
) -> None:
    assert assess(harbor, profile(display_name=display, bio=bio)).verdict == "benign"


def test_never_charging_fees_is_a_reassurance_not_a_payment() -> None:
    found = cues(plain("Independent nonprofit. We never charge fees."))
    assert "warning" in found and "payment" not in found


def test_independent_foundation_on_its_own_domain_is_benign(harbor: InstitutionProfile) -> None:
    candidate = profile(
        handle="HarborPointCollegeFoundation",
        display_name="Harbor Point College Scholarship Foundation",
        bio="Independent nonprofit funding HPCC students. We never charge fees.",
        url="https://harborpointcollegefoundation.org",
        location="Port Ellis, Maine",
    )
    assert assess(harbor, candidate).verdict == "benign"


def test_booster_club_asking_for_donations_is_benign(harbor: InstitutionProfile) -> None:
    candidate = profile(
        handle="HPCCSailingBoosters",
        display_name="HPCC Sailing Boosters",
        bio="Parents raising travel money for nationals. Donate on Venmo @hpcc-sail-boosters.",
        location="Port Ellis, ME",
    )
    assert assess(harbor, candidate).verdict == "benign"


def test_booster_club_claiming_to_be_official_with_payments_is_impersonation(
    harbor: InstitutionProfile,
) -> None:
    candidate = profile(
        display_name="HPCC Official Boosters",
        bio="The official HPCC page. Pay your registration fee on Venmo.",
    )
    assert assess(harbor, candidate).verdict == "impersonation"


def test_business_on_its_own_domain_elsewhere_is_benign(harbor: InstitutionProfile) -> None:
    candidate = profile(
        handle="HarborPointCollegeConsulting",
        display_name="Harbor Point College Consulting",
        bio="Essay coaching for families across central Texas.",
        url="https://harborpointcollegeconsulting.com",
        location="Austin, TX",
    )
    assert assess(harbor, candidate).verdict == "benign"


def test_lookalike_domain_named_after_the_account_in_town_is_still_impersonation(
    harbor: InstitutionProfile,
) -> None:
    candidate = profile(
        handle="HarborPointCollegeAid",
        display_name="Harbor Point College Aid",
        bio="Apply for spring support today.",
        url="https://harborpointcollegeaid.com",
        location="Port Ellis, Maine",
    )
    assert assess(harbor, candidate).verdict == "impersonation"


def test_office_name_may_say_whom_it_serves(harbor: InstitutionProfile) -> None:
    model = build_name_model(harbor)
    assert model.names_an_office(skeleton("Student Help Desk"))
    assert model.names_an_office(skeleton("Harbor Bursary Office"))
    assert not model.names_an_office(skeleton("Student Life"))
    assert not model.names_an_office(skeleton("Port Ellis Sailing Club"))


@pytest.mark.parametrize("location", ["United States", "Maine", "Bayside, ME", None])
def test_a_program_page_at_a_campus_town_or_a_vague_place_is_unofficial(
    harbor: InstitutionProfile, location: str | None
) -> None:
    candidate = profile(
        handle="HPCCElectrical",
        display_name="HPCC Electrical Apprenticeship",
        bio="Updates from our electrical apprenticeship program: schedules and code changes.",
        location=location,
    )
    assert assess(harbor, candidate).verdict == "unofficial_presence"


def test_a_name_sharing_page_far_away_that_never_mentions_us_is_benign(
    harbor: InstitutionProfile,
) -> None:
    candidate = profile(
        handle="hpcc_tennis",
        display_name="HPCC Tennis Club",
        bio="Hillside Padel & Court Club. Courts open 8-22.",
        location="Lisbon, Portugal",
    )
    assert assess(harbor, candidate).verdict == "benign"


def test_a_program_named_in_the_bio_with_our_acronym_is_unofficial(
    harbor: InstitutionProfile,
) -> None:
    candidate = profile(
        handle="hpcc_nursing_lab",
        display_name="Harbor Nursing Lab",
        bio="Skills lab days and clinical prep. Nursing @ HPCC.",
    )
    assert assess(harbor, candidate).verdict == "unofficial_presence"
