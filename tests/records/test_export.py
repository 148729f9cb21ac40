"""The open-records export: manifest, redaction, CSV safety, round trip, access, CLI."""

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select
from typer.testing import CliRunner

from service import migrations
from service.accounts.models import Account
from service.audit.models import AuditEntry
from service.cli import app as cli
from service.db import get_engine, make_engine, session_scope
from service.posts.models import Post, PostDecision, PostMedia, PostRevision
from service.records.importer import import_records
from service.settings import get_settings
from service.users.models import Role
from tests.conftest import Browser, Person
from tests.records.conftest import COMMENT, POST_TEXT, Published

EXPORT = "/api/v1/records/export"
DAY = {"from": "2026-10-05", "to": "2026-10-05"}
COUNTED = {
    "posts": Post,
    "revisions": PostRevision,
    "decisions": PostDecision,
    "media": PostMedia,
    "accounts": Account,
}


def unzip(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return {name: opened.read(name) for name in opened.namelist()}


def export_with_cli(tmp_path: Path, **period: str) -> Path:
    out = tmp_path / "records.zip"
    result = CliRunner().invoke(
        cli,
        ["records", "export", "--from", period["from"], "--to", period["to"], "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    return out


def counts(session: Session) -> dict[str, int]:
    return {
        kind: session.exec(select(func.count()).select_from(model)).one()
        for kind, model in COUNTED.items()
    }


def test_the_cli_writes_every_file_listed_in_the_manifest_with_its_hash(
    published: Published, tmp_path: Path
) -> None:
    files = unzip(export_with_cli(tmp_path, **DAY).read_bytes())
    manifest = json.loads(files.pop("manifest.json"))
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == set(files)
    for path, data in files.items():
        assert listed[path]["sha256"] == hashlib.sha256(data).hexdigest()
        assert listed[path]["size"] == len(data)
    assert manifest["parameters"] == DAY and manifest["generated_at"].startswith("2026-10-05")
    (post,) = json.loads(files["posts.json"])
    assert post["text"] == POST_TEXT and post["account_ids"] == [published.account_id]
    (publication,) = json.loads(files["publications.json"])
    assert publication["status"] == "published" and publication["url"].startswith("http")
    (item,) = json.loads(files["media.json"])
    assert files[item["file"]] and item["file"].startswith("media/")
    assert hashlib.sha256(files[item["file"]]).hexdigest() == item["sha256"]
    assert json.loads(files["rule_results.json"]) and json.loads(files["register_history.json"])
    with session_scope() as session:
        exported = session.exec(select(AuditEntry).where(AuditEntry.action == "records.exported"))
        assert len(exported.all()) == 1


def test_consent_only_names_numbers_and_guardians_are_redacted(
    published: Published, tmp_path: Path
) -> None:
    files = unzip(export_with_cli(tmp_path, **DAY).read_bytes())
    text = b"".join(data for path, data in files.items() if not path.startswith("media/"))
    for secret in (b"S7654321", b"S1234567", b"Tom Secret", b"Jane Doe", b"guardian@home"):
        assert secret not in text, secret
    assert b"Janie" in files["posts.json"]  # named with consent in the published text: it stays
    (decision,) = json.loads(files["decisions.json"])
    assert decision["comment"] == (
        '=HYPERLINK("http://evil.example") checked [redacted] ([redacted]) and [redacted]'
    )
    names = [r["message"] for r in json.loads(files["rule_results.json"])]

    assert any("[redacted]" in message and '"Janie"' in message for message in names)
    assert COMMENT not in text.decode()


def test_csv_cells_that_look_like_formulas_are_neutralised(
    published: Published, tmp_path: Path
) -> None:
    files = unzip(export_with_cli(tmp_path, **DAY).read_bytes())
    (row,) = csv.DictReader(io.StringIO(files["decisions.csv"].decode()))
    assert row["comment"].startswith("'=HYPERLINK(")
    (post,) = csv.DictReader(io.StringIO(files["posts.csv"].decode()))
    assert post["text"] == POST_TEXT and json.loads(post["account_ids"]) == [published.account_id]


def test_importing_the_export_into_a_fresh_database_reproduces_the_counts(
    published: Published, tmp_path: Path
) -> None:
    archive = export_with_cli(tmp_path, **DAY)
    with session_scope() as session:
        original = counts(session)
    assert original["posts"] == 1 and original["media"] == 1 and original["decisions"] == 1
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrations.upgrade(url)
    fresh = make_engine(url)
    try:
        with session_scope(fresh) as session:
            summary = import_records(session, archive, actor="test")
        with session_scope(fresh) as session:
            assert counts(session) == original
            revision = session.exec(select(PostRevision)).one()
            assert revision.text == POST_TEXT and revision.checks
    finally:
        fresh.dispose()
    assert {kind: summary.counts[kind] for kind in COUNTED} == original


def test_the_cli_imports_an_export_into_a_fresh_database_and_refuses_a_tampered_one(
    published: Published, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = export_with_cli(tmp_path, **DAY)
    files = unzip(archive.read_bytes())
    files["posts.json"] = files["posts.json"].replace(b"robotics", b"football")
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as out:
        for path, data in files.items():
            out.writestr(path, data)
    not_fresh = CliRunner().invoke(cli, ["records", "import", str(archive)])
    assert not_fresh.exit_code == 1 and "fresh database" in not_fresh.output

    get_engine().dispose()
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("IMPRIMATUR_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    migrations.upgrade(url)
    refused = CliRunner().invoke(cli, ["records", "import", str(tampered)])
    assert refused.exit_code == 1 and "SHA-256" in refused.output
    imported = CliRunner().invoke(cli, ["records", "import", str(archive)])
    assert imported.exit_code == 0, imported.output
    assert "posts: 1" in imported.output and "media: 1" in imported.output


def test_a_period_without_publications_is_a_valid_zip_of_empty_files(
    app: TestClient, make_person: Callable[..., Person]
) -> None:
    auditor = make_person(Role.auditor)
    response = app.get(
        EXPORT, params={"from": "2020-01-01", "to": "2020-01-31"}, headers=auditor.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    files = unzip(response.content)
    assert json.loads(files["posts.json"]) == [] and json.loads(files["media.json"]) == []
    assert files["posts.csv"].decode().splitlines()[0].startswith("id,author,status,text")
    manifest = json.loads(files["manifest.json"])
    assert manifest["counts"]["posts"] == 0
    assert {e["path"] for e in manifest["files"]} == set(files) - {"manifest.json"}


def test_only_the_superintendent_and_the_auditor_may_export(
    app: TestClient, make_person: Callable[..., Person]
) -> None:
    period = {"from": "2026-01-01", "to": "2026-01-02"}
    assert app.get(EXPORT, params=period).status_code == 401
    for role in Role:
        response = app.get(EXPORT, params=period, headers=make_person(role).headers)
        expected = 200 if role in {Role.superintendent, Role.auditor} else 403
        assert response.status_code == expected, (role, response.text)


def test_bad_periods_are_refused(app: TestClient, superintendent: Person) -> None:
    for period in (
        {"from": "2026-02-01", "to": "2026-01-01"},
        {"from": "2026-13-01", "to": "2026-12-01"},
        {"from": "yesterday", "to": "2026-12-01"},
        {"from": "2026-01-01"},
        {},
    ):
        response = app.get(EXPORT, params=period, headers=superintendent.headers)
        assert response.status_code == 422, (period, response.text)
        assert response.json()["error"]["code"]


def test_the_auditor_page_offers_the_download(
    browser_as: Callable[[Person], Browser], make_person: Callable[..., Person]
) -> None:
    browser = browser_as(make_person(Role.auditor))
    page = browser.get("/records")
    assert page.status_code == 200 and 'name="from"' in page.text
    chosen = browser.get("/records", **DAY)
    assert chosen.status_code == 200
    assert 'href="/api/v1/records/export?from=2026-10-05&amp;to=2026-10-05"' in chosen.text
    assert "0 posts" in chosen.text
    wrong = browser.get("/records", **{"from": "2026-10-06", "to": "2026-10-05"})
    assert wrong.status_code == 422 and "after" in wrong.text
    download = browser.get("/api/v1/records/export", **DAY)
    assert download.status_code == 200 and download.content.startswith(b"PK")
    assert browser_as(make_person(Role.staff)).get("/records").status_code == 403
