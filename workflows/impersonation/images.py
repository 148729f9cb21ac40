"""Profile-image fingerprints: does this avatar copy the institution's logo?

A perceptual hash (pHash) survives the re-encoding, resizing and light noise that a copied
logo goes through, but it sees only greyscale structure: every shield-shaped badge looks
alike to it. A colour hash (hue histogram) tells a blue-and-gold shield from a brown one.
A match needs both.

Hashing decodes the image, which costs milliseconds; scans meet the same avatars again and
again, so fingerprints are cached by the SHA-256 of the file bytes.
"""

import hashlib
import io
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from pathlib import Path

import imagehash
from PIL import Image, UnidentifiedImageError

# Hamming distances (64-bit pHash, 42-bit colour hash). Copies in the wild sit at pHash 0-6
# (JPEG, resize, borders, noise); unrelated badges of the same shape at 8 and above.
PHASH_MATCH = 6
PHASH_SIMILAR = 10
COLOUR_MATCH = 3


@dataclass(frozen=True)
class ImageFingerprint:
    sha256: str
    phash: int
    colour: int


@dataclass(frozen=True)
class ImageMatch:
    phash_distance: int
    colour_distance: int
    reference: str  # "logo" or "@handle"

    @property
    def is_copy(self) -> bool:
        return self.phash_distance <= PHASH_MATCH and self.colour_distance <= COLOUR_MATCH

    @property
    def is_similar(self) -> bool:
        return self.phash_distance <= PHASH_SIMILAR and self.colour_distance <= COLOUR_MATCH


def _as_int(value: imagehash.ImageHash) -> int:
    return int(str(value), 16)


def fingerprint_bytes(data: bytes) -> ImageFingerprint | None:
    """None for bytes that are not an image we can decode: a broken avatar is not evidence."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    return ImageFingerprint(
        sha256=hashlib.sha256(data).hexdigest(),
        phash=_as_int(imagehash.phash(image)),
        colour=_as_int(imagehash.colorhash(image, binbits=3)),
    )


class FingerprintCache:
    """Fingerprints keyed by content hash. Pass a persistent mapping (e.g. a shelf) as
    `store` to keep them across runs; the default lives as long as the object."""

    def __init__(self, store: MutableMapping[str, ImageFingerprint] | None = None) -> None:
        self.store: MutableMapping[str, ImageFingerprint] = {} if store is None else store
        self.hits = 0
        self.misses = 0

    def fingerprint(self, data: bytes) -> ImageFingerprint | None:
        digest = hashlib.sha256(data).hexdigest()
        cached = self.store.get(digest)
        if cached is not None:
            self.hits += 1
            return cached
        self.misses += 1
        found = fingerprint_bytes(data)
        if found is not None:
            self.store[digest] = found
        return found

    def fingerprint_file(self, path: Path) -> ImageFingerprint | None:
        try:
            data = path.read_bytes()
        except OSError:
            return None
        return self.fingerprint(data)


def closest_match(
    image: ImageFingerprint, references: Iterable[tuple[str, ImageFingerprint]]
) -> ImageMatch | None:
    """The most telling reference: a copy beats a lookalike beats the nearest pHash."""
    best: ImageMatch | None = None
    for label, reference in references:
        if reference.sha256 == image.sha256:
            return ImageMatch(0, 0, label)
        match = ImageMatch(
            (image.phash ^ reference.phash).bit_count(),
            (image.colour ^ reference.colour).bit_count(),
            label,
        )
        if best is None or _rank(match) < _rank(best):
            best = match
    return best


def _rank(match: ImageMatch) -> tuple[bool, bool, int, int]:
    return (
        not match.is_copy,
        not match.is_similar,
        match.phash_distance,
        match.colour_distance,
    )
