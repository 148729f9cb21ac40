"""Text scanning: which roster students a post names, and which confidential details it
discloses, each with the span an author needs to find it. All names are fictional."""

from dataclasses import dataclass

import pytest

from workflows.text_checks import (
    Confidential,
    ConfidentialFinding,
    NameReference,
    find_confidential,
    find_student_references,
    where,
)


@dataclass(frozen=True)
class Student:
    student_id: int
    full_name: str
    preferred_name: str | None = None


MARISOL = Student(1, "Marisol Quintero", "Mari")
THEO = Student(2, "Theo Vandermolen")
WILL = Student(3, "Willem Ashgrove", "Will")
KESTREL = Student(4, "Kestrel O'Dowd")
THEA = Student(5, "Thea Vance")
ROSTER = (MARISOL, THEO, WILL, KESTREL, THEA)


def refs(text: str) -> list[tuple[int, str]]:
    return [(r.student_id, r.matched) for r in find_student_references(text, ROSTER)]


def kinds(text: str, **kwargs: object) -> list[tuple[Confidential, str]]:
    references = find_student_references(text, ROSTER)
    found = find_confidential(text, references, **kwargs)  # type: ignore[arg-type]
    return [(f.kind, text[f.start : f.end]) for f in found]


# --- names -------------------------------------------------------------------------------


def test_full_name_with_span() -> None:
    text = "Congratulations to Marisol Quintero!"
    assert find_student_references(text, ROSTER) == [
        NameReference(1, "Marisol Quintero", "Marisol Quintero", 19, 35)
    ]
    assert text[19:35] == "Marisol Quintero"


@pytest.mark.parametrize(
    "text",
    [
        "marisol quintero won",
        "MARISOL QUINTERO won",
        "Marisol   Quintero won",
        "Marisol\nQuintero won",
        "Marisol Quintero's robot won",
        "Marisol Quintero\u2019s robot won",
        "(Marisol Quintero) won",
    ],
)
def test_full_name_case_whitespace_and_possessive(text: str) -> None:
    assert [sid for sid, _ in refs(text)] == [1]


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("Well done, Theo V. and team", "Theo V."),
        ("Well done, Theo V and team", "Theo V"),
        ("well done, theo v.", "theo v."),
    ],
)
def test_first_name_and_last_initial(text: str, matched: str) -> None:
    assert refs(text) == [(2, matched)]


def test_first_name_alone_is_not_a_reference() -> None:
    assert refs("Marisol and Theo led the robotics team.") == []


def test_initial_does_not_match_a_longer_word() -> None:
    assert refs("Theo Vale and Theo Victory") == []


def test_preferred_name_alone_and_with_last_name() -> None:
    assert refs("Go Mari!") == [(1, "Mari")]
    assert refs("Mari Quintero's poster") == [(1, "Mari Quintero")]


def test_preferred_name_alone_must_be_capitalised() -> None:
    # "will" is an ordinary word; "Will" at the start of a sentence is taken as the name.
    assert refs("We will meet at noon.") == []
    assert refs("Will scored twice.") == [(3, "Will")]


def test_preferred_name_equal_to_first_name_is_not_enough() -> None:
    roster = (Student(7, "Anouk Brightwater", "Anouk"),)
    assert find_student_references("Anouk painted the mural.", roster) == []
    assert len(find_student_references("Anouk Brightwater painted it.", roster)) == 1


def test_whole_words_only() -> None:
    assert refs("Marisol Quinteros and XMarisol Quintero") == []


def test_apostrophes_in_names_match_either_form() -> None:
    assert refs("Kestrel O\u2019Dowd's design") == [(4, "Kestrel O\u2019Dowd")]
    assert refs("Kestrel O'Dowd") == [(4, "Kestrel O'Dowd")]


def test_ambiguous_initial_references_every_candidate() -> None:
    roster = (THEO, Student(8, "Theo Valdez"))
    found = find_student_references("Thanks, Theo V.!", roster)
    assert {r.student_id for r in found} == {2, 8}


def test_middle_names_and_suffixes() -> None:
    roster = (Student(9, "Rowan Elise Hartigan Jr."),)
    for text in ["Rowan Elise Hartigan Jr. won", "Rowan Hartigan won", "Rowan H. won"]:
        assert len(find_student_references(text, roster)) == 1, text


def test_repeated_name_is_reported_at_each_place() -> None:
    found = find_student_references("Theo Vandermolen, again Theo Vandermolen", ROSTER)
    assert [(r.start, r.end) for r in found] == [(0, 16), (24, 40)]


def test_where_is_one_based_and_inclusive() -> None:
    assert where(19, 35) == "characters 20\u201335"


# --- confidential details ----------------------------------------------------------------


def test_ssn_is_found_and_masked() -> None:
    text = "Her SSN is 123-45-6789."
    [finding] = find_confidential(text)
    assert finding.kind is Confidential.ssn
    assert (finding.start, finding.end) == (11, 22)
    assert "6789" not in finding.shown
    assert finding.shown == "•••-••-••••"


def test_student_number_pattern_and_roster_numbers_are_masked() -> None:
    text = "IDs: MN204871 and 77311"
    found = find_confidential(text, student_number_pattern=r"MN\d{6}", student_numbers=["77311"])
    assert [(f.kind, text[f.start : f.end]) for f in found] == [
        (Confidential.student_number, "MN204871"),
        (Confidential.student_number, "77311"),
    ]
    assert all(not any(c.isdigit() for c in f.shown) for f in found)


def test_student_number_must_be_a_whole_token() -> None:
    assert find_confidential("Room 773115", student_numbers=["77311"]) == []
    assert find_confidential("Room 12", student_numbers=["12"]) == []  # too short to tell


