"""Skeletons make look-alike spellings compare equal; the TR39 data comes from its package."""

import pytest

from workflows.impersonation.names import build_name_model
from workflows.impersonation.text import (
    ascii_confusables,
    handle_fold,
    has_confusable,
    skeleton,
    unicode_confusables,
    words,
)

from .helpers import harbor


@pytest.mark.parametrize(
    ("fake", "real"),
    [
        ("\u041c\u043eore Norman Tech", "Moore Norman Tech"),  # Cyrillic capital em, small o
        ("Teсhnology Cеnter", "Technology Center"),  # noqa: RUF001 - Cyrillic es and ie
        ("Norrnan", "Norman"),  # rn reads as m
        ("CVCI", "cvci"),  # ASCII case never matters
        ("\U0001d407\U0001d40f\U0001d402\U0001d402", "HPCC"),  # mathematical bold
        ("Library | MNTC", "Library MNTC"),  # a lone bar is punctuation, not an l
    ],
)
def test_skeletons_collapse_lookalikes(fake: str, real: str) -> None:
    assert words(skeleton(fake)) == words(skeleton(real))


def test_different_names_keep_different_skeletons() -> None:
    assert skeleton("Moore Norman") != skeleton("Moore Morgan")


def test_ascii_confusables_come_from_the_tr39_data() -> None:
    table = ascii_confusables()
    assert "rn" in table["m"] and "m" in table["rn"]
    assert "0" in table["O"]


def test_unicode_confusables_prefer_cyrillic() -> None:
    assert unicode_confusables()["o"][0] == "\u043e"


def test_has_confusable_ignores_accents_and_ascii() -> None:
    assert has_confusable("Harbor P\u043eint")
    assert not has_confusable("Café Harbor Point")
    assert not has_confusable("Harbor Point")


@pytest.mark.parametrize(
    "variant",
    ["harbor_point_cc", "HarborPo1ntCC", "HARBORPOINTCC", "harb0rp0intcc", "HarborPoIntCC"],
)
def test_handle_fold(variant: str) -> None:
    assert handle_fold(variant) == handle_fold("HarborPointCC")


def test_name_model_mentions_need_distinctive_forms() -> None:
    model = build_name_model(harbor())
    mentions = model.identity
    assert mentions is not None
    for text in ("Harbor Point Community College", "hpcc", "Harbor Point College", "HPCC news"):
        assert mentions.search(skeleton(text)), text
    for text in ("Harbor Point Marina", "Point Community Center", "Port Ellis news"):
        assert not model.mentions(skeleton(text)), text
    assert model.mentions(skeleton("Photos from the Bayside Campus"))
    assert model.mentions(skeleton("main page: @hpcc_nursing"))
