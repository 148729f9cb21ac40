"""The policy's content rules over one submission: each passes, blocks or names an approver,
cites its clause, and says what it found and where. All names and numbers are fictional."""

from dataclasses import replace

import pytest

from workflows.content_rules import (
    RULES,
    ConsentScope,
    Depicts,
    MediaItem,
    RosterStudent,
    Rule,
    RuleResult,
    Submission,
    TargetAccount,
    ThirdPartyMaterial,
    check_submission,
)

AUTHOR = 10
BOTH = frozenset({ConsentScope.photo, ConsentScope.name})

MARISOL = RosterStudent(1, "Marisol Quintero", "Mari", "MN204871", BOTH)
THEO = RosterStudent(2, "Theo Vandermolen", None, "MN204872", frozenset())
ANOUK = RosterStudent(3, "Anouk Brightwater", None, "MN204873", frozenset({ConsentScope.photo}))
WREN = RosterStudent(4, "Wren Ashgrove", None, None, frozenset({ConsentScope.name}))
ROSTER = (MARISOL, THEO, ANOUK, WREN)

ACCOUNT = TargetAccount(1, "x @RiverbendTech", "authorized", frozenset({AUTHOR}))


def submission(**changes: object) -> Submission:
    base = Submission(
        author_id=AUTHOR,
        text="Open house is Thursday at 6 pm. Everyone is welcome!",
        targets=(ACCOUNT,),
        media=(),
        roster=ROSTER,
        institution_domains=frozenset({"riverbend.edu"}),
        public_phone_numbers=frozenset({"4055550100"}),
        student_number_pattern=r"MN\d{6}",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def run(rule_id: str, **changes: object) -> RuleResult:
    [rule] = [r for r in RULES if r.id == rule_id]
    result = rule.check(submission(**changes))
    assert result.rule == rule_id
    assert result.clause == rule.clause
    return result


def photo(
    depicts: Depicts, *ids: int, faces: int | None = None, name: str = "team.jpg"
) -> MediaItem:
    return MediaItem(7, name, depicts, ids, faces)


# --- the whole set -----------------------------------------------------------------------


def test_check_submission_runs_every_rule_in_order() -> None:
    results = check_submission(submission())
    assert [r.rule for r in results] == [
        "account.authorized",
        "media.individual_student",
        "media.group_students",
        "text.student_reference",
        "text.confidential",
        "content.third_party",
        "release.approver",
        "channel.public_only",
    ]
    assert [r.rule for r in results] == [rule.id for rule in RULES]
    assert all(isinstance(rule, Rule) and rule.clause for rule in RULES)


def test_a_clean_post_only_needs_the_designee() -> None:
    results = check_submission(submission())
    assert [r.outcome for r in results if r.outcome != "pass"] == ["needs:designee"]


def test_clauses_cite_the_policy() -> None:
    clauses = {r.id: r.clause for r in RULES}
    assert clauses["account.authorized"] == "Official Use of Social Media"
    assert clauses["media.individual_student"] == "Expectations of Staff, item 3"
    assert clauses["content.third_party"] == "Expectations of Staff, item 7"


def test_result_properties() -> None:
    assert RuleResult("r", "c", "block", "m").blocks
    assert RuleResult("r", "c", "block", "m").needed_role is None
    assert RuleResult("r", "c", "needs:site_admin", "m").needed_role == "site_admin"
    assert RuleResult("r", "c", "needs:designee", "m").needed_role == "designee"
    assert not RuleResult("r", "c", "needs:designee", "m").blocks
    assert RuleResult("r", "c", "pass", "m").needed_role is None


# --- account.authorized ------------------------------------------------------------------


def test_authorized_account_with_the_author_as_steward_passes() -> None:
    assert run("account.authorized").outcome == "pass"


def test_no_target_blocks() -> None:
    result = run("account.authorized", targets=())
    assert result.blocks
    assert "choose at least one official account" in result.message


def test_unauthorized_or_unstewarded_targets_are_named() -> None:
    suspended = TargetAccount(2, "facebook RiverbendBand", "suspended", frozenset({AUTHOR}))
    foreign = TargetAccount(3, "instagram @riverbend_art", "authorized", frozenset({99}))
    result = run("account.authorized", targets=(ACCOUNT, suspended, foreign))
    assert result.blocks
    assert "facebook RiverbendBand" in result.message
    assert "suspended" in result.message
    assert "instagram @riverbend_art" in result.message
    assert "steward" in result.message
    assert "x @RiverbendTech" not in result.message


# --- media.individual_student ------------------------------------------------------------


def test_group_photo_with_several_faces_passes_the_individual_rule() -> None:
    assert run(
        "media.individual_student", media=(photo(Depicts.group, 1, 3, faces=2),)
    ).outcome == ("pass")


@pytest.mark.parametrize(
    "item",
    [
        photo(Depicts.individual, 1),
        photo(Depicts.group, 1),
        photo(Depicts.group, 1, 1),
        photo(Depicts.group, 1, 3, faces=1),
    ],
)
def test_individual_student_media_blocks_and_cannot_be_overridden(item: MediaItem) -> None:
    result = run("media.individual_student", media=(item,))
    assert result.blocks
    assert "team.jpg" in result.message
    assert "cannot be overridden" in result.message


def test_a_picture_of_no_students_passes_the_individual_rule() -> None:
    item = photo(Depicts.none, faces=1)
    assert run("media.individual_student", media=(item,)).outcome == "pass"


# --- media.group_students ----------------------------------------------------------------


def test_no_media_passes() -> None:
    assert run("media.group_students").outcome == "pass"


def test_consented_group_needs_a_site_administrator() -> None:
    result = run("media.group_students", media=(photo(Depicts.group, 1, 3, faces=2),))
    assert result.outcome == "needs:site_admin"
    assert result.needed_role == "site_admin"
    assert "site administrator or the superintendent" in result.message


def test_group_without_photo_consent_blocks_by_full_name_only() -> None:
    result = run("media.group_students", media=(photo(Depicts.group, 1, 2, 4, faces=3),))
    assert result.blocks
    assert "Theo Vandermolen" in result.message
    assert "Wren Ashgrove" in result.message
    assert "Marisol Quintero" not in result.message
    assert "MN204872" not in result.message
    assert "team.jpg" in result.message


def test_group_naming_no_students_blocks() -> None:
    result = run("media.group_students", media=(photo(Depicts.group, faces=4),))
    assert result.blocks
    assert "name the depicted students" in result.message


def test_group_naming_a_student_not_on_the_roster_blocks() -> None:
    result = run("media.group_students", media=(photo(Depicts.group, 1, 42),))
    assert result.blocks
    assert "#42" in result.message


def test_faces_in_media_declared_as_showing_no_students_need_a_site_administrator() -> None:
    item = photo(Depicts.none, faces=3, name="gym.jpg")
    result = run("media.group_students", media=(item,))
    assert result.outcome == "needs:site_admin"
    assert "3 faces" in result.message
    assert "gym.jpg" in result.message
    assert "no students" in result.message


def test_no_faces_in_media_declared_as_showing_no_students_passes() -> None:
    items = (photo(Depicts.none, faces=0), photo(Depicts.none, faces=None, name="flyer.pdf"))
    assert run("media.group_students", media=items).outcome == "pass"


def test_block_beats_needs() -> None:
    items = (
        photo(Depicts.none, faces=2, name="gym.jpg"),
        photo(Depicts.group, 1, 3, faces=2, name="ok.jpg"),
        photo(Depicts.group, 1, 2, faces=2, name="bad.jpg"),
    )
    result = run("media.group_students", media=items)
    assert result.blocks
    assert "bad.jpg" in result.message
    assert "Theo Vandermolen" in result.message


def test_more_faces_than_named_students_is_pointed_out() -> None:
    result = run("media.group_students", media=(photo(Depicts.group, 1, 3, faces=5),))
    assert result.outcome == "needs:site_admin"
    assert "5 faces" in result.message


# --- text.student_reference --------------------------------------------------------------


def test_no_student_named_passes() -> None:
    assert run("text.student_reference").outcome == "pass"


def test_naming_a_student_without_name_consent_blocks_with_position() -> None:
    text = "Great work by Theo Vandermolen's team!"
    result = run("text.student_reference", text=text)
    assert result.blocks
    assert '"Theo Vandermolen"' in result.message
    assert "characters 15\u201330" in result.message
    assert text[14:30] == "Theo Vandermolen"


def test_every_unconsented_reference_is_listed() -> None:
    text = "anouk brightwater and Theo V. built it; Marisol Quintero coded it."
    result = run("text.student_reference", text=text)
    assert result.blocks
    assert '"anouk brightwater"' in result.message
    assert '"Theo V." (Theo Vandermolen)' in result.message
    assert "Marisol" not in result.message  # she has consent


def test_referenced_students_with_consent_pass_and_are_listed() -> None:
    result = run("text.student_reference", text="Go Mari! And well done, Wren Ashgrove.")
    assert result.outcome == "pass"
    assert "Marisol Quintero" in result.message
    assert "Wren Ashgrove" in result.message


def test_first_name_only_is_not_a_reference() -> None:
    assert run("text.student_reference", text="Theo and Anouk led the team.").outcome == "pass"


def test_photo_consent_is_not_name_consent() -> None:
    assert run("text.student_reference", text="Anouk Brightwater won").blocks


# --- text.confidential -------------------------------------------------------------------


def test_clean_text_passes() -> None:
    assert run("text.confidential").outcome == "pass"


def test_ssn_blocks_without_repeating_it() -> None:
    result = run("text.confidential", text="Her SSN is 123-45-6789.")
    assert result.blocks
    assert "Social Security number" in result.message
    assert "characters 12\u201322" in result.message
    assert "123-45-6789" not in result.message
    assert "6789" not in result.message


def test_student_numbers_block_without_repeating_them() -> None:
    result = run("text.confidential", text="Badge MN204872 was found; also MN999999.")
    assert result.blocks
    assert result.message.count("student number") == 2
    assert "MN204872" not in result.message
    assert "MN999999" not in result.message


def test_roster_student_number_blocks_without_a_pattern() -> None:
    result = run("text.confidential", text="Pick up MN204873 at noon", student_number_pattern=None)
    assert result.blocks
    assert "204873" not in result.message


def test_date_of_birth_blocks_and_a_plain_date_does_not() -> None:
    result = run("text.confidential", text="Theo (DOB 3/14/2009) joins us.")
    assert result.blocks
    assert "date of birth" in result.message
    assert run("text.confidential", text="Join us on 3/14/2026!").outcome == "pass"


def test_personal_phone_blocks_and_the_school_number_does_not() -> None:
    result = run("text.confidential", text="Text Theo at 405-555-0142.")
    assert result.blocks
    assert "phone number" in result.message
    assert "characters 14\u201325" in result.message
    text = "Questions? Call the office at (405) 555-0100."
    assert run("text.confidential", text=text).outcome == "pass"


def test_personal_email_blocks_and_institution_email_does_not() -> None:
    result = run("text.confidential", text="Email marisol.q@examplemail.com for tickets")
    assert result.blocks
    assert "email" in result.message
    text = "Email tickets@riverbend.edu or band@music.riverbend.edu"
    assert run("text.confidential", text=text).outcome == "pass"


def test_street_address_blocks() -> None:
    result = run("text.confidential", text="The party is at 42 Willow Lane.")
    assert result.blocks
    assert "street address" in result.message
    assert "42 Willow Lane" in result.message


def test_health_near_a_name_blocks() -> None:
    result = run("text.confidential", text="Wren Ashgrove will miss the meet: asthma flare-up.")
    assert result.blocks
    assert "health" in result.message
    assert "Wren Ashgrove" in result.message
    assert "asthma" in result.message


def test_each_finding_is_listed() -> None:
    text = "SSN 123-45-6789, call 405-555-0142, home 9 Elm St"
    result = run("text.confidential", text=text)
    for kind in ("Social Security number", "phone number", "street address"):
        assert kind in result.message


# --- content.third_party -----------------------------------------------------------------


def test_no_third_party_material_passes() -> None:
    assert run("content.third_party").outcome == "pass"


def test_material_without_permission_blocks_by_name() -> None:
    material = (
        ThirdPartyMaterial("song 'Northern Lights' by The Fennels", permission_recorded=False),
        ThirdPartyMaterial("logo of Acme Robotics", permission_recorded=True),
    )
    result = run("content.third_party", third_party=material)
    assert result.blocks
    assert "song 'Northern Lights' by The Fennels" in result.message
    assert "Acme" not in result.message


def test_material_with_permission_passes() -> None:
    material = (ThirdPartyMaterial("logo of Acme Robotics", permission_recorded=True),)
    assert run("content.third_party", third_party=material).outcome == "pass"


# --- release.approver and channel.public_only --------------------------------------------


def test_every_post_needs_a_designee_who_is_not_the_author() -> None:
    result = run("release.approver")
    assert result.outcome == "needs:designee"
    assert result.needed_role == "designee"
    assert "not the author" in result.message


def test_public_post_passes() -> None:
    assert run("channel.public_only").outcome == "pass"


@pytest.mark.parametrize("visibility", ["direct", "private", "followers"])
def test_non_public_post_blocks(visibility: str) -> None:
    result = run("channel.public_only", visibility=visibility)
    assert result.blocks
    assert "public posts only" in result.message
    assert "no private messages" in result.message
