"""Importing the roster from a CSV file, row by row, with a report of what became of each line.

The header names the columns, in any order and any case: `full_name` (required),
`preferred_name`, `site`, `student_number`, `guardian_name`, `guardian_email`,
`guardian_relationship`. Decisions:

- A row is matched to a student on file by site + student_number and updates it (name,
  preferred name; a matched inactive student is active again); a row without a number always
  creates a student. Importing the same file twice therefore changes nothing the second time.
- Guardians are matched by name (ignoring case) among the student's guardians; a blank
  guardian_email or guardian_relationship leaves what is on file.
- Valid rows are applied even when other rows are rejected; the report lists every line with
  its outcome, and each rejected line with its reasons. The file as a whole is refused, and
  nothing applied, when it cannot be read: not UTF-8, not CSV, unknown or missing columns,
  more than 10,000 rows.
- A cell starting with = + - or @ (after trimming) is *rejected*, not neutralised: a
  spreadsheet would run it as a formula when the data is exported again, and neutralising it
  (a leading apostrophe) would store a name that is not the student's. The person importing
  fixes the source file instead.
- A student number that appears on more than one row of the same site rejects all those rows:
  the file does not say which one is right.
- Audit: one entry per student the import created or changed (`student.imported`, with the
  student and the guardian the row names, before and after), and one summary entry for the
  import (`roster.imported`: the counts and every rejected line with its reasons). Rows that
  change nothing write nothing. New students and guardians are inserted in batches.
"""

import csv
import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import ValidationError
from sqlmodel import Field, Session, SQLModel, col, select

from service import clock
from service.audit import service as audit
from service.consent import evidence, service
from service.consent.models import (
    FORMULA_PREFIXES,
    Guardian,
    GuardianCreate,
    Student,
    StudentCreate,
)
from service.errors import Invalid
from service.users.models import User

COLUMNS = (
    "full_name",
    "preferred_name",
    "site",
    "student_number",
    "guardian_name",
    "guardian_email",
    "guardian_relationship",
)
GUARDIAN_COLUMNS = {
    "name": "guardian_name",
    "email": "guardian_email",
    "relationship": "guardian_relationship",
}
MAX_ROWS = 10_000
MAX_BYTES = 10 * 1024 * 1024


class RowStatus(StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"
    rejected = "rejected"


class RosterRow(SQLModel):
    line: int  # the line of the file the row starts on; the header is line 1
    status: RowStatus
    student_id: int | None = None
    reasons: list[str] = Field(default_factory=list)


class RosterImportReport(SQLModel):
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    message: str
    results: list[RosterRow]


@dataclass
class _Row:
    line: int
    cells: dict[str, str]
    problems: list[str] = field(default_factory=list)
    student: StudentCreate | None = None
    guardian: GuardianCreate | None = None


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise evidence.TooLarge("The roster file is larger than 10 MB.", max_bytes=MAX_BYTES)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Invalid(
            f"The file is not UTF-8 text (byte {error.start + 1}); save it as 'CSV UTF-8'."
        ) from error


def _header(record: list[str] | None) -> list[str]:
    if record is None:
        raise Invalid("The file is empty; the first line must name the columns.")
    columns = [cell.strip().lower() for cell in record]
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise Invalid(f"Unknown columns: {', '.join(map(repr, unknown))}.", expected=list(COLUMNS))
    repeated = sorted(c for c, n in Counter(columns).items() if n > 1)
    if repeated:
        raise Invalid(f"Columns named more than once: {', '.join(repeated)}.")
    if "full_name" not in columns:
        raise Invalid("The column 'full_name' is required.", expected=list(COLUMNS))
    return columns


def parse(text: str) -> tuple[list[str], list[_Row]]:
    """The columns and the non-blank rows; an unreadable file is refused as a whole."""
    if "\x00" in text:
        raise Invalid("The file is not a CSV text file.")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[_Row] = []
    try:
        columns = _header(next(reader, None))
        start = reader.line_num + 1
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) == MAX_ROWS:
                raise Invalid(
                    f"The file has more than {MAX_ROWS} rows; split it.", max_rows=MAX_ROWS
                )
            row = _Row(line, {c: v.strip() for c, v in zip(columns, record, strict=False)})
            if len(record) > len(columns):
                row.problems.append(
                    f"the row has {len(record)} cells but the header {len(columns)} columns"
                )
            rows.append(row)
    except csv.Error as error:
        raise Invalid(f"Line {reader.line_num} is not valid CSV: {error}.") from error
    return columns, rows


