"""The one masking function: what only the consent records know never leaves."""

from service.records.redaction import REDACTED, Confidential, mask

SECRETS = Confidential(("Jane Doe", "Jane", "S1234567", "Tom Secret", "guardian@home.example"))


def test_a_name_the_published_text_contains_stays() -> None:
    assert mask("Approved: Jane did great", "Well done, Jane!", SECRETS) == (
        "Approved: Jane did great"
    )


def test_a_full_name_only_the_consent_records_know_is_masked() -> None:
    message = 'Names students with written name consent: "Jane" (Jane Doe) at 11-15.'
    assert mask(message, "Well done, Jane!", SECRETS) == (
        f'Names students with written name consent: "Jane" ({REDACTED}) at 11-15.'
    )


def test_numbers_and_guardian_details_are_masked_in_any_case() -> None:
    comment = "Checked tom secret (s1234567) with guardian@home.example"
    assert mask(comment, "Open house", SECRETS) == (
        f"Checked {REDACTED} ({REDACTED}) with {REDACTED}"
    )


def test_only_whole_words_are_masked() -> None:
    assert mask("Janet and Janeway", "Open house", SECRETS) == "Janet and Janeway"


def test_numbers_matching_the_institutions_pattern_are_masked() -> None:
    secrets = Confidential((), pattern=r"\bS\d{7}\b")
    assert mask("Student S7654321 was there", "Open house", secrets) == (
        f"Student {REDACTED} was there"
    )
