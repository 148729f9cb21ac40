"""A zip bomb handed to the records import is refused from the zip's directory, before a
byte of it is inflated; an export that merely compresses well is still read."""

import zipfile
from pathlib import Path

import pytest

from service.errors import Invalid
from service.records.archive import EXPANSION_FLOOR, MANIFEST, read_files


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
    return path


def test_a_member_that_expands_a_thousandfold_is_refused_unread(tmp_path: Path) -> None:
    bomb = write_zip(
        tmp_path / "export.zip", {MANIFEST: b"{}", "posts.json": bytes(2 * EXPANSION_FLOOR)}
    )
    with pytest.raises(Invalid, match=r"posts\.json would expand"):
        read_files(bomb)


def test_repetitive_records_below_the_floor_are_read(tmp_path: Path) -> None:
    rows = b'{"rule": "photo_consent", "outcome": "pass"},\n' * 100_000  # ~4.5 MB, ~700:1
    export = write_zip(tmp_path / "export.zip", {MANIFEST: b"{}", "rule_results.json": rows})
    assert read_files(export)["rule_results.json"] == rows
