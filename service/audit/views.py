"""The audit log as people read it: filters from a page's query, a one-line account of each
change, and the CSV export (safe to open in a spreadsheet)."""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, Field, field_validator

from service.audit.models import AuditEntry
from service.audit.service import AuditFilter

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "id",
    "at",
    "actor",
    "action",
    "subject_type",
    "subject_id",
    "summary",
    "before",
    "after",
    "hash",
)
SHOWN_VALUE = 120  # characters of one value shown on the page; the export keeps everything


def neutralise(cell: str) -> str:
    """The cell as text a spreadsheet will not evaluate: a leading quote before a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


class AuditQuery(BaseModel):
    """The audit page's filters and paging, as a browser's query string sends them."""

    actor: str | None = Field(default=None, max_length=320)
    action: str | None = Field(default=None, max_length=80)
    subject_type: str | None = Field(default=None, max_length=40)
    subject_id: str | None = Field(default=None, max_length=80)
    since: date | None = None
    until: date | None = None  # inclusive: the whole day
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000_000)

    @field_validator(
        "actor", "action", "subject_type", "subject_id", "since", "until", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def where(self) -> AuditFilter:
        since = datetime.combine(self.since, time.min, UTC) if self.since else None
        until = None
        if self.until is not None and self.until < date.max:
            until = datetime.combine(self.until + timedelta(days=1), time.min, UTC)
        return AuditFilter(
            self.actor, self.action, self.subject_type, self.subject_id, since, until
        )

    def filters(self) -> dict[str, str]:
        """The filters that are set, as query parameters."""
        values = self.model_dump(exclude={"limit", "offset"}, exclude_none=True)
        return {key: str(value) for key, value in values.items()}

    def link(self, offset: int) -> str:
        """The query string of another page of these entries."""
        return "?" + urlencode({**self.filters(), "limit": self.limit, "offset": max(offset, 0)})

    def export_link(self) -> str:
        """The CSV export of every entry these filters match."""
        filters = self.filters()
        return "/audit/export.csv" + (f"?{urlencode(filters)}" if filters else "")


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _short(text: str) -> str:
    return text if len(text) <= SHOWN_VALUE else text[: SHOWN_VALUE - 1] + "…"


def summary(entry: AuditEntry, *, shorten: bool = True) -> list[str]:
    """What changed, one line per field: "status: open → dismissed"; the values set, for a
    creation (empty ones left out)."""
    before, after = entry.before or {}, entry.after or {}
    keys = [*after, *(key for key in before if key not in after)]
    shown = _short if shorten else str
    lines = []
    for key in keys:
        if key in before and key in after and before[key] == after[key]:
            continue
        if key not in before:
            if after[key] in (None, "", [], {}):
                continue  # nothing to say about an empty field
            lines.append(f"{key}: {shown(_text(after[key]))}")
        elif key not in after:
            lines.append(f"{key}: {shown(_text(before[key]))} → removed")
        else:
            lines.append(f"{key}: {shown(_text(before[key]))} → {shown(_text(after[key]))}")
    return lines


def _json_cell(state: dict[str, Any] | None) -> str:
    return "" if state is None else json.dumps(state, ensure_ascii=False, sort_keys=True)


def csv_lines(entries: Iterable[AuditEntry]) -> Iterator[str]:
    """The header, then one CSV line per entry, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: Iterable[str]) -> str:
        writer.writerow([neutralise(cell) for cell in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(CSV_COLUMNS)
    for entry in entries:
        yield line(
            (
                str(entry.id),
                entry.at.isoformat(),
                entry.actor,
                entry.action,
                entry.subject_type,
                entry.subject_id,
                "; ".join(summary(entry, shorten=False)),
                _json_cell(entry.before),
                _json_cell(entry.after),
                entry.hash,
            )
        )
