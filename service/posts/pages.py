"""Web pages of the posts domain (see service/web for the layout, CSRF and errors).

The composer, the post page with its edit, upload, submit and withdraw forms, and the review
queue and page. Every action goes through the same service functions as the JSON API.
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.db import DbSession
from service.errors import Invalid
from service.posts import compose, media, review, service
from service.posts.deps import PostsRead, PostsReview, PostsWrite
from service.posts.models import PostCreate, PostUpdate
from service.users.models import CONTRIBUTORS
from service.web.templating import flash, render
from workflows import post_lifecycle as lifecycle
from workflows.content_rules import Depicts
from workflows.post_lifecycle import PostAction, PostStatus

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=10_000)]
AccountIds = Annotated[list[int] | None, Form()]
Schedule = Annotated[str, Form(max_length=40)]
Comment = Annotated[str, Form(max_length=4000)]


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _schedule(raw: str) -> datetime | None:
    """A datetime-local value ("2026-09-01T09:30") read as UTC; empty means no schedule."""
    if not raw.strip():
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError as error:
        raise Invalid(
            "Give the schedule time as a date and time, e.g. 2026-09-01T09:30."
        ) from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _status(raw: str) -> PostStatus | None:
    if not raw:
        return None
    try:
        return PostStatus(raw)
    except ValueError as error:
        raise Invalid(f"There is no post status {raw!r}.") from error


# --- my posts and the composer ---------------------------------------------------------------


@router.get("/posts", response_class=HTMLResponse)
def posts_page(
    request: Request,
    user: PostsRead,
    session: DbSession,
    status: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    chosen = _status(status)
    return render(
        request,
        "posts/list.html",
        user,
        title="Posts",
        posts=compose.my_posts(session, user, chosen),
        status=chosen,
        statuses=list(PostStatus),
        can_write=user.role in CONTRIBUTORS,
    )


@router.get("/posts/new", response_class=HTMLResponse)
def composer_page(request: Request, user: PostsWrite, session: DbSession) -> Response:
    return render(
        request,
        "posts/new.html",
        user,
        title="New post",
        accounts=compose.postable_accounts(session, user),
    )


@router.post("/posts")
def create_post(
    user: PostsWrite,
    session: DbSession,
    request: Request,
    text: Text = "",
    account_ids: AccountIds = None,
    publish_at: Schedule = "",
) -> Response:
    data = PostCreate(account_ids=account_ids or [], text=text, publish_at=_schedule(publish_at))
    post = service.create_post(session, user, data)
    flash(request, f"Draft #{post.id} saved. Check the rule results, then submit it for review.")
    return _redirect(f"/posts/{post.id}")


@router.post("/posts/check", response_class=HTMLResponse)
def check_page(
    request: Request,
    user: PostsWrite,
    session: DbSession,
    text: Text = "",
    account_ids: AccountIds = None,
    post_id: Annotated[int | None, Form()] = None,
) -> Response:
    """The rule results and previews for what is typed: a fragment for htmx, else a page."""
    checked = compose.check_draft(
        session, user, text=text, account_ids=account_ids or [], post_id=post_id
    )
    fragment = request.headers.get("hx-request") == "true"
    template = "posts/_check.html" if fragment else "posts/check.html"
    return render(request, template, user, title="Rule check", checked=checked)


# --- one post ------------------------------------------------------------------------------


@router.get("/posts/{post_id}", response_class=HTMLResponse)
def post_page(request: Request, post_id: int, user: PostsRead, session: DbSession) -> Response:
    page = compose.post_page(session, user, post_id)
    return render(
        request,
        "posts/detail.html",
        user,
        title=f"Post #{post_id}",
        page=page,
        post=page.post,
        is_author=page.mine,
        editable=page.post.status in lifecycle.EDITABLE,
        submittable=page.post.status in lifecycle.SUBMITTABLE,
        withdrawable=page.post.status in lifecycle.WITHDRAWABLE,
        can_review=user.role.value in lifecycle.REVIEWERS,
        depicts=list(Depicts),
    )


@router.post("/posts/{post_id}/edit")
def edit_post(
    request: Request,
    post_id: int,
    user: PostsWrite,
    session: DbSession,
    text: Text = "",
    account_ids: AccountIds = None,
    publish_at: Schedule = "",
) -> Response:
    data = PostUpdate(account_ids=account_ids or [], text=text, publish_at=_schedule(publish_at))
    post = service.edit_post(session, post_id, user, data)
    flash(request, f"Post #{post_id} saved; it is {post.status.replace('_', ' ')}.")
    return _redirect(f"/posts/{post_id}")


@router.post("/posts/{post_id}/media")
def attach_media(
    request: Request,
    post_id: int,
    user: PostsWrite,
    session: DbSession,
    file: Annotated[UploadFile, File()],
    depicts: Annotated[Depicts, Form()],
    student_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    media.attach_upload(
        session,
        post_id,
        user,
        file.file,
        filename=file.filename,
        declared_type=file.content_type,
        depicts=depicts,
        student_ids=student_ids or [],
    )
    flash(request, f"{file.filename or 'The image'} is attached; the rules were checked again.")
    return _redirect(f"/posts/{post_id}")


@router.post("/posts/{post_id}/recheck")
def recheck(request: Request, post_id: int, user: PostsWrite, session: DbSession) -> Response:
    compose.recheck(session, post_id, user)
    flash(request, "The rules were checked again.")
    return _redirect(f"/posts/{post_id}")


@router.post("/posts/{post_id}/submit")
def submit(request: Request, post_id: int, user: PostsWrite, session: DbSession) -> Response:
    review.submit(session, post_id, user)
    flash(request, f"Post #{post_id} is submitted for review.")
    return _redirect(f"/posts/{post_id}")


@router.post("/posts/{post_id}/withdraw")
def withdraw(request: Request, post_id: int, user: PostsWrite, session: DbSession) -> Response:
    review.withdraw(session, post_id, user)
    flash(request, f"Post #{post_id} is withdrawn.")
    return _redirect(f"/posts/{post_id}")


# --- review ------------------------------------------------------------------------------


@router.get("/review", response_class=HTMLResponse)
def review_queue_page(request: Request, user: PostsReview, session: DbSession) -> Response:
    return render(
        request,
        "posts/review_list.html",
        user,
        title="Review",
        posts=compose.review_queue(session, user),
    )


@router.get("/review/{post_id}", response_class=HTMLResponse)
def review_page(request: Request, post_id: int, user: PostsReview, session: DbSession) -> Response:
    page = compose.review_page(session, user, post_id)
    return render(
        request,
        "posts/review.html",
        user,
        title=f"Review post #{post_id}",
        page=page,
        post=page.post,
        can_decide=page.post.status is PostStatus.submitted and not page.mine,
    )


DECIDED = {
    PostAction.approve: "approved",
    PostAction.request_changes: "sent back for changes",
    PostAction.reject: "rejected",
}


def _decide(
    request: Request,
    session: DbSession,
    user: PostsReview,
    post_id: int,
    action: PostAction,
    revision_id: int,
    comment: str,
) -> Response:
    post = review.review(session, post_id, user, action, revision_id=revision_id, comment=comment)
    flash(
        request,
        f"You {DECIDED[action]} post #{post_id}; it is now {post.status.replace('_', ' ')}.",
    )
    return _redirect("/review")


RevisionSeen = Annotated[int, Form()]


@router.post("/review/{post_id}/approve")
def approve(
    request: Request,
    post_id: int,
    user: PostsReview,
    session: DbSession,
    revision_id: RevisionSeen,
    comment: Comment = "",
) -> Response:
    return _decide(request, session, user, post_id, PostAction.approve, revision_id, comment)


@router.post("/review/{post_id}/request-changes")
def request_changes(
    request: Request,
    post_id: int,
    user: PostsReview,
    session: DbSession,
    revision_id: RevisionSeen,
    comment: Comment = "",
) -> Response:
    return _decide(
        request, session, user, post_id, PostAction.request_changes, revision_id, comment
    )


@router.post("/review/{post_id}/reject")
def reject(
    request: Request,
    post_id: int,
    user: PostsReview,
    session: DbSession,
    revision_id: RevisionSeen,
    comment: Comment = "",
) -> Response:
    return _decide(request, session, user, post_id, PostAction.reject, revision_id, comment)
