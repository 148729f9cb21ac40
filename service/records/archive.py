"""The export's zip: each kind as JSON and as CSV, the media files, and a manifest of hashes.

CSV cells go through the audit export's `neutralise`, so a spreadsheet runs none of them.
"""

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from service.audit.views import neutralise
from service.errors import Invalid
from service.records.models import KINDS

MANIFEST = "manifest.json"
# A member may expand this many times its compressed size once it is past the floor. Media
# is stored as already-compressed images (about 1:1) and the JSON and CSV compress some tens
# of times; a zip bomb expands a thousand times or more, and is refused before it is read.
MAX_EXPANSION = 200
EXPANSION_FLOOR = 16 * 1024 * 1024


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def csv_text(schema: type[BaseModel], rows: Sequence[Mapping[str, Any]]) -> str:
    """The header (the schema's fields, even with no rows), then one neutralised line a row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = list(schema.model_fields)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralise(_cell(row[column])) for column in columns])
    return buffer.getvalue()


def build_zip(
    records: Mapping[str, Sequence[BaseModel]],
    media_files: Mapping[str, bytes],
    *,
    parameters: dict[str, str],
    generated_at: datetime,
    generated_by: str,
) -> bytes:
    """The archive: `<kind>.json` and `<kind>.csv` for every kind, `media/…`, the manifest."""
    files: dict[str, bytes] = {}
    for kind, schema in KINDS.items():
        rows = [row.model_dump(mode="json") for row in records.get(kind, ())]
        files[f"{kind}.json"] = json.dumps(rows, ensure_ascii=False, indent=2).encode()
        files[f"{kind}.csv"] = csv_text(schema, rows).encode()
    files.update(media_files)
    manifest = {
        "generated_at": generated_at.isoformat(),
        "generated_by": generated_by,
        "parameters": parameters,
        "counts": {kind: len(records.get(kind, ())) for kind in KINDS},
        "files": [
            {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for path, data in sorted(files.items())
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in sorted(files.items()):
            archive.writestr(path, data)
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
    return buffer.getvalue()


def _refuse_a_bomb(info: zipfile.ZipInfo) -> None:
    if info.file_size > EXPANSION_FLOOR and info.file_size > info.compress_size * MAX_EXPANSION:
        raise Invalid(
            f"{info.filename} would expand from {info.compress_size} to {info.file_size} bytes; "
            "an export never compresses that well, so it is refused unread."
        )


def read_files(source: Path) -> dict[str, bytes]:
    """Every file of an export, from its zip or from the folder it was unpacked into."""
    if source.is_dir():
        return {
            path.relative_to(source).as_posix(): path.read_bytes()
            for path in source.rglob("*")
            if path.is_file()
        }
    try:
        with zipfile.ZipFile(source) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            for info in members:
                _refuse_a_bomb(info)
            # zipfile stops at each member's declared size, so a lie about it is a CRC error.
            return {info.filename: archive.read(info) for info in members}
    except (zipfile.BadZipFile, OSError) as error:
        raise Invalid(f"{source} is not a readable export: {error}") from error


def verified(files: Mapping[str, bytes]) -> dict[str, Any]:
    """The manifest, once every file it lists is present with its size and SHA-256."""
    if MANIFEST not in files:
        raise Invalid("The export has no manifest.json.")
    manifest: dict[str, Any] = json.loads(files[MANIFEST])
    for entry in manifest["files"]:
        data = files.get(entry["path"])
        if data is None:
            raise Invalid(f"{entry['path']} is listed in the manifest but missing.")
        if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise Invalid(f"{entry['path']} does not match its SHA-256 in the manifest.")
    return manifest
