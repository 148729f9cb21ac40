"""Attaching an image to a post: inspected by content, stripped of metadata, faces counted."""

from typing import BinaryIO

from sqlmodel import Session, col, select

from service import clock, media
from service.consent import service as consent
from service.consent.models import Student
from service.errors import Invalid, NotFound
from service.imaging import inspect_image
from service.posts.models import Post, PostMedia, PostUpdate
from service.posts.service import decide_action, edit_post, get_post
from service.settings import get_settings
from service.users.models import User
from workflows.content_rules import Depicts
from workflows.post_lifecycle import PostAction, PostStatus

SUFFIXES = {"jpeg": ".jpg", "png": ".png", "webp": ".webp", "gif": ".gif"}


def _check_students(session: Session, author: User, student_ids: list[int]) -> None:
    """The students must be on the roster the author sees: another site's student is as
    unknown to a confined site administrator as one who does not exist."""
    query = select(Student.id).where(col(Student.id).in_(student_ids))
    if (site := consent.site_scope(author)) is not None:
        query = query.where(Student.site == site)
    found = set(session.exec(query).all())
    missing = sorted(set(student_ids) - found)
    if missing:
        raise Invalid(f"No student with id {', '.join(map(str, missing))} on the roster.")


def attach_upload(
    session: Session,
    post_id: int,
    author: User,
    upload: BinaryIO,
    *,
    filename: str | None,
    declared_type: str | None,
    depicts: Depicts,
    student_ids: list[int],
) -> Post:
    """`attach_media` for an uploaded file: one byte past the limit is enough to refuse an
    oversized file without reading all of it."""
    return attach_media(
        session,
        post_id,
        author,
        data=upload.read(get_settings().max_upload_bytes + 1),
        filename=media.client_filename(filename),
        declared_type=declared_type,
        depicts=depicts,
        student_ids=student_ids,
    )


def attach_media(
    session: Session,
    post_id: int,
    author: User,
    *,
    data: bytes,
    filename: str,
    declared_type: str | None,
    depicts: Depicts,
    student_ids: list[int],
) -> Post:
    # Refuse a caller who may not edit the post before decoding or storing anything they sent.
    decide_action(session, get_post(session, author, post_id), PostAction.edit, author)
    _check_students(session, author, student_ids)
    image = inspect_image(
        data,
        filename=filename,
        declared_type=declared_type,
        max_bytes=get_settings().max_upload_bytes,
    )
    stored = media.store_bytes(image.publishable, folder="posts", suffix=SUFFIXES[image.format])
    item = PostMedia(
        post_id=post_id,
        filename=filename[:255],
        content_type=image.content_type,
        sha256=stored.sha256,
        path=stored.path,
        width=image.width,
        height=image.height,
        faces=image.faces,
        depicts=depicts,
        student_ids=list(dict.fromkeys(student_ids)),
        created_at=clock.now(),
    )
    return edit_post(session, post_id, author, PostUpdate(), media=item)


def media_file(session: Session, post: Post, media_id: int) -> tuple[bytes, str]:
    item = session.get(PostMedia, media_id)
    if item is None or item.post_id != post.id:
        raise NotFound(f"No media {media_id} on post {post.id}.")
    return media.read_stored(item.path), item.content_type


PUBLIC_STATES = (PostStatus.approved, PostStatus.scheduled, PostStatus.published)


def public_media_file(session: Session, name: str) -> tuple[bytes, str]:
    """An approved post's image, for platforms that fetch media by URL (Instagram).

    Named by its SHA-256, so it cannot be guessed; drafts and posts under review are never
    served, and the stored copy has no metadata.
    """
    item = session.exec(
        select(PostMedia)
        .join(Post, col(Post.id) == PostMedia.post_id)
        .where(PostMedia.path == f"posts/{name}", col(Post.status).in_(PUBLIC_STATES))
    ).first()
    if item is None:
        raise NotFound("No such published image.")
    return media.read_stored(item.path), item.content_type


def public_media_url(item: PostMedia) -> str:
    return f"{get_settings().base_url}/media/{item.path}"
