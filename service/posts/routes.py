from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from service.accounts.deps import AccountsDecide, AccountsRead
from service.db import DbSession
from service.errors import Invalid
from service.openapi_links import post_links
from service.posts import media, review, routing, service, views
from service.posts.deps import PostsRead, PostsRemove, PostsReview, PostsWrite
from service.posts.models import PostCreate, PostPublic, PostUpdate, ReviewRequest, RevisionPublic
from service.posts.routing import ApprovalStepPublic, ApprovalStepsIn
from workflows.content_rules import Depicts
from workflows.post_lifecycle import PostAction, PostStatus

router = APIRouter(prefix="/api/v1/posts", tags=["posts"])
# Each account's approval route, applied to the posts that target it.
steps_router = APIRouter(prefix="/api/v1/accounts", tags=["posts"])


@router.post("", status_code=201, responses=post_links(201))
def create_post(data: PostCreate, user: PostsWrite, session: DbSession) -> PostPublic:
    return views.to_public(session, service.create_post(session, user, data))


@router.get("")
def list_posts(
    user: PostsRead, session: DbSession, status: PostStatus | None = None
) -> list[PostPublic]:
    return [views.to_public(session, p) for p in service.list_posts(session, user, status)]


@router.get("/{post_id}", responses=post_links(200))
def get_post(post_id: int, user: PostsRead, session: DbSession) -> PostPublic:
    return views.to_public(session, service.get_post(session, user, post_id))


@router.patch("/{post_id}")
def edit_post(post_id: int, data: PostUpdate, user: PostsWrite, session: DbSession) -> PostPublic:
    return views.to_public(session, service.edit_post(session, post_id, user, data))


def _student_ids(raw: str) -> list[int]:
    try:
        return [int(part) for part in raw.replace(",", " ").split()]
    except ValueError as error:
        raise Invalid("student_ids must be whole numbers separated by commas.") from error


@router.post("/{post_id}/media")
def attach_media(
    post_id: int,
    user: PostsWrite,
    session: DbSession,
    file: Annotated[UploadFile, File()],
    depicts: Annotated[Depicts, Form()],
    student_ids: Annotated[str, Form()] = "",
) -> PostPublic:
    post = media.attach_upload(
        session,
        post_id,
        user,
        file.file,
        filename=file.filename,
        declared_type=file.content_type,
        depicts=depicts,
        student_ids=_student_ids(student_ids),
    )
    return views.to_public(session, post)


@router.get("/{post_id}/media/{media_id}")
def media_file(post_id: int, media_id: int, user: PostsRead, session: DbSession) -> Response:
    data, content_type = media.media_file(
        session, service.get_post(session, user, post_id), media_id
    )
    return Response(data, media_type=content_type)


@router.get("/{post_id}/revisions")
def revisions(post_id: int, user: PostsRead, session: DbSession) -> list[RevisionPublic]:
    return views.revisions(session, service.get_post(session, user, post_id))


@router.get("/{post_id}/diff")
def diff(
    post_id: int,
    user: PostsRead,
    session: DbSession,
    old: Annotated[int, Query(alias="from", ge=1)],
    new: Annotated[int, Query(alias="to", ge=1)],
) -> dict[str, str]:
    return {"diff": views.text_diff(session, service.get_post(session, user, post_id), old, new)}


@router.post("/{post_id}/submit", responses=post_links(200))
def submit(post_id: int, user: PostsWrite, session: DbSession) -> PostPublic:
    return views.to_public(session, review.submit(session, post_id, user))


@router.post("/{post_id}/remove")
def remove(post_id: int, user: PostsRemove, session: DbSession, data: ReviewRequest) -> PostPublic:
    return views.to_public(session, review.remove(session, post_id, user, data.comment))


@router.post("/{post_id}/withdraw")
def withdraw(post_id: int, user: PostsWrite, session: DbSession) -> PostPublic:
    return views.to_public(session, review.withdraw(session, post_id, user))


def _review(
    session: DbSession, post_id: int, user: PostsReview, action: PostAction, data: ReviewRequest
) -> PostPublic:
    post = review.review(
        session, post_id, user, action, revision_id=data.revision_id, comment=data.comment
    )
    return views.to_public(session, post)


@router.post("/{post_id}/approve")
def approve(
    post_id: int, user: PostsReview, session: DbSession, data: ReviewRequest | None = None
) -> PostPublic:
    return _review(session, post_id, user, PostAction.approve, data or ReviewRequest())


@router.post("/{post_id}/request-changes")
def request_changes(
    post_id: int, user: PostsReview, session: DbSession, data: ReviewRequest | None = None
) -> PostPublic:
    return _review(session, post_id, user, PostAction.request_changes, data or ReviewRequest())


@router.post("/{post_id}/reject")
def reject(
    post_id: int, user: PostsReview, session: DbSession, data: ReviewRequest | None = None
) -> PostPublic:
    return _review(session, post_id, user, PostAction.reject, data or ReviewRequest())


@steps_router.get("/{account_id}/approval-steps")
def approval_steps(
    account_id: int, _: AccountsRead, session: DbSession
) -> list[ApprovalStepPublic]:
    return routing.to_public(session, routing.get_steps(session, account_id))


@steps_router.put("/{account_id}/approval-steps")
def replace_approval_steps(
    account_id: int, data: ApprovalStepsIn, user: AccountsDecide, session: DbSession
) -> list[ApprovalStepPublic]:
    steps = routing.replace_steps(session, account_id, data.steps, user)
    return routing.to_public(session, steps)
