"""Safe media: what an upload really is, how many faces it shows, and what leaks out of it.

Every image is built here from pixels (a real photo from scikit-image, tilings of it, noise),
so nothing binary is committed and each case shows exactly what it feeds in.
"""

import io
import random
import struct
import zipfile
import zlib
from typing import Any

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin
from skimage import data as skdata

from service.errors import DomainError, Invalid
from service.imaging import InspectedImage, MediaTooLarge, inspect_image

ORIENTATION = ExifTags.Base.Orientation
GPS_IFD = ExifTags.IFD.GPSInfo  # 0x8825


def astronaut() -> Image.Image:
    return Image.fromarray(skdata.astronaut())  # 512x512, one frontal face


def tiled(columns: int, rows: int) -> Image.Image:
    tile = skdata.astronaut()
    return Image.fromarray(np.vstack([np.hstack([tile] * columns)] * rows))


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def jpeg(image: Image.Image, **options: Any) -> bytes:
    return encode(image, "JPEG", quality=92, **options)


def reopen(result: InspectedImage) -> Image.Image:
    image = Image.open(io.BytesIO(result.publishable))
    image.load()
    return image


def png_declaring(width: int, height: int, rows: int = 4) -> bytes:
    """A 1-bit PNG whose header claims `width`x`height` but which carries only a few rows of
    pixel data: the real thing would be a decompression bomb, and nothing may decode it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    pixels = zlib.compress(bytes((1 + (width + 7) // 8) * rows))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


# --- faces -------------------------------------------------------------------------------


def test_one_astronaut_is_one_face() -> None:
    result = inspect_image(jpeg(astronaut()), filename="portrait.jpg")
    assert (result.format, result.content_type) == ("jpeg", "image/jpeg")
    assert (result.width, result.height) == (512, 512)
    assert result.faces == 1


@pytest.mark.parametrize(("columns", "rows"), [(2, 2), (3, 1), (1, 3), (3, 3)])
def test_a_tiled_group_counts_every_face(columns: int, rows: int) -> None:
    result = inspect_image(jpeg(tiled(columns, rows)), filename="group.jpg")
    assert result.faces == columns * rows


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF"])
def test_faces_are_counted_whatever_the_format(fmt: str) -> None:
    result = inspect_image(encode(astronaut(), fmt), filename=f"portrait.{fmt.lower()}")
    assert result.faces == 1


def test_a_16_bit_grayscale_png_is_seen_at_full_contrast() -> None:
    deep = (np.asarray(astronaut().convert("L")).astype(np.uint16) * 257).astype(np.uint16)
    result = inspect_image(encode(Image.fromarray(deep), "PNG"), filename="scan.png")
    assert reopen(result).mode == "I;16"
    assert result.faces == 1


def test_noise_and_gradients_have_no_faces() -> None:
    rng = np.random.default_rng(7)
    noise = Image.fromarray(rng.integers(0, 256, (1200, 1600, 3), dtype=np.uint8))
    gradient = Image.fromarray(np.tile(np.linspace(0, 255, 1600), (1200, 1)).astype(np.uint8))
    assert inspect_image(jpeg(noise), filename="noise.jpg").faces == 0
    assert inspect_image(encode(gradient, "PNG"), filename="sky.png").faces == 0


def test_a_large_photo_is_counted_on_a_downscaled_copy() -> None:
    big = tiled(2, 2).resize((3000, 3000), Image.Resampling.BILINEAR)
    result = inspect_image(jpeg(big), filename="group.jpg")
    assert (result.width, result.height, result.faces) == (3000, 3000, 4)


# --- metadata ----------------------------------------------------------------------------


def camera_exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[ExifTags.Base.Make] = "Secret Camera Co"
    gps = exif.get_ifd(GPS_IFD)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 26.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    return exif


def test_exif_and_gps_are_stripped_and_orientation_is_applied() -> None:
    upright = astronaut().crop((0, 0, 512, 384))  # landscape, face near the top
    # A phone held sideways stores the pixels rotated and says "turn me" in the EXIF.
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    data = jpeg(
        stored, exif=camera_exif(orientation=6), comment=b"pupil: Jane", xmp=b"<x:xmpmeta/>"
    )
    sent = Image.open(io.BytesIO(data))
    assert sent.size == (384, 512)
    assert sent.getexif().get_ifd(GPS_IFD)  # the upload really carries a position

    result = inspect_image(data, filename="IMG_0042.JPG", declared_type="image/jpeg")

    published = reopen(result)
    assert published.format == "JPEG"
    assert len(published.getexif()) == 0
    assert published.getexif().get_ifd(GPS_IFD) == {}
    assert not {"exif", "comment", "xmp"} & set(published.info)
    for secret in (b"Exif", b"Secret Camera", b"pupil: Jane", b"xmpmeta"):
        assert secret not in result.publishable
    assert (result.width, result.height) == published.size == (512, 384)
    difference = np.abs(np.asarray(published, dtype=int) - np.asarray(upright, dtype=int))
    assert difference.mean() < 6  # the same picture, the right way up (only JPEG loss differs)
    assert result.faces == 1  # and the face is found because it is upright again


def test_sideways_photo_without_orientation_shows_why_it_matters() -> None:
    stored = astronaut().transpose(Image.Transpose.ROTATE_90)
    assert inspect_image(jpeg(stored), filename="sideways.jpg").faces == 0


def test_png_text_chunks_and_exif_are_stripped() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Student")
    info.add_text("Comment", "home address", zip=True)
    info.add_itxt("Description", "taken at 12 Elm Road")
    data = encode(astronaut(), "PNG", pnginfo=info, exif=camera_exif(orientation=1))
    assert b"Jane Student" in data

    result = inspect_image(data, filename="portrait.png")

    published = reopen(result)
    assert isinstance(published, PngImagePlugin.PngImageFile)
    assert published.size == (512, 512)
    assert published.text == {}
    assert len(published.getexif()) == 0
    for secret in (b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"Jane", b"Elm Road"):
        assert secret not in result.publishable
    assert np.array_equal(np.asarray(published), np.asarray(astronaut()))  # PNG stays lossless


def test_webp_exif_and_xmp_are_stripped() -> None:
    data = encode(astronaut(), "WEBP", exif=camera_exif(orientation=1), xmp=b"<x:xmpmeta/>")
    assert b"Secret Camera" in data

    result = inspect_image(data, filename="portrait.webp", declared_type="image/webp")

    published = reopen(result)
    assert not {"exif", "xmp"} & set(published.info)
    for secret in (b"EXIF", b"XMP ", b"Secret Camera", b"xmpmeta"):
        assert secret not in result.publishable


def test_a_valid_icc_profile_is_kept_and_garbage_is_dropped() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    kept = inspect_image(jpeg(astronaut(), icc_profile=srgb), filename="a.jpg")
    assert reopen(kept).info.get("icc_profile") == srgb
    dropped = inspect_image(jpeg(astronaut(), icc_profile=b"not a profile"), filename="a.jpg")
    assert "icc_profile" not in reopen(dropped).info


def test_transparency_survives() -> None:
    rgba = astronaut().convert("RGBA")
    rgba.putalpha(128)
    result = inspect_image(encode(rgba, "PNG"), filename="cutout.png")
    assert reopen(result).getpixel((0, 0))[3] == 128  # type: ignore[index]


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_an_animation_is_published_as_its_first_frame(fmt: str) -> None:
    noise = Image.fromarray(np.random.default_rng(1).integers(0, 256, (512, 512, 3), np.uint8))
    data = encode(astronaut(), fmt, save_all=True, append_images=[noise], duration=100)
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 2

    result = inspect_image(data, filename=f"wave.{fmt.lower()}")

    published = reopen(result)
    assert (result.format, result.content_type) == (fmt.lower(), f"image/{fmt.lower()}")
    assert (published.format, published.size) == (fmt, (512, 512))
    assert getattr(published, "n_frames", 1) == 1
    assert result.faces == 1


# --- what the bytes are, whatever the label says -----------------------------------------


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo.jpg", b"not really")
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "filename", "found"),
    [
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "logo.svg", "SVG"),
        (b"<svg onload='alert(1)'/>", "photo.jpg", "SVG"),
        (b"<!DOCTYPE html><html><script>x()</script></html>", "photo.jpg", "HTML"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "flyer.pdf", "PDF"),
        (zip_archive(), "photos.jpg", "ZIP"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(64), "photo.jpg", "Windows executable"),
        (b"\x7fELF\x02\x01\x01" + bytes(64), "photo.jpg", "Linux executable"),
        (b"Dear parents, the trip is on Friday.", "letter.jpg", "text"),
        (bytes(range(7, 64)) * 4, "blob.jpg", "unrecognised binary data"),
    ],
)
def test_non_images_are_refused_by_content(content: bytes, filename: str, found: str) -> None:
    with pytest.raises(Invalid) as refused:
        inspect_image(content, filename=filename, declared_type="image/jpeg")
    message = refused.value.message
    assert message.startswith(f"{filename} is not a supported image (found: {found}")
    assert message.endswith("upload JPEG, PNG, WebP or GIF")


def test_png_named_jpg_is_mislabelled() -> None:
    with pytest.raises(Invalid, match=r"photo\.jpg .*\.jpg.* PNG image"):
        inspect_image(encode(astronaut(), "PNG"), filename="photo.jpg")


def test_jpeg_declared_as_png_is_mislabelled() -> None:
    with pytest.raises(Invalid, match=r"image/png.* JPEG image"):
        inspect_image(jpeg(astronaut()), filename="photo", declared_type="image/png")


@pytest.mark.parametrize(
    ("filename", "declared_type"),
    [
        ("PHOTO.JPEG", "image/jpeg; charset=binary"),
        ("pasted-image", None),
        ("camera.jpg", "application/octet-stream"),
        ("scan.jfif", "image/pjpeg"),
    ],
)
def test_matching_or_absent_labels_are_accepted(filename: str, declared_type: str | None) -> None:
    result = inspect_image(jpeg(astronaut()), filename=filename, declared_type=declared_type)
    assert result.format == "jpeg"


def test_empty_file_is_refused() -> None:
    with pytest.raises(Invalid, match="empty"):
        inspect_image(b"", filename="photo.jpg")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
def test_truncated_image_is_refused(fmt: str) -> None:
    data = encode(astronaut(), fmt)
    with pytest.raises(Invalid, match="damaged or truncated"):
        inspect_image(data[: len(data) // 2], filename=f"cut.{fmt.lower()}")


def test_damaged_files_only_ever_raise_domain_errors() -> None:
    """Random truncations and byte flips: a hostile upload must never become a 500."""
    small = astronaut().resize((96, 96))
    samples = [encode(small, fmt) for fmt in ("JPEG", "PNG", "GIF", "WEBP")]
    rng = random.Random(20240611)
    for _ in range(200):
        damaged = bytearray(rng.choice(samples))
        if rng.random() < 0.4:
            del damaged[rng.randrange(1, len(damaged)) :]
        else:
            for _ in range(rng.randrange(1, 8)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            inspect_image(bytes(damaged), filename="fuzz")
        except DomainError as exc:
            assert exc.status_code in (413, 422)


# --- size limits -------------------------------------------------------------------------


def test_error_classes_map_to_the_right_statuses() -> None:
    assert (Invalid.status_code, Invalid.code) == (422, "invalid")
    assert (MediaTooLarge.status_code, MediaTooLarge.code) == (413, "too_large")
    assert issubclass(MediaTooLarge, DomainError)


def test_more_bytes_than_allowed_is_refused_before_anything_else() -> None:
    with pytest.raises(MediaTooLarge, match="limit is 26214400 bytes"):
        inspect_image(b"\xff\xd8\xff" + bytes(25 * 1024 * 1024), filename="huge.jpg")
    data = jpeg(astronaut())
    with pytest.raises(MediaTooLarge):
        inspect_image(data, filename="a.jpg", max_bytes=len(data) - 1)


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (60_000, 60_000),  # beyond even Pillow's own hard limit
        (8_000, 8_000),  # 64 MP: under Pillow's limits, over ours
    ],
)
def test_decompression_bomb_is_refused_from_its_header(width: int, height: int) -> None:
    bomb = png_declaring(width, height)
    assert len(bomb) < 10_000
    # Only a few rows are present, so had anything tried to decode it, it would have failed
    # as truncated (422); 413 shows the refusal came from the header alone.
    with pytest.raises(MediaTooLarge):
        inspect_image(bomb, filename="bomb.png")


def test_pixel_limit_is_a_parameter() -> None:
    with pytest.raises(MediaTooLarge, match="512x512 pixels"):
        inspect_image(jpeg(astronaut()), filename="a.jpg", max_pixels=512 * 512 - 1)
    assert inspect_image(jpeg(astronaut()), filename="a.jpg", max_pixels=512 * 512).faces == 1
