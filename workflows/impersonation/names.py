"""What counts as naming the institution, derived once per institution from its profile.

A mention has to be distinctive: "Technology Center" or the town alone name many
organisations, so only the full name, an alias, the acronym, or the distinctive head of the
name followed by its own kind-of-place word ("Moore Norman Tech") count. Campus names and the
register's handles count as well. Everything is compared as TR39 skeletons, so homoglyph
spellings mention the institution too.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from workflows.impersonation.institution import InstitutionProfile
from workflows.impersonation.text import compact, handle_fold, skeleton, word_list, words
from workflows.impersonation.vocabulary import (
    CLAIM_WORDS,
    OFFICE_WORDS,
    REGION_ABBREVIATIONS,
    STOP_WORDS,
)

# Words that say what kind of institution it is rather than which one.
COUNTRY_WORDS = ("united", "states", "usa", "us", "america", "u.s", "u.s.a")
GENERIC_NAME_WORDS = frozenset(
    word_list(
        "technology tech technical center centre college colleges community school schools"
        " district university institute academy high middle elementary primary secondary"
        " public county career careers state unified independent isd usd vocational"
        " polytechnic learning education educational charter prep preparatory regional"
        " national of the and at for campus campuses"
    )
)
_ABBREVIATIONS = {
    "technology": ("tech",),
    "technical": ("tech",),
    "center": ("ctr", "centre"),
    "centre": ("center",),
    "institute": ("inst",),
    "university": ("univ",),
    "college": ("coll",),
}
# Words that end an institution's name: "Broken Bow Public Schools" is a school district.
INSTITUTION_KIND_WORDS = frozenset(
    skeleton(w)
    for w in word_list("school schools district college university academy institute isd usd sd")
)
# Words that end a name by saying what kind of place it is.
_KIND_WORDS = frozenset(
    word_list(
        "technology tech technical center centre ctr college coll school schools district"
        " university univ institute inst academy"
    )
)
# Whom an office serves ("Student Help Desk"): not an office word alone, fine next to one.
_OFFICE_FOR = frozenset(skeleton(w) for w in word_list("student students staff family families"))
# Words of a handle: separators and camel case ("HPCC_Nursing", "HPCCNursing", "hpcc.nursing").
_HANDLE_TOKENS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_ACRONYM_SKIP = frozenset({"of", "the", "and", "at", "for", "&"})


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """Word-bounded alternation over skeleton text, longest first so spans are maximal."""
    tokens = {tuple(words(skeleton(p))) for p in phrases}
    bodies = sorted(
        (r"[\W_]+".join(re.escape(t) for t in toks) for toks in tokens if toks),
        key=len,
        reverse=True,
    )
    if not bodies:
        return None
    return re.compile(r"(?<![^\W_])(?:" + "|".join(bodies) + r")(?![^\W_])")


def acronyms(names: Iterable[str]) -> set[str]:
    found = set()
    for name in names:
        initials = "".join(w[0] for w in name.split() if w.casefold() not in _ACRONYM_SKIP)
        if len(initials) >= 3 and len(name.split()) >= 3:
            found.add(initials)
    return found


def _head(name: str) -> str:
    """The distinctive words before the first generic one ("Pinecrest Valley")."""
    tokens = [t.strip(",.") for t in name.split()]
    if tokens and tokens[0].casefold() == "the":
        tokens = tokens[1:]
    head = []
    for token in tokens:
        if token.casefold() in GENERIC_NAME_WORDS:
            break
        head.append(token)
    return " ".join(head)


def _heads(institution: InstitutionProfile) -> set[str]:
    """Heads of the institution's and its campuses' names, and the distinctive words of
    registered display names (a mascot: "Stonecutter" of "Stonecutter Athletics"), long
    enough not to be a common word."""
    found = {_head(institution.name)}
    found.update(_campus_head(c) for c in institution.campuses)
    for account in institution.official_accounts:
        found.update(
            word
            for word in account.display_name.split()
            if word.casefold() not in GENERIC_NAME_WORDS
            and skeleton(word.casefold()) not in OFFICE_WORDS | CLAIM_WORDS
        )
    return {h for h in found if len(compact(h)) >= 5}


def _core_variants(name: str) -> set[str]:
    """The distinctive head of the name followed by a shortened tail that still ends in what
    kind of place it is: "Moore Norman Tech" for "Moore Norman Technology Center", but not
    "Lakeport Public" for "Lakeport Public Schools" (the town's library is "Lakeport Public"
    too)."""
    tokens = [t.strip(",.") for t in name.casefold().split()]
    if tokens and tokens[0] == "the":
        tokens = tokens[1:]
    head_end = next(
        (i for i, t in enumerate(tokens) if i > 0 and t in GENERIC_NAME_WORDS), len(tokens)
    )
    core, tail = tokens[:head_end], tokens[head_end:]
    variants: set[str] = set()
    if not core or all(t in GENERIC_NAME_WORDS for t in core):
        return variants
    if tail[-2:] == ["school", "district"]:  # "Sotol County ISD", "Harborview Unified SD"
        kinds = ("sd", "isd", "usd") if tail[-3:-2] == ["unified"] else ("sd", "isd")
        variants.update(" ".join([*core, *tail[:-2], kind]) for kind in kinds)
    for end in range(1, len(tail) + 1):
        options: list[list[str]] = [[]]
        for word in tail[:end]:
            options = [[*o, alt] for o in options for alt in (word, *_ABBREVIATIONS.get(word, ()))]
        variants.update(" ".join(core + o) for o in options if o[-1] in _KIND_WORDS)
    return variants


# A campus is often called by its level alone ("Harborview High" for Harborview High School).
_LEVELS = {"high": "hs", "middle": "ms", "elementary": "es", "primary": "ps", "academy": ""}
_CAMPUS_TAILS = frozenset({"school", "campus"})


def campus_variants(campus: str) -> set[str]:
    """Short forms a school goes by: without its trailing "School", with its level abbreviated
    ("Seacliff MS", "Pelican Point Elem", "Cottonwood ES"). Other campus names are kept whole:
    "Deschutes River" of Deschutes River Campus is a river."""
    tokens = [t.strip(",.") for t in campus.split()]
    core = tokens[:-1] if tokens and tokens[-1].casefold() in _CAMPUS_TAILS else tokens
    if len(core) < 2 or core[-1].casefold() not in _LEVELS:
        return {campus}
    head, level = core[:-1], core[-1].casefold()
    variants = {campus, " ".join(core)}
    if abbreviation := _LEVELS[level]:
        variants.add(" ".join([*head, abbreviation.upper()]))
    if level == "elementary":
        variants.add(" ".join([*head, "Elem"]))
    return variants


def _campus_head(campus: str) -> str:
    """The name part of a school's name ("Cottonwood" of Cottonwood Elementary School)."""
    tokens = campus.split()
    if tokens and tokens[-1].casefold() in _CAMPUS_TAILS:
        tokens = tokens[:-1]
    return " ".join(tokens[:-1]) if len(tokens) >= 2 and tokens[-1].casefold() in _LEVELS else ""


