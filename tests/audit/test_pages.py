"""The audit log pages: filters, paging, the CSV export (formula-safe), and who may read them."""

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from service import clock
from service.audit import service as audit
from service.audit.views import neutralise
from service.users.models import Role
from tests.conftest import Browser, Person

HOSTILE_ACTOR = '=HYPERLINK("http://evil.example","click")'


def add(
    session: Session,
    at: datetime,
    *,
    actor: str = "alice@school.example",
    action: str = "widget.changed",
    subject_id: object = 1,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
) -> None:
    clock.freeze(at)
    audit.record(
        session,
        actor=actor,
        action=action,
        subject_type="widget",
        subject_id=subject_id,
        before=before,
        after=after,
    )
    clock.freeze(None)
    session.commit()


@pytest.fixture
def log(session: Session) -> None:
    """Five entries about widgets, one a day from March 1st to 5th, 2026."""
    add(session, datetime(2026, 3, 1, 9, tzinfo=UTC), action="widget.created", after={"n": 1})
    add(session, datetime(2026, 3, 2, 9, tzinfo=UTC), before={"n": 1}, after={"n": 2})
    add(
        session,
        datetime(2026, 3, 3, 9, tzinfo=UTC),
        actor="bob@school.example",
        before={"status": "open", "n": 2},
        after={"status": "dismissed", "n": 2},
    )
    add(session, datetime(2026, 3, 4, 23, 30, tzinfo=UTC), subject_id=2, after={"n": 7})
    add(
        session,
        datetime(2026, 3, 5, 9, tzinfo=UTC),
        actor=HOSTILE_ACTOR,
        subject_id="-2+3",
        after={"note": "@SUM(A1)", "tab": "\tx"},
    )


@pytest.fixture
def auditor(browser_as: Callable[[Person], Browser], make_person: Callable[..., Person]) -> Browser:
    return browser_as(make_person(Role.auditor))


def rows(text: str) -> list[str]:
    """The audit table's rows, as text, newest first."""
    body = text.split("<tbody>")[1].split("</tbody>")[0]
    return body.split("<tr>")[1:]


def test_the_log_lists_entries_newest_first_with_a_readable_change(
    auditor: Browser, log: None
) -> None:
    page = auditor.get("/audit", subject_type="widget")
    assert page.status_code == 200
    listed = rows(page.text)
    assert len(listed) == 5
    assert "2026-03-05" in listed[0] and "2026-03-01" in listed[4]
    assert "status: open → dismissed" in listed[2] and "n: 2" not in listed[2]  # only what changed
    assert "n: 1 → 2" in listed[3]
    assert "widget.created" in listed[4] and "n: 1" in listed[4]
    assert 'href="/audit/export.csv?subject_type=widget"' in page.text
    assert "style=" not in page.text and "<script>" not in page.text  # strict CSP


@pytest.mark.parametrize(
    ("filters", "expected_days"),
    [
        ({"actor": "bob@school.example"}, ["03"]),
        ({"action": "widget.created"}, ["01"]),
        ({"subject_id": "2"}, ["04"]),
        ({"since": "2026-03-02", "until": "2026-03-04"}, ["04", "03", "02"]),  # until: whole day
        ({"since": "2026-03-05", "actor": ""}, ["05"]),  # a blank filter is no filter
        ({"until": "2026-02-28"}, []),
    ],
)
def test_the_log_filters(
    auditor: Browser, log: None, filters: dict[str, str], expected_days: list[str]
) -> None:
    page = auditor.get("/audit", subject_type="widget", **filters)
    assert page.status_code == 200
    if not expected_days:
        assert "No entry matches these filters." in page.text
        return
    days = [row.split("2026-03-")[1][:2] for row in rows(page.text)]
    assert days == expected_days


def test_the_log_pages_with_newer_and_older_links(auditor: Browser, log: None) -> None:
    first = auditor.get("/audit", subject_type="widget", limit="2")
    assert [r.split("2026-03-")[1][:2] for r in rows(first.text)] == ["05", "04"]
    assert "Newer entries" not in first.text
    assert 'href="/audit?subject_type=widget&amp;limit=2&amp;offset=2"' in first.text
    second = auditor.get("/audit", subject_type="widget", limit="2", offset="2")
    assert [r.split("2026-03-")[1][:2] for r in rows(second.text)] == ["03", "02"]
    assert "Newer entries" in second.text and "Older entries" in second.text
    last = auditor.get("/audit", subject_type="widget", limit="2", offset="4")
    assert [r.split("2026-03-")[1][:2] for r in rows(last.text)] == ["01"]
    assert 'href="/audit?subject_type=widget&amp;limit=2&amp;offset=2"' in last.text
    assert "Older entries" not in last.text


@pytest.mark.parametrize(
    "bad",
    [
        {"since": "2026-13-01"},
        {"until": "yesterday"},
        {"limit": "0"},
        {"limit": "100000"},
        {"offset": "-1"},
        {"offset": str(2**70)},
        {"actor": "x" * 400},
    ],
)
def test_bad_filters_are_a_422_page(auditor: Browser, bad: dict[str, str]) -> None:
    page = auditor.get("/audit", **bad)
    assert page.status_code == 422
    assert "Please check what you entered" in page.text
    assert auditor.get("/audit/export.csv", **bad).status_code == 422


def test_the_last_day_of_the_calendar_is_not_a_500(auditor: Browser, log: None) -> None:
    assert auditor.get("/audit", until="9999-12-31", subject_type="widget").status_code == 200


def test_the_csv_export_has_every_matching_row_and_neutralises_formulas(
    auditor: Browser, log: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = audit.each_entry
    monkeypatch.setattr(  # small batches: the export must page through all of them
        audit, "each_entry", lambda session, where: original(session, where, batch_size=2)
    )
    response = auditor.get("/audit/export.csv", subject_type="widget", limit="1")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-disposition"].endswith('.csv"')
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert len(table) == 5  # paging does not apply to the export
    hostile, *_, created = table
    assert hostile["actor"] == "'" + HOSTILE_ACTOR
    assert hostile["subject_id"] == "'-2+3"
    assert "@SUM(A1)" in hostile["after"] and hostile["after"].startswith("{")
    assert created["action"] == "widget.created" and created["summary"] == "n: 1"
    assert created["at"].startswith("2026-03-01T09:00:00")
    assert len(created["hash"]) == 64
    only_bob = auditor.get("/audit/export.csv", subject_type="widget", actor="bob@school.example")
    (bob,) = csv.DictReader(io.StringIO(only_bob.text))
    assert bob["summary"] == "status: open → dismissed"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("", ""),
        ("alice@school.example", "alice@school.example"),
        (" =1", " =1"),
    ],
)
def test_neutralise(cell: str, written: str) -> None:
    assert neutralise(cell) == written


@pytest.mark.parametrize("role", [Role.superintendent, Role.auditor])
def test_oversight_reads_the_log(
    browser_as: Callable[[Person], Browser], make_person: Callable[..., Person], role: Role
) -> None:
    browser = browser_as(make_person(role))
    assert browser.get("/audit").status_code == 200
    assert browser.get("/audit/export.csv").status_code == 200


@pytest.mark.parametrize("role", [Role.staff, Role.designee, Role.site_admin])
def test_everyone_else_gets_a_403_page(
    browser_as: Callable[[Person], Browser], make_person: Callable[..., Person], role: Role
) -> None:
    browser = browser_as(make_person(role))
    for path in ("/audit", "/audit/export.csv"):
        page = browser.get(path)
        assert page.status_code == 403 and "Not allowed" in page.text
