"""Who hears about a post, and what they are told."""

from sqlmodel import Session, col, select

from service.notifications.service import queue_mail
from service.posts import checks
from service.posts.models import Post, PostRevision
from service.settings import get_settings
from service.users.models import Role, User


def post_link(post: Post) -> str:
    return f"{get_settings().base_url}/review/{post.id}"


def _reviewers(session: Session, revision: PostRevision, author: User) -> list[str]:
    """Designees and the superintendent always; site administrators when a rule asks for them.
    Never the author: nobody reviews their own post."""
    roles = [Role.superintendent, Role.designee]
    if any(r.needed_role == Role.site_admin for r in checks.stored_results(revision)):
        roles.append(Role.site_admin)
    reviewers = session.exec(
        select(User.email).where(
            col(User.role).in_(roles), col(User.active).is_(True), User.id != author.id
        )
    ).all()
    return list(reviewers)


def tell_reviewers(session: Session, post: Post, revision: PostRevision, author: User) -> None:
    """A revision entered review: on submit, and again whenever an edit sends it back."""
    needs = sorted({r.needed_role or "" for r in checks.stored_results(revision)} - {""})
    queue_mail(
        session,
        _reviewers(session, revision, author),
        f"Post #{post.id} awaits review",
        f"{author.name or author.email} submitted post #{post.id} (revision {revision.number}).\n"
        f"Approvals needed: {', '.join(needs)}.\n\n{revision.text}\n\nReview: {post_link(post)}\n",
    )