def campus_initials(campuses: Iterable[str]) -> set[str]:
    """ "HHS" for Harborview High School: how students and staff write it, but three letters
    name many schools, so these count only next to other evidence."""
    found = set()
    for campus in campuses:
        tokens = [t for t in campus.split() if t.casefold() not in _ACRONYM_SKIP]
        if len(tokens) >= 3 and _campus_head(campus):
            found.add("".join(t[0] for t in tokens).upper())
    return found


@dataclass(frozen=True)
class NameModel:
    identity: re.Pattern[str] | None  # the institution itself
    long_identity: re.Pattern[str] | None  # ... without the short forms (acronyms)
    campus: re.Pattern[str] | None
    campus_initials: re.Pattern[str] | None
    heads: re.Pattern[str] | None  # "Ironwood" of Ironwood Regional Career & Technical Center
    initials: frozenset[str]  # campus initials, casefolded
    campus_compacts: frozenset[str]  # every campus form run together ("quarryhillhs")
    departments: re.Pattern[str] | None
    head_compacts: tuple[str, ...]  # the heads, skeleton alphanumerics
    identity_phrases: tuple[str, ...]  # skeleton phrases, for fuzzy display comparison
    compact_forms: tuple[str, ...]  # skeleton, alphanumerics only, 6+ long: found inside URLs
    short_forms: tuple[str, ...]  # 3-5 long (acronyms): must be a whole domain label
    registered_displays: dict[str, str]  # skeleton display words -> "@handle"
    official_folds: tuple[tuple[str, str, str], ...]  # (platform, handle, handle_fold)
    official_raw: tuple[str, ...]  # casefold, no separators; for affix checks
    registered_handles: re.Pattern[str] | None
    domains: tuple[str, ...]
    city: tuple[str, ...]  # skeleton words of the town
    office_words: frozenset[str]  # offices, programs and the campuses' words
    program_words: frozenset[str]  # offices and programs alone: a campus word names no program
    name_words: frozenset[str] = frozenset()  # skeleton words of the name and aliases
    # Locations that are not "elsewhere": the campuses' places, the institution's region and
    # country-level answers ("Oregon", "United States") that say nothing about the town.
    nearby_words: frozenset[str] = frozenset()
    broad_words: frozenset[str] = frozenset()

    def carries_long_form(self, handle: str) -> bool:
        """Whether a handle holds the institution's name, not merely its acronym."""
        whole = compact(skeleton(handle.casefold()))
        return any(f in whole for f in self.compact_forms)

    def names_a_campus(self, handle: str) -> bool:
        return compact(skeleton(handle.casefold())) in self.campus_compacts

    def handle_has_partial(self, handle: str) -> bool:
        """A handle holding a campus's initials as a word or a name head run together."""
        tokens = {t.casefold() for t in _HANDLE_TOKENS.findall(handle)}
        whole = compact(skeleton(handle.casefold()))
        return bool(tokens & self.initials) or any(h in whole for h in self.head_compacts)

    def handle_names(self, handle: str) -> tuple[bool, bool]:
        """Whether a handle carries the institution's name (a long form anywhere in it, or
        an acronym as one of its words or at its start), and whether it is nothing but the
        name squashed together ("@HarborPointCollege")."""
        whole = compact(skeleton(handle.casefold()))
        if whole in self.compact_forms:
            return True, True
        if any(f in whole for f in self.compact_forms):
            return True, False
        tokens = {compact(skeleton(t.casefold())) for t in _HANDLE_TOKENS.findall(handle)}
        short = self.short_forms
        return bool(tokens.intersection(short)) or any(whole.startswith(f) for f in short), False

    def names_an_office(self, skel: str) -> bool:
        """A display name made only of office words once the institution's own words are
        taken out ("Harbor Bursary Office"): an office name that needs nobody's name."""
        rest = [w for w in display_words(skel) if w not in self.name_words]
        offices = [w for w in rest if w in self.office_words]
        return bool(offices) and all(w in self.office_words or w in _OFFICE_FOR for w in rest)

    def places(self, skel: str) -> bool:
        """Whether text places an account at the institution: naming it, a campus (also by
        its initials) or one of the departments its administrator listed."""
        return self.mentions(skel) or bool(
            (self.campus_initials and self.campus_initials.search(skel))
            or (self.heads and self.heads.search(skel))
            or (self.departments and self.departments.search(skel))
        )

    def mentions(self, skel: str, *, short_forms: bool = True) -> bool:
        """Whether text names the institution, a campus or a registered handle; without
        `short_forms`, an acronym alone does not count."""
        identity = self.identity if short_forms else self.long_identity
        return bool(
            (identity and identity.search(skel))
            or (self.campus and self.campus.search(skel))
            or (self.registered_handles and self.registered_handles.search(skel))
        )


