"""Generic words, compared as TR39 skeletons, that say what a display name is about once the
institution's own name is taken out of it: "MNTC *Alumni*" is a fan page, "MNTC *Welding*" a
program page, "MNTC *Official*" a claim. As in lexicon.py, nothing names a school or a place.
"""

import re
from collections.abc import Iterable

from workflows.impersonation.text import skeleton, word_list


def _skeletons(values: Iterable[str]) -> frozenset[str]:
    """Skeletons of each spelling: TR39 folds capital I to l, so "I" and "i" differ."""
    return frozenset(
        skeleton(variant) for value in values for variant in (value, value.capitalize())
    )


# Words of a display name around the institution's name, compared as skeletons.
STOP_WORDS = _skeletons(word_list("of at the and for by in on a an to from with de la le du"))
CLAIM_WORDS = _skeletons(
    word_list("official real verified authentic genuine original hq headquarters main page account")
)
PARODY_WORDS = _skeletons(
    word_list("parody satire satirical spoof fake not worse lol lmao memes meme jokes unofficial")
    + word_list("confessions but bad chaotic")
)
FAN_WORDS = _skeletons(
    word_list(
        "fan fans fanpage fanclub memories love i heart lover lovers nation pride proud spirit"
    )
    + word_list("stan forever family fam grad grads graduates alum alums alumni alumnae alumnus")
    + word_list("moments throwback throwbacks nostalgia retired retirees retiree")
)
BUSINESS_WORDS = _skeletons(word_list("llc inc ltd co realty realtor"))
ORG_WORDS = _skeletons(
    word_list("association assoc pta pto ptsa ptso booster boosters parent parents families moms")
    + word_list("dads carpool carpools rideshare classmates friends supporters foundation reunion")
    + word_list("volunteers society neighbours neighbors union")
)
# Words that make a display name read as an office, desk or program rather than a person.
OFFICE_WORDS = _skeletons(
    word_list("admission admissions enrollment enrolment enrollments registrar registration")
    + word_list("financial aid scholarship scholarships grant grants tuition bursar billing fees")
    + word_list("payments library counseling counselling advising advisement career careers")
    + word_list("services service office desk team committee department dept program programs")
    + word_list("programme campus clinic lab center centre helpdesk help support")
    + word_list("success athletics giveaway giveaways relief fund records transcripts testing")
    + word_list("workforce training continuing education adult outreach apprenticeship")
    + word_list("apprenticeships apprentices cafeteria nutrition food transportation nurse")
    + word_list("band orchestra choir chorus theatre theater drama")
)
# What squatters add to a real handle, most common first (generation takes them in order).
HANDLE_PREFIXES = ("the", "official", "real", "its", "team", "my")
HANDLE_SUFFIXES = (
    "official", "1", "real", "hq", "edu", "news", "help", "2", "team", "support", "info",
    "online", "0", "01", "123", "page", "us", "live", "updates", "tv", "main", "inc",
)  # fmt: skip
# Offices that handle money or personal data: their pages are what scams copy.
SENSITIVE_WORDS = _skeletons(
    word_list("financial aid scholarship scholarships grant grants tuition fees fee bursar bursary")
    + word_list("bursaries billing payments payment refund refunds giveaway giveaways prize prizes")
    + word_list("relief fund funds loan loans admissions admission enrollment enrolment")
)
OFFICE_WORDS |= SENSITIVE_WORDS
CLASS_OF = re.compile(r"class of\s*'?\d{2,4}")
# A place's region as people write it: "Bend, OR" is "Bend, Oregon".
REGION_ABBREVIATIONS = {
    "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca",
    "colorado": "co", "connecticut": "ct", "delaware": "de", "florida": "fl", "georgia": "ga",
    "hawaii": "hi", "idaho": "id", "illinois": "il", "indiana": "in", "iowa": "ia",
    "kansas": "ks", "kentucky": "ky", "louisiana": "la", "maine": "me", "maryland": "md",
    "massachusetts": "ma", "michigan": "mi", "minnesota": "mn", "mississippi": "ms",
    "missouri": "mo", "montana": "mt", "nebraska": "ne", "nevada": "nv", "hampshire": "nh",
    "jersey": "nj", "mexico": "nm", "york": "ny", "carolina": "nc", "dakota": "nd", "ohio": "oh",
    "oklahoma": "ok", "oregon": "or", "pennsylvania": "pa", "rhode": "ri", "tennessee": "tn",
    "texas": "tx", "utah": "ut", "vermont": "vt", "virginia": "va", "washington": "wa",
    "wisconsin": "wi", "wyoming": "wy", "ontario": "on", "quebec": "qc", "alberta": "ab",
    "columbia": "bc", "manitoba": "mb", "saskatchewan": "sk", "scotia": "ns",
}  # fmt: skip
