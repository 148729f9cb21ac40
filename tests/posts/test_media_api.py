"""Uploading a post's image through the API: the bytes decide what it is, the published copy
carries no metadata, and every refusal is a clear 4xx that saves nothing at all."""

import hashlib
import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import ExifTags, Image
from sqlmodel import Session, col, select

from service.posts.media import public_media_url
from service.posts.models import PostMedia
from service.settings import Settings, get_settings
from service.users.models import Role
from tests.conftest import Person
from tests.posts.conftest import Newsroom, draft_post

# --- files, good and bad ---


def photo_with_gps() -> bytes:
    """A phone photo: EXIF with camera, orientation (rotate 90°) and GPS, plus a comment."""
    pixels = np.zeros((80, 120, 3), dtype=np.uint8)
    pixels[..., 0] = np.arange(120, dtype=np.uint8)[None, :] * 2
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (40.0, 26.0, 46.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (79.0, 58.0, 56.0)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", exif=exif, comment=b"home address")
    return buffer.getvalue()


def small_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def png(width: int, height: int, pixel_data: bytes) -> bytes:
    """A PNG built by hand, so its header can declare anything (1-bit grayscale)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixel_data)
        + chunk(b"IEND", b"")
    )


def decompression_bomb() -> bytes:
    """A valid 8000x8000 black PNG: 64 megapixels in about 8 KB."""
    row = b"\x00" * (1 + 8000 // 8)  # filter byte + 1 bit per pixel
    return png(8000, 8000, zlib.compress(row * 8000, 9))


def declared_bomb() -> bytes:
    """A tiny PNG whose header claims 10 gigapixels (past even Pillow's own bomb limit)."""
    return png(100_000, 100_000, zlib.compress(b"\x00" * 64))


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


# --- what the store and the post look like ---


def stored_files(settings: Settings) -> set[str]:
    root = settings.media_dir / "posts"
    return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@dataclass(frozen=True)
class Snapshot:
    """Everything a refused upload could have left behind."""

    post: tuple[object, ...]
    revisions: int
    media_rows: list[int]
    audit_ids: list[int]
    files: set[str]


def snapshot(
    app: TestClient, newsroom: Newsroom, session: Session, settings: Settings, post_id: int
) -> Snapshot:
    post = app.get(f"/api/v1/posts/{post_id}", headers=newsroom.author.headers).json()
    revisions = app.get(f"/api/v1/posts/{post_id}/revisions", headers=newsroom.author.headers)
    audit = app.get(
        "/api/v1/audit",
        params={"subject_type": "post", "subject_id": str(post_id)},
        headers=newsroom.superintendent.headers,
    )
    rows = session.exec(select(PostMedia.id).where(PostMedia.post_id == post_id)).all()
    return Snapshot(
        post=(
            post["status"],
            post["version"],
            post["revision"],
            post["revision_id"],
            [m["id"] for m in post["media"]],
        ),
        revisions=len(revisions.json()),
        media_rows=sorted(r for r in rows if r is not None),
        audit_ids=[e["id"] for e in audit.json()],
        files=stored_files(settings),
    )


def upload(
    app: TestClient,
    post_id: int,
    person: Person | None,
    content: bytes,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
    **form: str,
) -> Any:
    return app.post(
        f"/api/v1/posts/{post_id}/media",
        files={"file": (filename, content, content_type)},
        data={"depicts": "none", **form},
        headers=person.headers if person else {},
    )


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] and error["message"]
    return error


@pytest.fixture
def submitted_post(app: TestClient, newsroom: Newsroom, landscape: bytes) -> dict[str, Any]:
    """In review, with one photo: a successful upload would make revision 2."""
    post = draft_post(app, newsroom.author, newsroom.account_id, "Our new welding bay.")
    assert upload(app, post["id"], newsroom.author, landscape).status_code == 200
    submitted = app.post(f"/api/v1/posts/{post['id']}/submit", headers=newsroom.author.headers)
    assert submitted.status_code == 200, submitted.text
    body: dict[str, Any] = submitted.json()
    assert (body["status"], body["revision"], len(body["media"])) == ("submitted", 1, 1)
    return body


# --- the round trip ---


def test_the_published_copy_has_no_exif_or_gps_and_is_stored_by_its_hash(
    app: TestClient, newsroom: Newsroom, settings: Settings, session: Session
) -> None:
    original = photo_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    post = draft_post(app, newsroom.author, newsroom.account_id, "The view from the roof.")

    attached = upload(app, post["id"], newsroom.author, original, filename="IMG_0001.JPG")
    assert attached.status_code == 200, attached.text
    (item,) = attached.json()["media"]
    assert (item["content_type"], item["filename"]) == ("image/jpeg", "IMG_0001.JPG")
    assert (item["width"], item["height"]) == (80, 120)  # the orientation is baked in

    served = app.get(
        f"/api/v1/posts/{post['id']}/media/{item['id']}", headers=newsroom.author.headers
    )
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    published = Image.open(io.BytesIO(served.content))
    assert published.format == "JPEG"
    assert dict(published.getexif()) == {}
    assert dict(published.getexif().get_ifd(ExifTags.IFD.GPSInfo)) == {}
    assert "exif" not in published.info and "comment" not in published.info
    assert b"PhoneCo" not in served.content and b"home address" not in served.content

    digest = hashlib.sha256(served.content).hexdigest()
    stored = settings.media_dir / "posts" / f"{digest}.jpg"
    assert stored.read_bytes() == served.content
    assert dict(Image.open(stored).getexif()) == {}
    assert stored_files(settings) == {stored.name}  # the original itself is never kept
    assert hashlib.sha256(original).hexdigest() not in {p.stem for p in stored.parent.iterdir()}
    row = session.get(PostMedia, item["id"])
    assert row is not None and (row.sha256, row.path) == (digest, f"posts/{stored.name}")

    # Content-addressed: the same photo on another post is the same file, stored once.
    other = draft_post(app, newsroom.author, newsroom.account_id, "Same view, another post.")
    assert upload(app, other["id"], newsroom.author, original).status_code == 200
    assert stored_files(settings) == {stored.name}
    paths = session.exec(select(PostMedia.path).where(col(PostMedia.sha256) == digest)).all()
    assert paths == [f"posts/{stored.name}"] * 2


# --- refusals: a clear 4xx, and nothing saved ---

BAD_UPLOADS = {
    "png bytes labelled jpeg": (small_png(), "photo.jpg", "image/jpeg", 422, "mislabelled"),
    "png extension, jpeg type": (small_png(), "photo.png", "image/jpeg", 422, "mislabelled"),
    "svg": (SVG, "logo.svg", "image/svg+xml", 422, "SVG image"),
    "svg dressed as png": (SVG, "logo.png", "image/png", 422, "SVG image"),
    "html": (HTML, "page.html", "text/html", 422, "HTML document"),
    "pdf": (b"%PDF-1.4\n%%EOF\n", "scan.jpg", "image/jpeg", 422, "PDF document"),
    "empty": (b"", "photo.jpg", "image/jpeg", 422, "empty"),
    "truncated jpeg": (photo_with_gps()[:300], "photo.jpg", "image/jpeg", 422, "truncated"),
    "decompression bomb": (decompression_bomb(), "bomb.png", "image/png", 413, "pixels"),
    "declared 10 gigapixels": (declared_bomb(), "huge.png", "image/png", 413, "pixels"),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_a_bad_file_is_refused_and_nothing_is_saved(
    app: TestClient,
    newsroom: Newsroom,
    submitted_post: dict[str, Any],
    session: Session,
    settings: Settings,
    case: str,
) -> None:
    content, filename, content_type, status, says = BAD_UPLOADS[case]
    before = snapshot(app, newsroom, session, settings, submitted_post["id"])

    response = upload(app, submitted_post["id"], newsroom.author, content, filename, content_type)

    error = assert_error(response, status)
    assert says in error["message"]
    assert filename in error["message"]
    assert snapshot(app, newsroom, session, settings, submitted_post["id"]) == before


def test_a_file_over_the_upload_limit_is_refused(
    app: TestClient,
    newsroom: Newsroom,
    submitted_post: dict[str, Any],
    session: Session,
    settings: Settings,
    landscape: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IMPRIMATUR_MAX_UPLOAD_BYTES", "2048")
    get_settings.cache_clear()
    assert len(landscape) > 2048
    before = snapshot(app, newsroom, session, settings, submitted_post["id"])

    response = upload(app, submitted_post["id"], newsroom.author, landscape)

    assert "2048 bytes" in assert_error(response, 413)["message"]
    assert snapshot(app, newsroom, session, settings, submitted_post["id"]) == before


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"depicts": "selfie"}, "depicts"),
        ({"student_ids": "999999"}, "on the roster"),
        ({"student_ids": "one, two"}, "whole numbers"),
    ],
)
def test_bad_form_fields_are_refused_and_nothing_is_saved(
    app: TestClient,
    newsroom: Newsroom,
    submitted_post: dict[str, Any],
    session: Session,
    settings: Settings,
    landscape: bytes,
    form: dict[str, str],
    says: str,
) -> None:
    before = snapshot(app, newsroom, session, settings, submitted_post["id"])

    response = upload(app, submitted_post["id"], newsroom.author, landscape, **form)

    error = assert_error(response, 422)
    assert says in str(error)
    assert snapshot(app, newsroom, session, settings, submitted_post["id"]) == before


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("a colleague", 404),  # someone else's post: not theirs to see
        ("the designee", 403),  # sees the post under review, but only its author edits it
        ("the auditor", 403),
        ("nobody", 401),
    ],
)
def test_only_the_author_attaches_media(
    app: TestClient,
    newsroom: Newsroom,
    make_person: Callable[..., Person],
    submitted_post: dict[str, Any],
    session: Session,
    settings: Settings,
    portrait: bytes,
    who: str,
    status: int,
) -> None:
    person: Person | None = None
    if who == "a colleague":
        person = make_person(Role.staff)
    elif who == "the designee":
        person = newsroom.designee
    elif who == "the auditor":
        person = make_person(Role.auditor)
    before = snapshot(app, newsroom, session, settings, submitted_post["id"])

    response = upload(app, submitted_post["id"], person, portrait)  # not yet in the store

    assert_error(response, status)
    assert snapshot(app, newsroom, session, settings, submitted_post["id"]) == before