def _validation_problems(error: ValidationError, names: dict[str, str]) -> list[str]:
    problems = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else ""
        problems.append(f"{names.get(name, name)}: {problem['msg']}")
    return problems


def _check(row: _Row, actor: User, site_default: str | None) -> None:
    """Fill in `row.student` / `row.guardian`, or say in `row.problems` why not."""
    cells = row.cells
    for column, value in cells.items():
        if value.startswith(FORMULA_PREFIXES):
            row.problems.append(
                f"{column} starts with {value[0]!r}, which a spreadsheet would run as a formula"
            )
    if not cells.get("full_name"):
        row.problems.append("full_name is missing")
    site = cells.get("site") or site_default
    confined = service.site_scope(actor)
    if confined is not None:
        if site and site.casefold() != confined.casefold():
            row.problems.append(f"site {site!r} is outside your site {confined!r}")
        site = confined
    elif not site:
        row.problems.append("site is missing and no default site was given")
    guardian_name = cells.get("guardian_name")
    if not guardian_name and (cells.get("guardian_email") or cells.get("guardian_relationship")):
        row.problems.append("guardian_email or guardian_relationship given without guardian_name")
    if row.problems:
        return
    try:
        row.student = StudentCreate.model_validate({**cells, "site": site})
    except ValidationError as error:
        row.problems.extend(_validation_problems(error, {}))
    if guardian_name:
        try:
            row.guardian = GuardianCreate.model_validate(
                {name: cells.get(column) for name, column in GUARDIAN_COLUMNS.items()}
            )
        except ValidationError as error:
            row.problems.extend(_validation_problems(error, GUARDIAN_COLUMNS))


def _spell_sites_as_on_file(session: Session, rows: list[_Row]) -> None:
    """Use the spelling on file: "north campus" joins "North Campus" (a query per site)."""
    spelled: dict[str, str] = {}
    for row in rows:
        if row.student is not None and row.student.site:
            site = row.student.site
            if site not in spelled:
                spelled[site] = service.canonical_site(session, site)
            row.student.site = spelled[site]


def _number_key(row: _Row) -> tuple[str, str] | None:
    if row.student is None or not row.student.student_number or not row.student.site:
        return None
    return row.student.site.casefold(), row.student.student_number


def _reject_repeated_numbers(rows: list[_Row]) -> None:
    lines: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        if (key := _number_key(row)) is not None:
            lines.setdefault(key, []).append(row.line)
    for row in rows:
        key = _number_key(row)
        others = [line for line in lines[key] if line != row.line] if key else []
        if others:
            row.problems.append(
                f"student_number is also on line {', '.join(map(str, others))} of this file"
            )


def _on_file(
    session: Session, rows: list[_Row]
) -> tuple[dict[tuple[str, str], Student], dict[int, list[Guardian]]]:
    sites = {row.student.site for row in rows if row.student is not None}
    students = session.exec(
        select(Student)
        .where(col(Student.site).in_(sites), col(Student.student_number).is_not(None))
        .with_for_update()
    ).all()
    by_number = {(s.site, s.student_number or ""): s for s in students}
    guardians: dict[int, list[Guardian]] = {}
    for guardian in session.exec(
        select(Guardian)
        .join(Student, col(Student.id) == Guardian.student_id)
        .where(col(Student.site).in_(sites))
        .order_by(col(Guardian.id))
    ).all():
        guardians.setdefault(guardian.student_id, []).append(guardian)
    return by_number, guardians


@dataclass
class _Change:
    """One accepted row, applied in memory first so the inserts can be flushed in batches."""

    row: _Row
    student: Student
    before: dict[str, object] | None  # None: the student is new
    guardian: Guardian | None  # the guardian the row names: on file, or added by `_apply`


def _state(student: Student, guardian: Guardian | None) -> dict[str, object]:
    """What the audit records of an imported row: the student and the guardian it names."""
    return {
        **service.student_state(student),
        "guardian": service.guardian_state(guardian) if guardian else None,
    }


