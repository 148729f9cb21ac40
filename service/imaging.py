"""Safe media: decide what an uploaded image really is, count its faces, strip its metadata.

Policy forbids photos of an individual student, so every image gets a face count that a
reviewer can check against the post; and a photo taken on a phone carries its GPS position,
so only a re-encoded copy with no metadata is ever published. Nothing here trusts the
filename or the declared content type: the bytes decide, and a label that disagrees with
them is refused, because a mislabelled file is either a mistake or an attempt to smuggle one.
"""

import codecs
import functools
import io
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageCms, ImageOps

from service.errors import DomainError, Invalid


class MediaTooLarge(DomainError):
    status_code = 413
    code = "too_large"


@dataclass(frozen=True)
class InspectedImage:
    format: str  # "jpeg" | "png" | "webp" | "gif", decided from the bytes
    content_type: str
    width: int
    height: int
    publishable: bytes  # re-encoded, metadata stripped, orientation applied
    faces: int  # frontal faces in the first frame


_PIL_FORMAT = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF"}
_CONTENT_TYPE = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}
_EXTENSIONS = {
    **dict.fromkeys((".jpg", ".jpeg", ".jpe", ".jfif", ".pjpeg", ".pjp"), "jpeg"),
    ".png": "png",
    ".webp": "webp",
    ".gif": "gif",
}
_DECLARED = {**{t: f for f, t in _CONTENT_TYPE.items()}, "image/jpg": "jpeg", "image/pjpeg": "jpeg"}
# Browsers send these when they do not know; they claim nothing, so they cannot disagree.
_NO_CLAIM = {"", "application/octet-stream", "binary/octet-stream"}

# Magic numbers of things people upload by mistake (or on purpose), so the refusal can say
# what was found instead of "unknown".
_OTHER_SIGNATURES = (
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (or Office document)"),
    (b"\x1f\x8b", "gzip archive"),
    (b"MZ", "Windows executable"),
    (b"\x7fELF", "Linux executable"),
    (b"\xcf\xfa\xed\xfe", "macOS executable"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"BM", "BMP image"),
    (b"\x00\x00\x01\x00", "Windows icon"),
)

JPEG_QUALITY = 90  # visually lossless for photos, and a second generation loses little
FACE_LONG_SIDE = 800  # Haar input: faces that matter to the policy stay >24 px; ~20-60 ms


def inspect_image(
    data: bytes,
    *,
    filename: str,
    declared_type: str | None = None,
    max_bytes: int = 25 * 1024 * 1024,
    max_pixels: int = 50_000_000,
) -> InspectedImage:
    """Raise `Invalid` (422) or `MediaTooLarge` (413) rather than let a hostile file reach a
    decoder unchecked; the pixel limit is enforced from the header, before any decoding."""
    if len(data) > max_bytes:
        raise MediaTooLarge(
            f"{filename} is {len(data)} bytes; the limit is {max_bytes} bytes",
            filename=filename,
            limit=max_bytes,
        )
    fmt = _sniff(data, filename)
    _check_labels(fmt, filename, declared_type)
    try:
        image = Image.open(io.BytesIO(data), formats=[_PIL_FORMAT[fmt]])
        width, height = image.size
        if width * height > max_pixels:
            raise MediaTooLarge(
                f"{filename} is {width}x{height} pixels; the limit is {max_pixels} pixels",
                filename=filename,
                limit=max_pixels,
            )
        image.load()  # the first frame only, for animations
    except Image.DecompressionBombError as exc:  # Pillow's own, higher, limit
        raise MediaTooLarge(f"{filename} declares too many pixels", filename=filename) from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        raise Invalid(
            f"{filename} is a damaged or truncated {fmt.upper()} file and cannot be read",
            filename=filename,
        ) from exc
    info = image.info
    _apply_orientation(image)
    return InspectedImage(
        format=fmt,
        content_type=_CONTENT_TYPE[fmt],
        width=image.width,
        height=image.height,
        publishable=_publishable(image, fmt, info, lossless=data[12:16] == b"VP8L"),
        faces=count_faces(image),
    )


def _sniff(data: bytes, filename: str) -> str:
    if not data:
        raise Invalid(f"{filename} is empty", filename=filename)
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    found = _describe(data)
    raise Invalid(
        f"{filename} is not a supported image (found: {found}); upload JPEG, PNG, WebP or GIF",
        filename=filename,
        found=found,
    )


def _describe(data: bytes) -> str:
    """Name the content so that the person uploading it can tell what went wrong."""
    for signature, name in _OTHER_SIGNATURES:
        if data.startswith(signature):
            return name
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return "HEIC/AVIF image"
    head = data[:2048]
    try:  # an incremental decoder tolerates a character cut in half at the end of `head`
        text = codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        return "unrecognised binary data"
    if not all(char.isprintable() or char in "\t\n\r\f" for char in text):
        return "unrecognised binary data"
    lowered = text.lstrip("\ufeff \t\r\n").lower()
    if "<svg" in lowered:
        return "SVG image"
    if lowered.startswith(("<!doctype html", "<html", "<head", "<body", "<script")):
        return "HTML document"
    if lowered.startswith("#!"):
        return "script"
    return "text"


