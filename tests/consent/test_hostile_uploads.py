"""Hostile roster files and signed-form uploads, through the API.

The roster import's contract (`service/consent/roster_import.py`): a file that cannot be read
(not UTF-8, not CSV, NUL bytes, unknown, repeated or missing columns, too many rows) is
refused whole with a 4xx and nothing applied; a readable file applies its valid rows and
reports every other one with its reasons. Generated files, any bytes and CSV full of formula
prefixes, line breaks, quotes, very long cells and odd headers, hold it to that: never a 5xx,
never a refused file half applied, never a row both rejected and stored, never a formula.
"""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, func, select

from service.audit.models import AuditEntry
from service.consent.models import FORMULA_PREFIXES, Guardian, Student
from service.consent.roster_import import COLUMNS
from tests.conftest import MULTIPART_TYPE, Person, raw_multipart
from tests.consent.factories import PDF, add_consent, add_student

CELLS = st.sampled_from(
    [
        *("=1+1", "+SUM(A1)", "-2", "@cmd", ' =HYPERLINK("x")', "\t=x"),  # formulas
        *("a\x00b", "two\r\nlines", '"', "x" * 5000, "\ufeffAna", "\u202eNorth"),
        *("Ana Ruiz", "North", "N-1", "Rosa Ruiz", "rosa@example.org", "mother", ""),
    ]
) | st.text(max_size=20)
HEADERS = st.lists(
    st.sampled_from([*COLUMNS, "FULL_NAME", " site ", "unknown", "=full_name", ""]),
    min_size=1,
    max_size=8,
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"])


@st.composite
def roster_files(draw: st.DrawFn) -> bytes:
    """A CSV of hostile cells under a (possibly odd) header, in one of several encodings."""
    header = draw(HEADERS)
    rows = draw(st.lists(st.lists(CELLS, max_size=len(header) + 1), max_size=6))
    text = io.StringIO()
    csv.writer(text).writerows([header, *rows])
    return text.getvalue().encode(draw(ENCODINGS), errors="replace")


def counts(session: Session) -> tuple[int, int, int]:
    count = func.count()
    return (
        session.exec(select(count).select_from(Student)).one(),
        session.exec(select(count).select_from(Guardian)).one(),
        session.exec(select(count).select_from(AuditEntry)).one(),
    )


def assert_no_formula_stored(session: Session) -> None:
    for student in session.exec(select(Student)).all():
        values = [student.full_name, student.preferred_name, student.site, student.student_number]
        assert not any((v or "").strip().startswith(FORMULA_PREFIXES) for v in values), values
    for guardian in session.exec(select(Guardian)).all():
        values = [guardian.name, guardian.email, guardian.relationship]
        assert not any((v or "").strip().startswith(FORMULA_PREFIXES) for v in values), values


def assert_report_matches_what_was_stored(
    report: dict[str, Any], before: tuple[int, int, int], after: tuple[int, int, int]
) -> None:
    statuses = [row["status"] for row in report["results"]]
    assert len(statuses) == report["rows"]
    assert sum(report[s] for s in ("created", "updated", "unchanged", "rejected")) == len(statuses)
    assert len({row["line"] for row in report["results"]}) == len(statuses)
    for row in report["results"]:
        assert (row["status"] == "rejected") == bool(row["reasons"])
        assert (row["student_id"] is None) == (row["status"] == "rejected")
    assert after[0] - before[0] == report["created"]


@settings(
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=roster_files() | st.binary(max_size=400))
@example(data=b"full_name,site\n=cmd|' /C calc'!A0,North\nAna Ruiz,North\n")
@example(data=b"full_name,full_name\nAna,Ana\n")
@example(data=b"\xef\xbb\xbffull_name\nAna\x00Ruiz\n")
@example(data="full_name\n".encode("utf-16"))
def test_any_roster_file_is_refused_whole_or_applied_row_by_row_as_reported(
    app: TestClient, superintendent: Person, session: Session, data: bytes
) -> None:
    before = counts(session)

    response = app.post(
        "/api/v1/students/import",
        files={"file": ("roster.csv", data, "text/csv")},
        data={"site_default": "North"},
        headers=superintendent.headers,
    )

    assert response.status_code == 200 or 400 <= response.status_code < 500, response.text
    if response.status_code != 200:
        assert response.json()["error"]["message"]
        assert counts(session) == before
        return
    assert_report_matches_what_was_stored(response.json(), before, counts(session))
    assert_no_formula_stored(session)


@pytest.mark.parametrize("filename", ["form\x00.pdf", "../../form.pdf", "form\t\u202e.pdf"])
def test_a_signed_form_under_a_hostile_name_is_kept_and_the_name_only_shown_cleaned(
    app: TestClient, superintendent: Person, session: Session, filename: str
) -> None:
    consent = add_consent(
        session, superintendent.user, add_student(session, superintendent.user), evidence=None
    )
    session.commit()

    response = app.post(
        f"/api/v1/consents/{consent.id}/evidence",
        content=raw_multipart({}, filename, "application/pdf", PDF),
        headers={**superintendent.headers, "content-type": MULTIPART_TYPE},
    )

    assert response.status_code == 200, response.text
    entry = session.exec(
        select(AuditEntry)
        .where(AuditEntry.action == "consent.evidence_attached")
        .order_by(col(AuditEntry.id).desc())
    ).first()
    assert entry is not None and entry.after is not None
    assert entry.after["filename"] == "form.pdf"
