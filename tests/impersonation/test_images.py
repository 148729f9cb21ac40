"""Logo fingerprints: copies survive re-encoding; same-shape badges in other colours do not."""

import io

from PIL import Image, ImageDraw

from workflows.impersonation.images import (
    FingerprintCache,
    ImageFingerprint,
    closest_match,
    fingerprint_bytes,
)

Colour = tuple[int, int, int]


def logo_png(
    fill: Colour = (0, 51, 153), bar: Colour = (255, 204, 0), *, size: int = 400, jpeg: bool = False
) -> bytes:
    """A shield with a bar, like a school badge."""
    image = Image.new("RGB", (400, 400), "white")
    draw = ImageDraw.Draw(image)
    draw.polygon([(60, 40), (340, 40), (340, 260), (200, 360), (60, 260)], fill=fill)
    draw.rectangle((90, 250, 310, 270), fill=bar)
    draw.ellipse((150, 90, 250, 190), fill=bar)
    image = image.resize((size, size))
    out = io.BytesIO()
    image.save(out, format="JPEG" if jpeg else "PNG", quality=70)
    return out.getvalue()


def recoloured() -> bytes:
    return logo_png((120, 60, 20), (230, 230, 230))


def fp(data: bytes) -> ImageFingerprint:
    found = fingerprint_bytes(data)
    assert found is not None
    return found


def test_resized_jpeg_copy_matches() -> None:
    match = closest_match(fp(logo_png(size=96, jpeg=True)), [("logo", fp(logo_png()))])
    assert match is not None and match.is_copy and match.phash_distance <= 6


def test_same_shape_in_other_colours_is_not_a_copy() -> None:
    match = closest_match(fp(recoloured()), [("logo", fp(logo_png()))])
    assert match is not None and not match.is_copy


def test_identical_bytes_are_distance_zero() -> None:
    data = logo_png()
    match = closest_match(fp(data), [("a", fp(recoloured())), ("b", fp(data))])
    assert match is not None and (match.reference, match.phash_distance) == ("b", 0)


def test_no_references_no_match() -> None:
    assert closest_match(fp(logo_png()), []) is None


def test_cache_is_keyed_by_content() -> None:
    cache = FingerprintCache()
    data = logo_png()
    first = cache.fingerprint(data)
    again = cache.fingerprint(bytes(data))
    assert first is again and (cache.hits, cache.misses) == (1, 1)


def test_unreadable_images_are_not_evidence(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert fingerprint_bytes(b"not an image") is None
    cache = FingerprintCache()
    assert cache.fingerprint_file(tmp_path / "missing.png") is None
    assert cache.fingerprint(b"\x89PNG broken") is None
