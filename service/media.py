"""Content-addressed file storage on local disk: a file's name is its SHA-256."""

import hashlib
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


def read_stored(relative: str) -> bytes:
    return (media_root() / relative).read_bytes()
