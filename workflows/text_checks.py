"""Scan a post's text for the students it names and the confidential details it discloses.

Policy items 5 and 6 forbid citing a student without written consent and disclosing anyone's
confidential details. Every finding carries its character span, because "remove the phone
number at characters 41-52" is something an author can act on and "contains personal data"
is not. Patterns are compiled once; per-student name patterns are cached, and students whose
first or preferred name does not occur in the text are skipped before any regex runs, so a
long roster costs dictionary look-ups, not scans.
"""

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Protocol

# Grades or health words count as "about" a student only this close (in words) to their name.
NEAR_WORDS = 8
# A date is a date of birth only when a birth keyword is this close (in words).
DOB_NEAR_WORDS = 6
# Shorter roster student numbers ("12") would flag every ordinary number in a post.
MIN_STUDENT_NUMBER_LENGTH = 4


class StudentName(Protocol):
    """What name matching needs from a roster entry; content_rules.RosterStudent fits."""

    @property
    def student_id(self) -> int: ...
    @property
    def full_name(self) -> str: ...
    @property
    def preferred_name(self) -> str | None: ...


@dataclass(frozen=True)
class NameReference:
    """`matched` is the text as written ("jane d."), `full_name` the roster student it names."""

    student_id: int
    full_name: str
    matched: str
    start: int
    end: int


class Confidential(StrEnum):
    # Declaration order is precedence: where findings overlap, the earlier kind is kept.
    ssn = "ssn"
    student_number = "student_number"
    date_of_birth = "date_of_birth"
    email = "email"
    phone = "phone"
    street_address = "street_address"
    grades_or_health = "grades_or_health"


# Repeating these in a message would copy the secret into logs, e-mails and audit records.
SECRET_KINDS = frozenset({Confidential.ssn, Confidential.student_number})


@dataclass(frozen=True)
class ConfidentialFinding:
    """`shown` is safe to display: the text found, or its shape ("•••-••-••••") for secrets.

    `student` is the roster name a grades/health word was found next to.
    """

    kind: Confidential
    start: int
    end: int
    shown: str
    student: str | None = None


def where(start: int, end: int) -> str:
    """Positions for people: 1-based and inclusive, as an editor's column counter shows them."""
    return f"characters {start + 1}\u2013{end}"


# --- names -------------------------------------------------------------------------------

_APOSTROPHES = "'\u2019"
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_WORD = re.compile(r"\w+")


def _token_pattern(token: str) -> str:
    # Names are stored with one apostrophe and typed with the other.
    return f"[{_APOSTROPHES}]".join(re.escape(p) for p in re.split(f"[{_APOSTROPHES}]", token))


def _phrase(tokens: Sequence[str]) -> str:
    return r"\s+".join(_token_pattern(t) for t in tokens) + r"(?!\w)"


@lru_cache(maxsize=8192)
def _name_pattern(full_name: str, preferred: str | None) -> re.Pattern[str] | None:
    """One alternation per student, longest form first, so "Janie Doe" beats "Janie".

    Forms: full name; first + last; first + last initial ("Jane D." / "Jane D"); preferred +
    last; preferred alone — unless it is just the first name, which is never enough. The group
    name "single" marks one-word forms, which must be capitalised to count (see below).
    """
    tokens = full_name.split()
    core = [t.rstrip(",") for t in tokens]
    while len(core) > 2 and core[-1].rstrip(".").casefold() in _SUFFIXES:
        core.pop()
    forms: dict[str, tuple[str, int]] = {}
    pref = (preferred or "").split()
    if len(core) >= 2:
        first, last = core[0], core[-1]
        forms[_phrase(tokens)] = ("multi", len(tokens))
        forms[_phrase([first, last])] = ("multi", 2)
        if pref:
            forms[_phrase([*pref, last])] = ("multi", len(pref) + 1)
        if last[0].isalpha():
            initial = (
                rf"{_token_pattern(first)}\s+{re.escape(last[0])}(?:\.|(?![\w{_APOSTROPHES}-]))"
            )
            forms[initial] = ("multi", 2)
    elif len(core) == 1:
        forms[_phrase(core)] = ("single", 1)
    if pref and (not core or " ".join(pref).casefold() != core[0].casefold()):
        forms[_phrase(pref)] = ("single" if len(pref) == 1 else "multi", len(pref))
    if not forms:
        return None
    ordered = sorted(forms.items(), key=lambda f: -f[1][1])
    branches = "|".join(f"(?P<{kind}{i}>{p})" for i, (p, (kind, _)) in enumerate(ordered))
    return re.compile(rf"(?<!\w)(?:{branches})", re.IGNORECASE)


