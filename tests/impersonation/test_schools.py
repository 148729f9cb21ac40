"""Patterns of school districts and multi-campus centers: schools called by short names or
initials, program pages under the head of the name, same-named towns and acronyms abroad.
On a fictional district unlike every evaluation set."""

import pytest

from workflows.impersonation.institution import (
    CandidateProfile,
    InstitutionProfile,
    OfficialAccount,
)
from workflows.impersonation.lexicon import cues
from workflows.impersonation.names import build_name_model, campus_initials, campus_variants
from workflows.impersonation.text import plain
from workflows.platforms import Platform

from .helpers import profile
from .test_scoring import assess, has


@pytest.fixture
def maple() -> InstitutionProfile:
    return InstitutionProfile(
        name="Maple Ridge Unified School District",
        aliases=("MRUSD", "Maple Ridge Schools"),
        domains=("mapleridgeschools.org",),
        location="Maple Ridge, Vermont",
        campuses=("Maple Ridge High School", "Birchwood Elementary School", "Quarry Hill Campus"),
        departments=("Family Services", "Transportation"),
        official_accounts=(
            OfficialAccount(Platform.x, "MapleRidgeUSD", "Maple Ridge Unified School District"),
            OfficialAccount(Platform.instagram, "mrhs.hawks", "Maple Ridge High School"),
            OfficialAccount(Platform.x, "MRHawks", "Hawks Athletics"),
        ),
    )


def test_a_school_goes_by_its_short_forms() -> None:
    assert campus_variants("Birchwood Elementary School") == {
        "Birchwood Elementary School",
        "Birchwood Elementary",
        "Birchwood ES",
        "Birchwood Elem",
    }
    assert campus_variants("Quarry Hill Campus") == {"Quarry Hill Campus"}  # a place, kept whole
    assert campus_initials(["Maple Ridge High School", "Quarry Hill Campus"]) == {"MRHS"}


def test_a_school_page_under_its_short_name_is_an_unofficial_presence(
    maple: InstitutionProfile,
) -> None:
    page = profile(handle="birchwood_elem", display_name="Birchwood Elem 🍁", bio="Our K-5 news.")
    assert assess(maple, page).verdict == "unofficial_presence"


def test_initials_and_staff_voice_at_the_district_domain_are_an_unofficial_presence(
    maple: InstitutionProfile,
) -> None:
    team = profile(
        handle="mrhs_xc",
        display_name="MRHS Cross Country",
        bio="Meet results and practice times. Posted by our coaching staff.",
        url="https://mrhs.mapleridgeschools.org/xc",
    )
    assert assess(maple, team).verdict == "unofficial_presence"


def test_the_head_of_the_name_with_a_program_placed_in_the_bio_is_an_unofficial_presence(
    maple: InstitutionProfile,
) -> None:
    robotics = profile(
        handle="mapleridge_robotics",
        display_name="Maple Ridge Robotics Lab",
        bio="Build season updates from the robotics team at Maple Ridge High School.",
    )
    result = assess(maple, robotics)
    assert result.verdict == "unofficial_presence"
    assert has(result, "Maple Ridge Robotics Lab")


@pytest.mark.parametrize(
    ("display_name", "bio", "url"),
    [
        (
            "Maple Ridge Public Library",
            "Your town library. Homework help for Maple Ridge High School students.",
            "https://mapleridgelibrary.org",
        ),
        (
            "Maple Ridge Youth Soccer",
            "Community soccer club for grades K-8, playing at Birchwood Elementary.",
            None,
        ),
        (
            "Maple Ridge Educators Local 12",
            "Teachers and staff of Maple Ridge Unified School District, organized.",
            None,
        ),
    ],
)
def test_neighbours_that_share_the_towns_name_are_benign(
    maple: InstitutionProfile, display_name: str, bio: str, url: str | None
) -> None:
    neighbour = profile(
        handle="neighbour", display_name=display_name, bio=bio, url=url, location="Maple Ridge, VT"
    )
    assert assess(maple, neighbour).verdict == "benign"


