"""Hostile multipart uploads, generated: any bytes under any file name and declared type.

Whatever arrives, a post's media upload either stores a sniffed image under a name made of
its own hash (never of the client's file name or path), or is refused with a 4xx that
leaves the post, its media, the audit trail and the media folder exactly as they were.
"""

import hashlib
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from service.posts.models import PostMedia
from service.settings import Settings
from tests.conftest import MULTIPART_TYPE, Person, raw_multipart
from tests.posts.conftest import Newsroom, draft_post
from tests.posts.test_media_api import HTML, SVG, small_png, snapshot

IMAGE_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
}
CONTENTS = st.sampled_from([small_png(), SVG, HTML, b"", b"\x89PNG\r\n\x1a\n"]) | st.binary(
    max_size=512
)
# Path tricks, control characters, very long names, right-to-left overrides, emoji.
FILENAMES = st.sampled_from(
    [
        "../../etc/passwd",
        "..\\..\\boot.ini",
        "/etc/shadow",
        "photo.jpg\x00.svg",
        "photo\r\nContent-Type: text/html.jpg",
        "\u202egpj.exe",
        "x" * 5000 + ".png",
        "\U0001f600.png",
        "",
    ]
) | st.text(max_size=300)
TYPES = st.sampled_from(["image/png", "image/svg+xml", "text/html", "", "image/jpeg\r\nX: 1"])
TYPES |= st.text(max_size=80)


def upload(
    app: TestClient, post_id: int, person: Person, filename: str, content_type: str, content: bytes
) -> Response:
    return app.post(
        f"/api/v1/posts/{post_id}/media",
        content=raw_multipart({"depicts": "none"}, filename, content_type, content),
        headers={**person.headers, "content-type": MULTIPART_TYPE},
    )


def assert_stored_by_hash(media_dir: Path, item: PostMedia) -> None:
    """The stored name is the content's hash and the sniffed format's suffix: nothing of the
    client's file name, and inside the media folder."""
    stored = (media_dir / item.path).resolve()
    assert stored.is_relative_to(media_dir.resolve())
    assert (
        stored.name
        == hashlib.sha256(stored.read_bytes()).hexdigest() + IMAGE_TYPES[item.content_type]
    )


@pytest.fixture
def post(app: TestClient, newsroom: Newsroom) -> Callable[[], dict[str, Any]]:
    """A fresh draft per example: examples share one test's database."""
    return lambda: draft_post(app, newsroom.author, newsroom.account_id, "Open day.")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # storage, not SQL, is at stake
@settings(
    max_examples=30,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(content=CONTENTS, filename=FILENAMES, content_type=TYPES)
@example(content=SVG, filename="logo.png", content_type="image/png")
@example(content=small_png(), filename="../../../x.svg", content_type="image/svg+xml")
def test_any_upload_is_stored_by_its_hash_or_refused_leaving_nothing(
    app: TestClient,
    newsroom: Newsroom,
    session: Session,
    settings: Settings,
    post: Callable[[], dict[str, Any]],
    content: bytes,
    filename: str,
    content_type: str,
) -> None:
    post_id = post()["id"]
    before = snapshot(app, newsroom, session, settings, post_id)

    response = upload(app, post_id, newsroom.author, filename, content_type, content)

    assert response.status_code == 200 or 400 <= response.status_code < 500, response.text
    if response.status_code != 200:
        assert response.json()["error"]["message"]
        assert snapshot(app, newsroom, session, settings, post_id) == before
        return
    (item,) = session.exec(select(PostMedia).where(PostMedia.post_id == post_id)).all()
    assert item.content_type in IMAGE_TYPES
    assert_stored_by_hash(settings.media_dir, item)
    assert_fit_to_show(item.filename)


def assert_fit_to_show(filename: str) -> None:
    """The client's name, kept only to show: one path segment, no control or format characters."""
    assert filename and len(filename) <= 255
    assert "/" not in filename and "\\" not in filename
    assert not any(unicodedata.category(c) in {"Cc", "Cf", "Cs"} for c in filename)


@pytest.mark.parametrize(
    ("filename", "shown"),
    [
        ("a\x00b.png", "ab.png"),  # PostgreSQL refuses NUL: refused after the file was written
        ("../../etc/x.png", "x.png"),
        ("..\\..\\boot.png", "boot.png"),
        ("photo\t\x7f.png", "photo.png"),
        ("\u202egnp.png", "gnp.png"),
        ("/", "upload"),
    ],
)
def test_a_hostile_file_name_is_only_shown_cleaned_and_the_image_is_kept(
    app: TestClient,
    newsroom: Newsroom,
    session: Session,
    settings: Settings,
    post: Callable[[], dict[str, Any]],
    filename: str,
    shown: str,
) -> None:
    post_id = post()["id"]

    response = upload(app, post_id, newsroom.author, filename, "image/png", small_png())

    assert response.status_code == 200, response.text
    (item,) = session.exec(select(PostMedia).where(PostMedia.post_id == post_id)).all()
    assert item.filename == shown
    assert_stored_by_hash(settings.media_dir, item)