def test_an_unknown_post_is_404_and_nothing_is_stored(
    app: TestClient, newsroom: Newsroom, settings: Settings, landscape: bytes
) -> None:
    response = upload(app, 987654, newsroom.author, landscape)
    assert_error(response, 404)
    assert stored_files(settings) == set()


def test_media_is_served_only_to_those_who_see_the_post(
    app: TestClient,
    newsroom: Newsroom,
    make_person: Callable[..., Person],
    submitted_post: dict[str, Any],
) -> None:
    post_id = submitted_post["id"]
    media_id = submitted_post["media"][0]["id"]
    url = f"/api/v1/posts/{post_id}/media/{media_id}"
    for reader in (newsroom.author, newsroom.designee, make_person(Role.auditor)):
        assert app.get(url, headers=reader.headers).status_code == 200
    assert_error(app.get(url, headers=make_person(Role.staff).headers), 404)
    assert_error(app.get(url), 401)
    other = draft_post(app, newsroom.author, newsroom.account_id, "Another post.")
    wrong_post = f"/api/v1/posts/{other['id']}/media/{media_id}"
    assert_error(app.get(wrong_post, headers=newsroom.author.headers), 404)
    missing = f"/api/v1/posts/{post_id}/media/987654"
    assert_error(app.get(missing, headers=newsroom.author.headers), 404)