@lru_cache(maxsize=8192)
def _name_keys(full_name: str, preferred: str | None) -> tuple[str, ...]:
    """Every form of a name starts with one of these words."""
    keys = [_WORD.findall(n)[:1] for n in (full_name, preferred or "")]
    return tuple(k[0].casefold() for k in keys if k)


def find_student_references(text: str, roster: Iterable[StudentName]) -> list[NameReference]:
    """Case-insensitive, whole-word, across any whitespace; "Doe's" still names Jane Doe.

    A one-word form (a preferred name on its own) must start with a capital letter: nicknames
    such as Will, May or Grace are also ordinary words, and "we will" is not a reference.
    An ambiguous form ("Jane D." with two Jane D.s on the roster) references both students.
    A student's pattern is only tried where one of their first words starts in the text.
    """
    starts: dict[str, list[int]] = {}
    for m in _WORD.finditer(text):
        starts.setdefault(m.group().casefold(), []).append(m.start())
    found: list[NameReference] = []
    for student in roster:
        keys = _name_keys(student.full_name, student.preferred_name)
        positions = sorted({p for k in keys for p in starts.get(k, ())})
        if positions:
            found.extend(_references_at(text, student, positions))
    return sorted(found, key=lambda r: (r.start, r.student_id))


def _references_at(
    text: str, student: StudentName, positions: list[int]
) -> Iterator[NameReference]:
    pattern = _name_pattern(student.full_name, student.preferred_name)
    if pattern is None:
        return
    covered = 0
    for pos in positions:
        m = pattern.match(text, pos) if pos >= covered else None
        if m is None or ((m.lastgroup or "").startswith("single") and m.group()[0].islower()):
            continue
        covered = m.end()
        yield NameReference(student.student_id, student.full_name, m.group(), *m.span())


# --- confidential details ----------------------------------------------------------------

_SSN = re.compile(r"(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w-])")
_PHONE = re.compile(
    r"(?<![\w.$+-])(?:(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)\d{3}[\s.-]?\d{4}"
    r"|\d{3}[-.]\d{4})(?![\w-]|\.\d)"
)
_EMAIL = re.compile(r"(?<![\w.+%-])[\w.+%-]+@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})(?![\w-])")
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = re.compile(
    rf"(?<![\w/.-])(?:\d{{1,2}}([/.-])\d{{1,2}}\1(?:\d{{4}}|\d{{2}})|\d{{4}}-\d{{1,2}}-\d{{1,2}}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?)(?![\w/-])",
    re.IGNORECASE,
)
_BIRTH = re.compile(
    r"(?<!\w)(?:d\.?o\.?b\b\.?|date\s+of\s+birth|birth\s*-?date|birthdays?|born)(?!\w)",
    re.IGNORECASE,
)
# Street names are capitalised; requiring that keeps "500 dollars along the way" out.
_ADDRESS = re.compile(
    r"(?<![\w$.,-])\d{1,6}[A-Za-z]?\s+"
    r"(?:(?:[NSEW]\.?|[A-Z][\w'\u2019.-]*|\d+(?:st|nd|rd|th))\s+){1,4}"
    r"(?i:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl"
    r"|terrace|ter|circle|cir|parkway|pkwy|highway|hwy|trail|trl)\b\.?"
)
_GRADES_HEALTH = re.compile(
    r"(?<!\w)(?:gpa|grade\s+point\s+average|grades?|report\s+cards?|transcripts?|test\s+scores?"
    r"|failing|flunk(?:ed|ing)?|ieps?|504\s+plans?|special\s+ed(?:ucation)?|diagnos[ie]s"
    r"|diagnosed|adhd|autism|autistic|asthma(?:tic)?|allerg(?:y|ies|ic)|medications?"
    r"|prescriptions?|illness(?:es)?|injur(?:y|ies|ed)|hospital(?:i[sz]ed)?|surgery"
    r"|disabilit(?:y|ies)|mental\s+health|depression|anxiety|diabet(?:es|ic)|epilep(?:sy|tic)"
    r"|seizures?|concussion|cancer|pregnan(?:t|cy))(?!\w)",
    re.IGNORECASE,
)
# "10th grade", "grade 9", "grade level": a year group, not a mark.
_YEAR_BEFORE = re.compile(
    r"(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth"
    r"|tenth|eleventh|twelfth)[\s-]*$",
    re.IGNORECASE,
)
_YEAR_AFTER = re.compile(r"\s*(?:\d{1,2}|k|levels?|school)(?!\w)", re.IGNORECASE)
_TOKEN = re.compile(r"\S+")


def _mask(value: str) -> str:
    return re.sub(r"\w", "•", value)


