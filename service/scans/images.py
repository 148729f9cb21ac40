"""Fetching a found account's profile image, best effort.

Platforms give an image URL; the simulated platform gives a local file. An image that cannot
be fetched (timeout, too large, not an image) is simply missing evidence: never fatal.
"""

from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests
import structlog

log = structlog.get_logger()
MAX_IMAGE_BYTES = 2 * 1024 * 1024
TIMEOUT_SECONDS = 10.0


def _read_file(url: str) -> bytes | None:
    path = Path(unquote(urlsplit(url).path))
    try:
        if path.stat().st_size > MAX_IMAGE_BYTES:
            return None
        return path.read_bytes()
    except OSError:
        return None


def _download(url: str, timeout: float) -> bytes | None:
    try:
        with requests.get(url, timeout=timeout, stream=True) as response:
            if response.status_code != 200:
                return None
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_IMAGE_BYTES:
                return None
            data = bytearray()
            for chunk in response.iter_content(64 * 1024):
                data.extend(chunk)
                if len(data) > MAX_IMAGE_BYTES:
                    return None
            return bytes(data)
    except (requests.RequestException, OSError, ValueError) as error:
        log.info("profile_image_not_fetched", url=url, error=str(error))
        return None


def fetch_image(
    url: str | None, *, allow_files: bool = False, timeout: float = TIMEOUT_SECONDS
) -> bytes | None:
    """The image's bytes, or None. `file:` URLs only when `allow_files` (the simulated
    platform): a real platform's answer must never make us read local files."""
    if not url:
        return None
    scheme = urlsplit(url).scheme.lower()
    if scheme == "file":
        return _read_file(url) if allow_files else None
    if scheme in {"http", "https"}:
        return _download(url, timeout)
    return None
