"""Phrase families, each in several wordings: held-out schools will not use the dev set's."""

import pytest

from workflows.impersonation.lexicon import cues
from workflows.impersonation.text import plain


def kinds(text: str) -> set[str]:
    return set(cues(plain(text)))


@pytest.mark.parametrize(
    "text",
    [
        "Parody account",
        "Satirical page, obviously not the real school",
        "Not affiliated with the college",
        "No affiliation with the district.",
        "Fan-made page",
        "Unofficial alumni page",
        "Not an official account of the school",
        "Views are my own",
        "Independent parent group",
        "We are a separate nonprofit organization",
        "Run by volunteers",
    ],
)
def test_disclaimers(text: str) -> None:
    assert "disclaimer" in kinds(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Secure your seat with a $50 deposit via CashApp", "payment"),
        ("Pay the application fee through Zelle", "payment"),
        ("Send your student ID and date of birth", "credentials"),
        ("Confirm your password to keep access", "credentials"),
        ("DM us to claim your grant", "private"),
        ("Drop us a message to receive your refund", "private"),
        ("Fees payable by DM", "payment"),
        ("Message us your account number", "private"),
        ("Limited spots! Apply via link", "lure"),
        ("Apply for the emergency student fund", "lure"),
        ("Fast approvals for every student", "lure"),
        ("Collect your 2027 tuition award now", "lure"),
    ],
)
def test_scam_families(text: str, kind: str) -> None:
    assert kind in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "Class schedules, competition results and student spotlights",
        "Welding students and instructors. Go team!",
        "Walk-ins welcome Mon-Thu. Enrollment info at the front desk",
        "Photos from our students at the north campus",
        "A fan of good coffee",
    ],
)
def test_program_pages_are_not_scams(text: str) -> None:
    assert not kinds(text) & {"payment", "credentials", "private", "lure"}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("We moved! Follow our new page", "takeover"),
        ("Our previous account was hacked", "takeover"),
        ("This page is now run by the communications office", "takeover"),
        ("The official page of the college", "claim"),
        ("Real page of the school", "claim"),
        ("Beware of fake accounts; we will never ask for fees", "warning"),
        ("Family-owned since 1990. Call us today!", "business"),
        ("Covering schools and government in town", "news"),
    ],
)
def test_claims_and_context(text: str, kind: str) -> None:
    assert kind in kinds(text)


def test_negated_official_is_a_disclaimer_not_a_claim() -> None:
    assert kinds("Definitely not the real HPCC") == {"disclaimer"}
    assert kinds("Not official.") == {"disclaimer"}


def test_cues_quote_the_phrase() -> None:
    assert cues(plain("Call now: fees payable by DM"))["payment"] == "payable by dm"


def test_a_dm_alone_is_contact_not_a_scam() -> None:
    assert kinds("Confessions welcome, submit via DM") == {"contact"}


@pytest.mark.parametrize(
    "text",
    [
        "Our old page was disabled, follow us here",
        "We got hacked! This is our backup",
        "the previous account was deleted by mistake",
    ],
)
def test_an_accounts_fate_is_a_takeover_story(text: str) -> None:
    assert "takeover" in cues(plain(text))


@pytest.mark.parametrize(
    "text",
    [
        "retired welding instructor (31 yrs). now I just weld art in the barn",
        "Social club for retired faculty and staff. Monthly breakfast downtown.",
        "Deleted scenes and outtakes from our film class",
    ],
)
def test_a_persons_retirement_is_not_a_takeover(text: str) -> None:
    assert "takeover" not in cues(plain(text))