def test_a_town_of_the_same_name_in_another_state_is_elsewhere(maple: InstitutionProfile) -> None:
    other = profile(
        platform="x",
        handle="MapleRidgeSD7",
        display_name="Maple Ridge School District #7",
        bio="K-12 under one roof since 1958.",
        url="https://www.mapleridgesd7.org",
        location="Maple Ridge, Montana",
    )
    assert assess(maple, other).verdict == "benign"
    assert "vt" in build_name_model(maple).broad_words


def test_an_acronym_abroad_with_its_own_domain_is_a_collision(maple: InstitutionProfile) -> None:
    club = profile(
        handle="mrusd",
        display_name="MRUSD e.V.",
        bio="Unterwassersport in Hamburg seit 1978.",
        url="https://mrusd-hamburg.de",
        location="Hamburg, Deutschland",
    )
    assert assess(maple, club).verdict == "benign"


def test_an_acronym_abroad_asking_for_an_ssn_is_impersonation(maple: InstitutionProfile) -> None:
    scam = profile(
        handle="mrusd_careers",
        display_name="MRUSD Careers",
        bio="Remote aide jobs, start now! Send your SSN and bank details to onboard.",
        location="Manila, Philippines",
    )
    assert assess(maple, scam).verdict == "impersonation"


def test_a_district_named_by_its_isd_form_is_the_district(maple: InstitutionProfile) -> None:
    scam = profile(
        handle="MapleRidge.ISD",
        display_name="Maple Ridge Unified ISD",
        bio="Send a photo of your driver's license and your SSN by Messenger to be hired.",
        location="Lagos, Nigeria",
    )
    assert assess(maple, scam).verdict == "impersonation"


def test_a_business_naming_its_price_with_a_disclaimer_is_benign(
    maple: InstitutionProfile,
) -> None:
    tutor = profile(
        handle="mapleridge.tutoring",
        display_name="Maple Ridge Tutoring Co.",
        bio="Tutoring for MRUSD students. Independent business, not affiliated. $45/hr.",
        location="Maple Ridge, VT",
    )
    assert assess(maple, tutor).verdict == "benign"


def test_a_listed_department_is_an_office_even_when_its_words_sound_like_a_fan_page(
    maple: InstitutionProfile,
) -> None:
    office = profile(handle="mrusd_families", display_name="MRUSD Family Services", bio="")
    assert assess(maple, office).verdict == "unofficial_presence"


@pytest.mark.parametrize(
    ("bio", "kind"),
    [
        ("upload a photo of your driver's license to stay registered", "credentials"),
        ("CNC machining, NIMS credentials earned here", None),
        ("Varsity volleyball. Coach Pérez.", "staff"),
        ("Kept by the forestry instructors.", "staff"),
        ("Union news and meeting dates.", "org"),
    ],
)
def test_phrases(bio: str, kind: str | None) -> None:
    found = cues(plain(bio))
    if kind is None:
        assert "credentials" not in found
    else:
        assert kind in found


def test_campus_initials_count_once_the_bio_places_the_account(
    maple: InstitutionProfile,
) -> None:
    placed = profile(
        handle="mrhs_life",
        display_name="MRHS Student Life",
        bio="Spirit week and announcements at Maple Ridge High School.",
    )
    elsewhere = profile(handle="mrhs_life", display_name="MRHS Student Life", bio="Go team!")
    assert assess(maple, placed).verdict == "unofficial_presence"
    assert assess(maple, elsewhere).verdict == "benign"


def test_a_mascot_from_a_registered_name_marks_a_team_page(maple: InstitutionProfile) -> None:
    def team(display_name: str) -> CandidateProfile:
        bio = "Varsity softball schedule. Coaches Brandt & Okafor."
        return profile(display_name=display_name, bio=bio, location="Maple Ridge, VT")

    assert assess(maple, team("Hawks Softball")).verdict == "unofficial_presence"
    assert assess(maple, team("Falcons Softball")).verdict == "benign"


