"""Importing the roster from CSV: a report per line, valid rows applied, nothing duplicated."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from service.audit.models import AuditEntry
from service.consent import evidence, roster_import, service
from service.consent.models import Guardian, Student, StudentCreate
from service.consent.roster_import import RosterImportReport, RowStatus, import_roster
from service.errors import Invalid
from tests.conftest import Person

HEADER = (
    "full_name,preferred_name,site,student_number,guardian_name,guardian_email,"
    "guardian_relationship\n"
)
MIXED = HEADER + (
    "Ana Ruiz,Annie,North,N-1,Rosa Ruiz,rosa@example.org,mother\n"  # line 2: created
    ",,North,N-2,,,\n"  # line 3: no name
    "Ben Ode,,North,N-3,Ada Ode,not-an-email,father\n"  # line 4: bad email
    '"=HYPERLINK(""http://evil.example"",""x"")",,North,N-4,,,\n'  # line 5: formula
    "Cy Tan,,North,N-5,,,\n"  # line 6: duplicate of line 8
    "\n"  # line 7: blank, skipped
    "Cy Tanner,,North,N-5,,,\n"  # line 8: duplicate of line 6
    "Dee Park,,South,,+Lee Park,,\n"  # line 9: formula in the guardian name
    "Eve Moss,,South,,,,\n"  # line 10: created, no number
    "Fay Lin,,North,N-6,,,extra\n"  # line 11: guardian_relationship without guardian_name
)


def by_line(report: RosterImportReport) -> dict[int, tuple[RowStatus, list[str]]]:
    return {row.line: (row.status, row.reasons) for row in report.results}


def students(session: Session) -> list[Student]:
    return list(session.exec(select(Student).order_by(col(Student.id))).all())


def test_valid_rows_are_applied_and_every_rejected_line_says_why(
    session: Session, superintendent: Person
) -> None:
    report = import_roster(session, MIXED, superintendent.user, site_default=None)

    lines = by_line(report)
    assert {line: status for line, (status, _) in lines.items()} == {
        2: RowStatus.created,
        3: RowStatus.rejected,
        4: RowStatus.rejected,
        5: RowStatus.rejected,
        6: RowStatus.rejected,
        8: RowStatus.rejected,
        9: RowStatus.rejected,
        10: RowStatus.created,
        11: RowStatus.rejected,
    }
    assert lines[3][1] == ["full_name is missing"]
    assert lines[4][1][0].startswith("guardian_email: value is not a valid email address")
    assert "formula" in lines[5][1][0] and lines[5][1][0].startswith("full_name starts with '='")
    assert lines[6][1] == ["student_number is also on line 8 of this file"]
    assert lines[8][1] == ["student_number is also on line 6 of this file"]
    assert lines[9][1][0].startswith("guardian_name starts with '+'")
    assert "without guardian_name" in lines[11][1][0]
    assert (report.rows, report.created, report.updated, report.rejected) == (9, 2, 0, 7)
    assert report.message.startswith("2 of 9 rows applied; 7 rejected")

    ana, eve = students(session)
    assert (ana.full_name, ana.preferred_name, ana.site, ana.student_number) == (
        "Ana Ruiz",
        "Annie",
        "North",
        "N-1",
    )
    assert (eve.full_name, eve.site, eve.student_number) == ("Eve Moss", "South", None)
    assert ana.id is not None
    (rosa,) = service.list_guardians(session, ana.id, superintendent.user)
    assert (rosa.name, rosa.email, rosa.relationship) == ("Rosa Ruiz", "rosa@example.org", "mother")


def test_importing_again_matches_by_site_and_number_instead_of_duplicating(
    session: Session, superintendent: Person
) -> None:
    first = HEADER + "Ana Ruiz,,North,N-1,Rosa Ruiz,,mother\nBen Ode,,North,N-2,,,\n"
    import_roster(session, first, superintendent.user, site_default=None)

    same = import_roster(session, first, superintendent.user, site_default=None)
    assert [r.status for r in same.results] == [RowStatus.unchanged, RowStatus.unchanged]
    assert same.message == "All 2 rows applied."

    corrected = HEADER + (
        "Ana Ruiz-Diaz,Annie,North,N-1,rosa ruiz,rosa@example.org,\n"
        "Ben Ode,,North,N-2,,,\n"
        "Cy Tan,,North,N-3,,,\n"
    )
    report = import_roster(session, corrected, superintendent.user, site_default=None)

    assert [r.status for r in report.results] == [
        RowStatus.updated,
        RowStatus.unchanged,
        RowStatus.created,
    ]
    assert [s.full_name for s in students(session)] == ["Ana Ruiz-Diaz", "Ben Ode", "Cy Tan"]
    (rosa,) = session.exec(select(Guardian)).all()
    # matched by name ignoring case; a blank relationship leaves the one on file
    assert (rosa.name, rosa.email, rosa.relationship) == ("rosa ruiz", "rosa@example.org", "mother")


def test_a_site_admin_imports_only_into_their_site(
    session: Session, superintendent: Person, site_admin: Callable[[str], Person]
) -> None:
    north_admin = site_admin("North")
    service.create_student(
        session,
        StudentCreate(full_name="Zed", site="South", student_number="S-1"),
        superintendent.user,
    )
    text = "full_name,site,student_number\nAna,north,N-1\nBen,,N-2\nZed Renamed,South,S-1\n"

    report = import_roster(session, text, north_admin.user, site_default=None)

    lines = by_line(report)
    assert lines[2][0] is lines[3][0] is RowStatus.created
    assert lines[4] == (RowStatus.rejected, ["site 'South' is outside your site 'North'"])
    assert {(s.full_name, s.site) for s in students(session)} == {
        ("Ana", "North"),
        ("Ben", "North"),
        ("Zed", "South"),
    }


def test_the_default_site_fills_blank_sites(session: Session, superintendent: Person) -> None:
    text = "full_name,site\nAna,\nBen,South\n"

    without = import_roster(session, text, superintendent.user, site_default=None)
    assert by_line(without)[2] == (
        RowStatus.rejected,
        ["site is missing and no default site was given"],
    )

    report = import_roster(session, text, superintendent.user, site_default=" North ")
    assert [r.status for r in report.results] == [RowStatus.created, RowStatus.created]
    assert {s.site for s in students(session) if s.full_name == "Ana"} == {"North"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("full_name,site\n".encode("utf-16"), "UTF-8"),
        (b"full_name,site\nJos\xe9,North\n", "not UTF-8"),
        (b"", "empty"),
        (b"name,site\nAna,North\n", "Unknown columns: 'name'"),
        (b"site,student_number\nNorth,1\n", "'full_name' is required"),
        (b"full_name,site,site\nAna,North,South\n", "more than once"),
        (b"full_name,site\nAna\x00,North\n", "not a CSV"),
        (
            ("full_name,site\n" + "Ana,North\n" * (roster_import.MAX_ROWS + 1)).encode(),
            "more than 10000 rows",
        ),
    ],
)
def test_an_unreadable_file_is_refused_whole_and_nothing_is_applied(
    session: Session, superintendent: Person, data: bytes, message: str
) -> None:
    with pytest.raises(Invalid, match=message):
        import_roster(session, data, superintendent.user, site_default="North")
    assert students(session) == []


def test_excel_csv_with_a_byte_order_mark_is_read_and_lines_are_counted_in_the_file(
    session: Session, superintendent: Person
) -> None:
    data = '\ufefffull_name,site\r\n"Ana\r\nRuiz",North\r\n,\r\nBen,North\r\n'.encode()

    report = import_roster(session, data, superintendent.user, site_default=None)

    assert [(r.line, r.status) for r in report.results] == [
        (2, RowStatus.rejected),  # a name across two lines
        (5, RowStatus.created),
    ]
    assert "line breaks" in report.results[0].reasons[0]


def test_too_large_a_file_is_413(superintendent: Person) -> None:
    with pytest.raises(evidence.TooLarge):
        roster_import.decode(b"a" * (roster_import.MAX_BYTES + 1))


def test_an_import_is_audited_as_a_whole_and_per_student(
    session: Session, superintendent: Person
) -> None:
    report = import_roster(session, MIXED, superintendent.user, site_default=None)

    summary = session.exec(select(AuditEntry).where(AuditEntry.action == "roster.imported")).one()
    assert summary.actor == superintendent.email
    assert summary.after is not None
    assert (summary.after["created"], summary.after["rejected"]) == (2, 7)
    assert [r["line"] for r in summary.after["rejected_lines"]] == [3, 4, 5, 6, 8, 9, 11]
    per_student = session.exec(
        select(AuditEntry)
        .where(AuditEntry.action == "student.imported")
        .order_by(col(AuditEntry.id))
    ).all()
    assert [e.subject_id for e in per_student] == [
        str(r.student_id) for r in report.results if r.status is RowStatus.created
    ]
    ana = per_student[0]
    assert ana.before is None and ana.after is not None
    assert ana.after["student_number"] == "N-1"
    assert ana.after["guardian"]["email"] == "rosa@example.org"

    again = MIXED.replace("Annie", "Ani")
    import_roster(session, again, superintendent.user, site_default=None)
    (update,) = session.exec(
        select(AuditEntry).where(
            AuditEntry.action == "student.imported",
            AuditEntry.subject_id == ana.subject_id,
            col(AuditEntry.id) > ana.id,
        )
    ).all()
    assert update.before is not None and update.after is not None
    assert (update.before["preferred_name"], update.after["preferred_name"]) == ("Annie", "Ani")


def test_the_import_route_takes_a_multipart_csv(
    app: TestClient, superintendent: Person, staff: Person
) -> None:
    files = {"file": ("roster.csv", MIXED.encode(), "text/csv")}

    response = app.post(
        "/api/v1/students/import",
        files=files,
        data={"site_default": "North"},
        headers=superintendent.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["rejected"]) == (2, 7)
    assert body["results"][0] == {
        "line": 2,
        "status": "created",
        "student_id": body["results"][0]["student_id"],
        "reasons": [],
    }
    assert "N-1" not in response.text
    refused = app.post("/api/v1/students/import", files=files, headers=staff.headers)
    assert refused.status_code == 403
    bad = app.post(
        "/api/v1/students/import",
        files={"file": ("roster.csv", b"\xff\xfe\x00", "text/csv")},
        headers=superintendent.headers,
    )
    assert bad.status_code == 422
    assert "UTF-8" in bad.json()["error"]["message"]
