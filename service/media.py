"""Content-addressed file storage on local disk: a file's name is its SHA-256."""

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from service.settings import get_settings


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    path: str  # relative to the media directory


def media_root() -> Path:
    return get_settings().media_dir


def store_bytes(data: bytes, *, folder: str, suffix: str) -> StoredFile:
    digest = hashlib.sha256(data).hexdigest()
    relative = Path(folder) / f"{digest}{suffix.lower()}"
    target = media_root() / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + ".partial")
        partial.write_bytes(data)
        partial.replace(target)
    return StoredFile(digest, relative.as_posix())


def client_filename(name: str | None, default: str = "upload") -> str:
    """The name the client gave a file, fit to show and to store beside it: its last path
    segment, without control or format characters (a NUL that PostgreSQL refuses after the
    file is written, line breaks, right-to-left overrides), at most 255 characters. Only
    ever shown: stored files are named by their hash."""
    base = re.split(r"[/\\]", name or "")[-1]
    shown = "".join(c for c in base if unicodedata.category(c) not in {"Cc", "Cf", "Cs"})
    return shown.strip()[:255] or default


def read_stored(relative: str) -> bytes:
    return (media_root() / relative).read_bytes()