def display_words(skel: str) -> list[str]:
    """A display name's words without claims ("Official") and filler, to compare names."""
    return [w for w in words(skel) if w not in CLAIM_WORDS and w not in STOP_WORDS]


def _broad_words(location: str) -> frozenset[str]:
    """The institution's region and country, as written and abbreviated: a location made of
    these alone says nothing about the town."""
    region = words(" ".join(location.split(",")[1:]).casefold())
    abbreviated = [REGION_ABBREVIATIONS[w] for w in region if w in REGION_ABBREVIATIONS]
    return frozenset(skeleton(w) for w in [*region, *abbreviated, *COUNTRY_WORDS])


def build_name_model(institution: InstitutionProfile) -> NameModel:
    names = [institution.name, *institution.aliases]
    identity: set[str] = {n for n in names if n}
    identity.update(acronyms([institution.name]))
    identity.update(_core_variants(institution.name))
    identity_words = {" ".join(display_words(skeleton(p))) for p in identity}
    registered: dict[str, str] = {}
    for account in institution.official_accounts:
        key = " ".join(display_words(skeleton(account.display_name)))
        if key and key not in identity_words:
            registered.setdefault(key, "@" + account.handle)
    # Lengths are of the name as written: the skeleton of "MRUSD" is "rnrusd", still an acronym.
    long_names = {p for p in identity if len(compact(p.casefold())) >= 6}
    compacted = {compact(skeleton(p)) for p in identity}
    long_compacts = {compact(skeleton(p)) for p in long_names}
    handles = {a.handle for a in institution.official_accounts}
    city = institution.location.split(",")[0] if institution.location else ""
    office = set(OFFICE_WORDS)
    programs = set(OFFICE_WORDS)
    for phrase in (*institution.departments, *institution.campuses):
        for word in words(phrase.casefold()):
            spellings = {skeleton(w) for w in (word, *_ABBREVIATIONS.get(word, ()))}
            office.update(spellings)
            if phrase in institution.departments:
                programs.update(spellings)
    return NameModel(
        identity=_phrase_pattern(identity),
        long_identity=_phrase_pattern(long_names),
        campus=_phrase_pattern(v for c in institution.campuses for v in campus_variants(c)),
        campus_initials=_phrase_pattern(campus_initials(institution.campuses)),
        heads=_phrase_pattern(_heads(institution)),
        departments=_phrase_pattern(institution.departments),
        initials=frozenset(i.casefold() for i in campus_initials(institution.campuses)),
        campus_compacts=frozenset(
            compact(skeleton(v.casefold()))
            for c in institution.campuses
            for v in campus_variants(c)
        ),
        head_compacts=tuple(compact(skeleton(h.casefold())) for h in _heads(institution)),
        identity_phrases=tuple(sorted(identity_words - {""})),
        compact_forms=tuple(sorted(long_compacts)),
        short_forms=tuple(sorted(f for f in compacted - long_compacts if len(f) >= 3)),
        registered_displays=registered,
        official_folds=tuple(
            (a.platform.value, a.handle, handle_fold(a.handle))
            for a in institution.official_accounts
        ),
        official_raw=tuple(
            a.handle.casefold().translate(str.maketrans("", "", "._-"))
            for a in institution.official_accounts
        ),
        registered_handles=_phrase_pattern(h for h in handles if len(compact(h)) >= 5),
        domains=institution.domains,
        city=tuple(words(skeleton(city))),
        office_words=frozenset(office - STOP_WORDS),
        program_words=frozenset(programs - STOP_WORDS),
        name_words=frozenset(w for p in identity for w in display_words(skeleton(p))),
        nearby_words=frozenset(
            w
            for campus in institution.campuses
            for w in words(skeleton(campus))
            if len(w) >= 4 and w not in GENERIC_NAME_WORDS and w not in OFFICE_WORDS
        ),
        broad_words=_broad_words(institution.location),
    )