def _digits(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


class _Words:
    """Word positions, so "near" can mean a number of words rather than of characters."""

    def __init__(self, text: str) -> None:
        self._starts = [m.start() for m in _TOKEN.finditer(text)]

    def _index(self, offset: int) -> int:
        return bisect_right(self._starts, offset) - 1

    def gap(self, a: tuple[int, int], b: tuple[int, int]) -> int:
        first, second = sorted((a, b))
        return max(0, self._index(second[0]) - self._index(first[1] - 1))


def _phones(text: str, public: frozenset[str]) -> Iterator[tuple[int, int]]:
    for m in _PHONE.finditer(text):
        digits = _digits(m.group())
        local_ok = len(digits) == 7 and any(p.endswith(digits) for p in public)
        if digits not in public and not local_ok:
            yield m.span()


def _emails(text: str, domains: frozenset[str]) -> Iterator[tuple[int, int]]:
    for m in _EMAIL.finditer(text):
        domain = m.group(1).casefold()
        if not any(domain == d or domain.endswith("." + d) for d in domains):
            yield m.span()


def _student_numbers(
    text: str, numbers: Iterable[str], pattern: str | None
) -> Iterator[tuple[int, int]]:
    if pattern:
        yield from (m.span() for m in _wrapped(pattern).finditer(text))
    for number in {n.strip() for n in numbers if len(n.strip()) >= MIN_STUDENT_NUMBER_LENGTH}:
        start = text.find(number)
        while start != -1:
            end = start + len(number)
            if not _is_word_char(text, start - 1) and not _is_word_char(text, end):
                yield start, end
            start = text.find(number, start + 1)


@lru_cache(maxsize=64)
def _wrapped(pattern: str) -> re.Pattern[str]:
    """The institution's pattern, whole-token only. An invalid pattern raises re.error;
    validate it where the institution configures it."""
    return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)")


def _is_word_char(text: str, index: int) -> bool:
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] == "_")


def _dates_of_birth(text: str, words: _Words) -> Iterator[tuple[int, int]]:
    births = [m.span() for m in _BIRTH.finditer(text)]
    for m in _DATE.finditer(text) if births else ():
        if any(words.gap(m.span(), b) <= DOB_NEAR_WORDS for b in births):
            yield m.span()


def _is_year_group(text: str, start: int, end: int) -> bool:
    if not text[start:end].casefold().startswith("grade"):
        return False
    before = _YEAR_BEFORE.search(text, max(0, start - 16), start)
    return before is not None or _YEAR_AFTER.match(text, end) is not None


def _grades_health(
    text: str, references: Sequence[NameReference], words: _Words
) -> Iterator[tuple[int, int, str]]:
    for m in _GRADES_HEALTH.finditer(text) if references else ():
        if _is_year_group(text, *m.span()):
            continue
        near = [r for r in references if words.gap((r.start, r.end), m.span()) <= NEAR_WORDS]
        if near:
            nearest = min(near, key=lambda r: words.gap((r.start, r.end), m.span()))
            yield m.start(), m.end(), nearest.full_name


def find_confidential(
    text: str,
    references: Sequence[NameReference] = (),
    *,
    student_numbers: Iterable[str] = (),
    student_number_pattern: str | None = None,
    institution_domains: Iterable[str] = (),
    public_phone_numbers: Iterable[str] = (),
) -> list[ConfidentialFinding]:
    """Findings in text order; where two overlap, the more sensitive kind is the one reported.

    `references` (from find_student_references) say where students are named: grades and
    health words are only confidential when they are about someone.
    """
    domains = frozenset(d.strip().lstrip("@").strip(".").casefold() for d in institution_domains)
    public = frozenset(_digits(p) for p in public_phone_numbers)
    words = _Words(text)
    spans: list[tuple[Confidential, int, int, str | None]] = [
        *((Confidential.ssn, *m.span(), None) for m in _SSN.finditer(text)),
        *(
            (Confidential.student_number, *s, None)
            for s in _student_numbers(text, student_numbers, student_number_pattern)
        ),
        *((Confidential.date_of_birth, *s, None) for s in _dates_of_birth(text, words)),
        *((Confidential.email, *s, None) for s in _emails(text, domains)),
        *((Confidential.phone, *s, None) for s in _phones(text, public)),
        *((Confidential.street_address, *m.span(), None) for m in _ADDRESS.finditer(text)),
        *((Confidential.grades_or_health, *g) for g in _grades_health(text, references, words)),
    ]
    order = list(Confidential)
    kept: list[ConfidentialFinding] = []
    for kind, start, end, student in sorted(spans, key=lambda s: (order.index(s[0]), s[1])):
        if any(start < k.end and k.start < end for k in kept):
            continue
        shown = _mask(text[start:end]) if kind in SECRET_KINDS else text[start:end]
        kept.append(ConfidentialFinding(kind, start, end, shown, student))
    return sorted(kept, key=lambda f: f.start)