def _check_labels(fmt: str, filename: str, declared_type: str | None) -> None:
    """A missing extension or a generic type says nothing; any other label must match."""
    suffix = PurePath(filename).suffix.lower()
    if suffix and _EXTENSIONS.get(suffix) != fmt:
        _mislabelled(filename, f"the extension {suffix}", fmt)
    declared = (declared_type or "").split(";", 1)[0].strip().lower()
    if declared not in _NO_CLAIM and _DECLARED.get(declared) != fmt:
        _mislabelled(filename, f"the content type {declared}", fmt)


def _mislabelled(filename: str, label: str, fmt: str) -> None:
    raise Invalid(
        f"{filename} is labelled with {label} but its content is a {fmt.upper()} image; "
        "mislabelled files are refused, so rename or re-export it",
        filename=filename,
        found=_CONTENT_TYPE[fmt],
    )


def _apply_orientation(image: Image.Image) -> None:
    """Bake the EXIF orientation into the pixels, since the tag itself is about to be dropped
    (and a sideways face is invisible to the frontal-face detector). In place: no 12 MP copy."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:  # untrusted EXIF; Pillow's parser raises assorted types. Leave as stored.
        return


def _publishable(image: Image.Image, fmt: str, info: Mapping[Any, Any], *, lossless: bool) -> bytes:
    """Re-encode from pixels alone: EXIF/GPS, XMP, comments and text chunks are simply never
    written. Kept: the ICC profile (colour, not about anyone; dropping it turns wide-gamut
    phone photos dull) when it parses as one, and transparency. Animations become their first
    frame: it is the frame whose faces were counted, so nothing unchecked gets published."""
    image.info = {}  # Pillow copies some of these (comments, ICC) into a saved file by default
    options: dict[str, Any] = {}
    if "transparency" in info and fmt in ("png", "gif"):
        options["transparency"] = info["transparency"]
    if fmt != "gif" and (icc := _valid_icc(info.get("icc_profile"))):
        options["icc_profile"] = icc
    if fmt == "jpeg":
        options["quality"] = JPEG_QUALITY
    elif fmt == "webp":  # a lossless source (a simple VP8L file) stays lossless; method 0
        # is encoder effort, not quality: 2.5x faster than the default on 12 MP
        options.update(quality=JPEG_QUALITY, lossless=lossless, method=0)
    out = io.BytesIO()
    image.save(out, format=_PIL_FORMAT[fmt], **options)
    return out.getvalue()


def _valid_icc(icc: object) -> bytes | None:
    if not isinstance(icc, bytes) or not icc:
        return None
    try:
        ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except (OSError, ValueError, TypeError):
        return None
    return icc


def count_faces(image: Image.Image) -> int:
    """Count frontal faces on a copy no larger than FACE_LONG_SIDE: Haar's cost grows with the
    pixel count, and faces big enough to matter to the policy survive the downscale."""
    return detect_faces(_face_view(image))


def _face_view(image: Image.Image) -> NDArray[np.uint8]:
    # A reducing gap of 1 makes Pillow do nearly all the shrinking with `reduce`, an integer
    # box filter: ~6 ms for 12 MP, and its averaging calms the sensor noise that would keep
    # the cascade busy.
    if image.mode.startswith("I"):  # 16-bit grayscale PNG: Pillow's conversion clips at 255
        image = Image.fromarray((np.asarray(image) >> 8).astype(np.uint8))
    base = image if image.mode in ("L", "RGB") else image.convert("RGB")
    scale = FACE_LONG_SIDE / max(base.size)
    if scale < 1:
        size = (max(1, round(base.width * scale)), max(1, round(base.height * scale)))
        base = base.resize(size, Image.Resampling.BILINEAR, reducing_gap=1.0)
    gray: NDArray[np.uint8] = np.asarray(base.convert("L"))
    return gray


def detect_faces(gray: NDArray[np.uint8]) -> int:
    """Run the cascade on an already small grayscale image; separate so it can be timed."""
    equalized = cv2.equalizeHist(gray)
    # Tuned on 1-9 tiles of a real portrait at 11 scales and on noise: minNeighbors 7-12 counted
    # every face and nothing else in all 87 (6 finds a ghost, 14 loses faces); 8 leans to recall.
    side = max(24, min(gray.shape) // 25)  # a face under 1/25 of the frame is not a portrait
    with _cascade_lock:  # detectMultiScale mutates the classifier (opencv/opencv#4287)
        found = _cascade().detectMultiScale(
            equalized, scaleFactor=1.2, minNeighbors=8, minSize=(side, side)
        )
    return len(found)


_cascade_lock = threading.Lock()


@functools.cache
def _cascade() -> cv2.CascadeClassifier:
    path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(f"OpenCV face cascade missing or unreadable: {path}")
    return cascade