def _prepare(
    row: _Row, columns: list[str], existing: Student | None, known: list[Guardian]
) -> _Change:
    data = row.student
    assert data is not None and data.site is not None
    if existing is None:
        student = Student(
            full_name=data.full_name,
            preferred_name=data.preferred_name,
            site=data.site,
            student_number=data.student_number,
            created_at=clock.now(),
        )
        return _Change(row, student, None, None)
    name = row.guardian.name.casefold() if row.guardian else None
    guardian = next((g for g in known if g.name.casefold() == name), None)
    change = _Change(row, existing, _state(existing, guardian), guardian)
    existing.full_name, existing.active = data.full_name, True
    if "preferred_name" in columns:
        existing.preferred_name = data.preferred_name
    if guardian is not None and row.guardian is not None:
        guardian.name = row.guardian.name
        guardian.email = str(row.guardian.email).lower() if row.guardian.email else guardian.email
        guardian.relationship = row.guardian.relationship or guardian.relationship
    return change


def _apply(session: Session, changes: list[_Change], actor: User) -> list[RosterRow]:
    session.add_all(change.student for change in changes)
    session.flush()
    for change in changes:
        data = change.row.guardian
        if change.guardian is None and data is not None:
            assert change.student.id is not None
            change.guardian = Guardian(
                student_id=change.student.id,
                name=data.name,
                email=str(data.email).lower() if data.email else None,
                relationship=data.relationship,
                created_at=clock.now(),
            )
            session.add(change.guardian)
    session.flush()
    results = []
    for change in changes:
        after = _state(change.student, change.guardian)
        status = RowStatus.unchanged
        if after != change.before:
            status = RowStatus.created if change.before is None else RowStatus.updated
            audit.record(
                session,
                actor=actor.email,
                action="student.imported",
                subject_type="student",
                subject_id=change.student.id,
                before=change.before,
                after=after,
            )
        results.append(RosterRow(line=change.row.line, status=status, student_id=change.student.id))
    return results


def _message(report: RosterImportReport) -> str:
    applied = report.rows - report.rejected
    if not report.rejected:
        return f"All {report.rows} rows applied."
    return (
        f"{applied} of {report.rows} rows applied; {report.rejected} rejected and not applied. "
        "Fix those lines and import the file again: rows already applied match and are not "
        "duplicated."
    )


def import_roster(
    session: Session, csv_text: str | bytes, actor: User, *, site_default: str | None
) -> RosterImportReport:
    text = decode(csv_text) if isinstance(csv_text, bytes) else csv_text
    columns, rows = parse(text)
    site_default = (site_default or "").strip() or None
    for row in rows:
        _check(row, actor, site_default)
    if service.site_scope(actor) is None:
        _spell_sites_as_on_file(session, rows)
    _reject_repeated_numbers(rows)
    accepted = [row for row in rows if not row.problems]
    by_number, guardians = _on_file(session, accepted)
    changes = []
    for row in accepted:
        assert row.student is not None
        number = row.student.student_number
        existing = by_number.get((row.student.site or "", number)) if number else None
        known = guardians.get(existing.id or 0, []) if existing else []
        changes.append(_prepare(row, columns, existing, known))
    rejected = [
        RosterRow(line=row.line, status=RowStatus.rejected, reasons=row.problems)
        for row in rows
        if row.problems
    ]
    results = sorted(_apply(session, changes, actor) + rejected, key=lambda r: r.line)
    counts = Counter(result.status for result in results)
    report = RosterImportReport(
        rows=len(results),
        created=counts[RowStatus.created],
        updated=counts[RowStatus.updated],
        unchanged=counts[RowStatus.unchanged],
        rejected=counts[RowStatus.rejected],
        message="",
        results=results,
    )
    report.message = _message(report)
    audit.record(
        session,
        actor=actor.email,
        action="roster.imported",
        subject_type="roster_import",
        subject_id=hashlib.sha256(text.encode()).hexdigest(),
        after={
            **report.model_dump(include={"rows", "created", "updated", "unchanged", "rejected"}),
            "site_default": site_default,
            "rejected_lines": [
                {"line": r.line, "reasons": r.reasons}
                for r in results
                if r.status is RowStatus.rejected
            ],
        },
    )
    return report