def test_a_handle_spelling_a_schools_name_is_not_a_typo_of_the_districts(
    maple: InstitutionProfile,
) -> None:
    school = profile(
        platform="x",
        handle="MapleRidgeHS",
        display_name="MRHS Student Life",
        bio="Announcements at Maple Ridge High School. Run by the activities office.",
        location="Maple Ridge, VT",
    )
    assert assess(maple, school).verdict == "unofficial_presence"


def test_the_towns_fire_department_two_letters_from_the_district_handle_is_benign(
    maple: InstitutionProfile,
) -> None:
    fire = profile(
        platform="x",
        handle="MapleRidgeFD",
        display_name="Maple Ridge Fire Dept",
        bio="Fire & EMS. Fire prevention visits to local schools every October.",
        url="https://mapleridgevt.gov/fire",
        location="Maple Ridge, VT",
    )
    assert assess(maple, fire).verdict == "benign"


def test_a_levy_committee_on_its_own_site_is_benign(maple: InstitutionProfile) -> None:
    levy = profile(
        handle="VoteYesMapleRidge",
        display_name="Vote YES for Maple Ridge Schools",
        bio="Citizens' levy committee. Paid for by Friends of Maple Ridge Schools.",
        url="https://yesformapleridgeschools.org",
        location="Maple Ridge, VT",
    )
    assert assess(maple, levy).verdict == "benign"


def test_a_renamed_account_saying_the_main_one_is_restricted_is_impersonation(
    maple: InstitutionProfile,
) -> None:
    renamed = profile(
        handle="jpark_realty99",
        display_name="Maple Ridge Schools",
        bio="Heads up families: our main account is restricted. Follow here for closings.",
    )
    result = assess(maple, renamed)
    assert result.verdict == "impersonation"
    assert has(result, "old account is gone")


@pytest.mark.parametrize(
    ("display_name", "bio", "url"),
    [
        ("Jenna K, LPN", "LPN, grad of the Maple Ridge Schools PN program.", None),
        (
            "Prairie Line Freight",
            "Hiring CDL grads! 40 drivers from the Maple Ridge Schools CDL program.",
            "https://prairielinefreight.com",
        ),
        (
            "Birch Falls Public Schools",
            "Many of our juniors attend half-day programs at Maple Ridge High School.",
            "https://bfps.org",
        ),
        (
            "Brecken County Sheriff's Office",
            "Our school resource officers work at Maple Ridge High School.",
            "https://brecken.gov/sheriff",
        ),
    ],
)
def test_speaking_of_the_institution_is_not_speaking_for_it(
    maple: InstitutionProfile, display_name: str, bio: str, url: str | None
) -> None:
    outsider = profile(display_name=display_name, bio=bio, url=url)
    assert assess(maple, outsider).verdict == "benign"


def test_a_program_page_placed_at_a_campus_is_an_unofficial_presence(
    maple: InstitutionProfile,
) -> None:
    page = profile(
        display_name="Lineworker Program",
        bio="Powerline training at Maple Ridge Schools, Quarry Hill Campus.",
    )
    assert assess(maple, page).verdict == "unofficial_presence"


def test_a_same_named_company_at_its_own_site_elsewhere_is_a_collision(
    maple: InstitutionProfile,
) -> None:
    company = profile(
        platform="x",
        handle="MapleRidgeUSDIT",
        display_name="Maple Ridge Schools Solutions",
        bio="Managed IT for small businesses. 24/7 help desk.",
        url="https://mapleridgeschoolssolutions.com",
        location="Odessa, TX",
    )
    assert assess(maple, company).verdict == "benign"


def test_a_foundation_raising_emergency_grants_with_a_disclaimer_is_benign(
    maple: InstitutionProfile,
) -> None:
    foundation = profile(
        display_name="Maple Ridge Schools Foundation",
        bio="Independent 501(c)(3) raising scholarships and emergency grants for students.",
        url="https://mapleridgeschoolsfoundation.org",
    )
    assert assess(maple, foundation).verdict == "benign"
