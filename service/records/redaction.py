"""Redaction: what only the consent records know never leaves in an export.

A post's published text may name students who consented: those names were made public and
stay. Anything else the consent records hold — a student's name or number, a guardian's name
or email — is masked wherever else it turns up (reviewers' comments, rule messages, earlier
drafts) unless the published text itself contains it.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, select

from service.consent.models import Guardian, Student
from service.settings import get_settings

REDACTED = "[redacted]"


@dataclass(frozen=True)
class Confidential:
    """The terms to mask, and the institution's pattern of student numbers (if set)."""

    terms: tuple[str, ...]
    pattern: str | None = None


def mask(text: str, published: str, confidential: Confidential) -> str:
    """`text` with every confidential term or student number that the published text does
    not contain replaced by "[redacted]" (whole words, any case; longest terms first)."""
    public = published.casefold()
    found = {term for term in confidential.terms if term.strip()}
    if confidential.pattern:
        found.update(match.group(0) for match in re.finditer(confidential.pattern, text))
    for term in sorted(found, key=len, reverse=True):
        if term.casefold() in public:
            continue
        word = re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)
        text = word.sub(REDACTED, text)
    return text


def _present(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(value for value in values if value and value.strip())


def confidential_terms(session: Session) -> Confidential:
    """Every student's names and number, every guardian's name and email."""
    students = session.exec(select(Student)).all()
    guardians = session.exec(select(Guardian)).all()
    terms = _present(
        [s.full_name for s in students]
        + [s.preferred_name for s in students]
        + [s.student_number for s in students]
        + [g.name for g in guardians]
        + [g.email for g in guardians]
    )
    return Confidential(terms, get_settings().student_number_pattern)