@pytest.mark.parametrize(
    "text",
    [
        "Theo Vandermolen, DOB 3/14/2009",
        "Theo was born on March 14, 2009.",
        "date of birth: 2009-03-14",
        "Happy birthday to our captain, 14th of March!",
        "D.O.B. 03.14.09",
    ],
)
def test_date_of_birth_needs_a_birth_keyword(text: str) -> None:
    assert [k for k, _ in kinds(text)] == [Confidential.date_of_birth]


@pytest.mark.parametrize(
    "text",
    ["The game is on 3/14/2025.", "Enrollment opens March 14, 2025.", "Born to Run, 2024 tour"],
)
def test_a_date_without_a_birth_keyword_is_fine(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize(
    "phone", ["405-555-0142", "(405) 555-0142", "405.555.0142", "+1 405 555 0142", "555-0142"]
)
def test_phone_numbers(phone: str) -> None:
    assert kinds(f"Call her at {phone} tonight") == [(Confidential.phone, phone)]


def test_institution_public_phone_is_allowed() -> None:
    public = frozenset({"4055550100"})
    text = "Call the front office at (405) 555-0100 or 555-0100."
    assert kinds(text, public_phone_numbers=public) == []
    assert kinds("Or 405-555-0199", public_phone_numbers=public) == [
        (Confidential.phone, "405-555-0199")
    ]


def test_numbers_that_are_not_phones() -> None:
    assert kinds("The 2024-2025 season: 98-102 win, grades 9-12, $1,250.00") == []


def test_personal_email_blocked_institution_email_allowed() -> None:
    domains = frozenset({"riverbend.edu"})
    text = "Write to coach@riverbend.edu, it@mail.Riverbend.edu or marisolq@examplemail.com."
    assert kinds(text, institution_domains=domains) == [
        (Confidential.email, "marisolq@examplemail.com")
    ]


def test_lookalike_domain_is_not_the_institution() -> None:
    domains = frozenset({"riverbend.edu"})
    assert [k for k, _ in kinds("x@notriverbend.edu", institution_domains=domains)] == [
        Confidential.email
    ]


@pytest.mark.parametrize(
    "address",
    ["1200 N Oak St.", "42 Willow Lane", "7 Cedar Ridge Rd", "315 W 5th Ave", "88 Harbor Blvd"],
)
def test_street_addresses(address: str) -> None:
    assert kinds(f"She lives at {address} near the park") == [
        (Confidential.street_address, address)
    ]


def test_ordinary_sentences_are_not_addresses() -> None:
    assert kinds("We raised 500 dollars along the way and won 3 games on the court.") == []


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Theo Vandermolen has asthma and will sit out.", "asthma"),
        ("Marisol Quintero's GPA rose this term.", "GPA"),
        ("Theo V. is failing chemistry", "failing"),
        ("Thea Vance was diagnosed last spring", "diagnosed"),
        ("The 504 plan for Theo Vandermolen", "504 plan"),
        ("Theo Vandermolen's grades improved", "grades"),
    ],
)
def test_grades_and_health_near_a_student_name(text: str, word: str) -> None:
    [finding] = find_confidential(text, find_student_references(text, ROSTER))
    assert finding.kind is Confidential.grades_or_health
    assert text[finding.start : finding.end] == word
    assert finding.student in {"Theo Vandermolen", "Marisol Quintero", "Thea Vance"}


def test_grades_and_health_need_a_name_nearby() -> None:
    assert kinds("Flu season: the hospital offers free shots.") == []
    far = "Theo Vandermolen won the final. " + "Other news today is about the " * 3 + "hospital."
    assert kinds(far) == []


def test_grade_as_a_year_group_is_not_a_mark() -> None:
    assert kinds("10th grade student Theo Vandermolen won; grade 11 next.") == []


def test_overlapping_findings_report_the_most_sensitive() -> None:
    text = "ID 4055550142"
    found = find_confidential(text, student_numbers=["4055550142"])
    assert [f.kind for f in found] == [Confidential.student_number]


def test_findings_are_in_text_order() -> None:
    text = "SSN 123-45-6789, phone 405-555-0142, lives at 9 Elm St"
    found = find_confidential(text)
    assert [f.kind for f in found] == [
        Confidential.ssn,
        Confidential.phone,
        Confidential.street_address,
    ]
    assert all(isinstance(f, ConfidentialFinding) for f in found)


# 40 first names x 25 surnames: a 1,000-student roster with realistic overlap.
FIRSTS = [
    a + b
    for a in ("Al", "Bri", "Cor", "Dal", "Es", "Fen", "Gil", "Har")
    for b in ["ana", "en", "ia", "o", "wyn"]
]
LASTS = [
    a + b
    for a in ("Ash", "Bright", "Cald", "Dun", "Elm")
    for b in ["grove", "water", "more", "ford", "wick"]
]


def test_a_large_roster_finds_exactly_the_named_students() -> None:
    roster = [
        Student(i, f"{FIRSTS[i % 40]} {LASTS[i // 40]}", "Kit" if i % 50 == 0 else None)
        for i in range(1000)
    ]
    text = (
        "Congratulations to Alana Ashgrove and Brien B. on the robotics final! Kit led the "
        "team. Call 405-555-0100 or email robotics@riverbend.edu. The 10th grade class raised "
        "500 dollars along the way for the food bank on March 4. Harwyn Elmford has asthma. "
    ) * 3
    text = text[:500]
    numbers = [f"S{200000 + i}" for i in range(1000)]

    references = find_student_references(text, roster)
    named = {r.full_name for r in references}
    assert {"Alana Ashgrove", "Harwyn Elmford"} <= named
    findings = find_confidential(text, references, student_numbers=numbers)
    assert any(f.kind == "grades_or_health" and f.student == "Harwyn Elmford" for f in findings)