def test_stored_media_paths_stay_inside_the_media_dir(
    app: TestClient, newsroom: Newsroom, settings: Settings, landscape: bytes
) -> None:
    post = draft_post(app, newsroom.author, newsroom.account_id, "A filename with a path.")
    attached = upload(app, post["id"], newsroom.author, landscape, filename="../../etc/x.jpg")
    assert attached.status_code == 200, attached.text
    (stored,) = (settings.media_dir / "posts").iterdir()
    assert stored.resolve().is_relative_to(Path(settings.media_dir).resolve())
    assert stored.name == f"{hashlib.sha256(stored.read_bytes()).hexdigest()}.jpg"


def test_a_post_past_review_takes_no_media_and_stores_nothing(
    app: TestClient,
    newsroom: Newsroom,
    submitted_post: dict[str, Any],
    session: Session,
    settings: Settings,
    portrait: bytes,
) -> None:
    rejected = app.post(
        f"/api/v1/posts/{submitted_post['id']}/reject",
        json={"comment": "Not for this account."},
        headers=newsroom.designee.headers,
    )
    assert rejected.status_code == 200, rejected.text
    before = snapshot(app, newsroom, session, settings, submitted_post["id"])

    response = upload(app, submitted_post["id"], newsroom.author, portrait)

    assert "rejected" in assert_error(response, 409)["message"]
    assert snapshot(app, newsroom, session, settings, submitted_post["id"]) == before


def test_only_approved_images_are_served_publicly_for_platforms_that_fetch_urls(
    app: TestClient, newsroom: Newsroom, landscape: bytes, session: Session
) -> None:
    post = app.post(
        "/api/v1/posts",
        json={"account_ids": [newsroom.account_id], "text": "New welding bay."},
        headers=newsroom.author.headers,
    ).json()
    app.post(
        f"/api/v1/posts/{post['id']}/media",
        files={"file": ("bay.jpg", landscape, "image/jpeg")},
        data={"depicts": "none"},
        headers=newsroom.author.headers,
    )
    item = session.exec(select(PostMedia).where(PostMedia.post_id == post["id"])).one()
    url = public_media_url(item)
    path = url.removeprefix(get_settings().base_url)
    assert app.get(path).status_code == 404  # a draft's image is nobody's business
    app.post(f"/api/v1/posts/{post['id']}/submit", headers=newsroom.author.headers)
    assert app.get(path).status_code == 404
    app.post(f"/api/v1/posts/{post['id']}/approve", headers=newsroom.designee.headers)
    served = app.get(path)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert hashlib.sha256(served.content).hexdigest() == item.sha256
    assert app.get("/media/posts/../../etc/passwd").status_code in {404, 422}
