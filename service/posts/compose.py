"""What the posts pages show beyond the API's answers: the composer's choices, a rule check of
unsaved text, the review queue and the reviewer's diff.

Every decision still comes from the same places as the API's: the content rules through
`checks.submission_for`, the lifecycle through `service.decide_action`, visibility through
`service.get_post` / `service.list_posts`.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from service import clock
from service.accounts.models import Account, AccountSteward
from service.consent import service as consent
from service.consent import validity as consent_validity
from service.consent.models import Student
from service.posts import checks, views
from service.posts.models import Post, PostPublic, PostRevision, RevisionPublic
from service.posts.service import current_revision, decide_action, get_post, list_posts
from service.users.models import User
from workflows.account_lifecycle import AccountStatus
from workflows.content_rules import RuleResult, check_submission
from workflows.post_lifecycle import PostAction, PostStatus


@dataclass(frozen=True)
class Preview:
    """How the text goes out on one target account."""

    account: Account
    text: str

    @property
    def characters(self) -> int:
        return len(self.text)


@dataclass(frozen=True)
class DraftCheck:
    results: list[RuleResult]
    previews: list[Preview]


@dataclass(frozen=True)
class PostPage:
    post: PostPublic
    revisions: list[RevisionPublic]
    targets: list[Account]
    student_names: dict[int, str]
    mine: bool  # the caller wrote it
    # Only for the author: what the edit and upload forms offer.
    accounts: list[Account] = field(default_factory=list)
    consented_students: list[Student] = field(default_factory=list)


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed" or "context"
    text: str


@dataclass(frozen=True)
class ReviewPage:
    post: PostPublic
    targets: list[Account]
    student_names: dict[int, str]
    previous: int | None  # the revision the diff compares with
    diff: list[DiffLine]
    mine: bool  # the caller wrote it: nobody reviews their own post


def _accounts(session: Session, account_ids: Sequence[int]) -> list[Account]:
    rows = session.exec(select(Account).where(col(Account.id).in_(account_ids))).all()
    by_id = {account.id: account for account in rows}
    return [by_id[i] for i in dict.fromkeys(account_ids) if i in by_id]


def postable_accounts(session: Session, author: User) -> list[Account]:
    """Authorized accounts the author stewards: the ones `account.authorized` lets through."""
    return list(
        session.exec(
            select(Account)
            .join(AccountSteward, col(AccountSteward.account_id) == Account.id)
            .where(AccountSteward.user_id == author.id, Account.status == AccountStatus.authorized)
            .order_by(col(Account.platform), col(Account.handle_key))
        ).all()
    )


def _account_choices(session: Session, author: User, current: Sequence[int]) -> list[Account]:
    """What the edit form offers: the postable accounts, plus current targets that no longer
    are (so the author sees them, and the rules say why they block)."""
    offered = postable_accounts(session, author)
    known = {account.id for account in offered}
    return offered + [a for a in _accounts(session, current) if a.id not in known]


def students_with_photo_consent(session: Session, author: User) -> list[Student]:
    """The students the author may name as shown in a photo: written photo consent on file."""
    students = consent.list_students(session, author)
    scopes = consent_validity.valid_scopes(
        session, [s.id for s in students if s.id is not None], clock.now()
    )
    return [s for s in students if "photo" in scopes.get(s.id or 0, frozenset())]


def _student_names(session: Session, viewer: User, post: PostPublic) -> dict[int, str]:
    wanted = {student_id for item in post.media for student_id in item.student_ids}
    if not wanted:
        return {}
    visible = consent.list_students(session, viewer, include_inactive=True)
    return {s.id: s.full_name for s in visible if s.id in wanted}


def check_draft(
    session: Session,
    author: User,
    *,
    text: str,
    account_ids: list[int],
    post_id: int | None = None,
) -> DraftCheck:
    """Every content rule on text not saved yet; with `post_id`, on that post's media too.

    Nothing is stored: the revision below is never added to the session.
    """
    base = current_revision(session, get_post(session, author, post_id)) if post_id else None
    now = clock.now()
    unsaved = PostRevision(
        post_id=post_id or 0,
        number=0,
        text=text,
        account_ids=list(dict.fromkeys(account_ids)),
        media_ids=list(base.media_ids) if base else [],
        third_party=list(base.third_party) if base else [],
        visibility=base.visibility if base else "public",
        checks=[],
        created_at=now,
    )
    results = check_submission(checks.submission_for(session, unsaved, author, now))
    previews = [Preview(a, text) for a in _accounts(session, unsaved.account_ids)]
    return DraftCheck(results, previews)


def recheck(session: Session, post_id: int, author: User) -> Post:
    """Run the rules again (a consent may have been recorded since) and keep the results."""
    post = get_post(session, author, post_id)
    decide_action(session, post, PostAction.edit, author)  # the author, while still editable
    checks.run_checks(session, current_revision(session, post), author, clock.now())
    session.flush()
    return post


def my_posts(session: Session, user: User, status: PostStatus | None) -> list[PostPublic]:
    return [views.to_public(session, post) for post in list_posts(session, user, status)]


def post_page(session: Session, user: User, post_id: int) -> PostPage:
    post = get_post(session, user, post_id)
    public = views.to_public(session, post)
    mine = post.author_id == user.id
    return PostPage(
        post=public,
        revisions=views.revisions(session, post),
        targets=_accounts(session, public.account_ids),
        student_names=_student_names(session, user, public),
        mine=mine,
        accounts=_account_choices(session, user, public.account_ids) if mine else [],
        consented_students=students_with_photo_consent(session, user) if mine else [],
    )


def review_queue(session: Session, reviewer: User) -> list[PostPublic]:
    """Submitted posts by others: what waits for this reviewer's decision."""
    return [
        views.to_public(session, post)
        for post in list_posts(session, reviewer, PostStatus.submitted)
        if post.author_id != reviewer.id
    ]


def _diff_lines(diff: str) -> list[DiffLine]:
    lines = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            continue
        kind = {"+": "added", "-": "removed"}.get(line[:1], "context")
        lines.append(DiffLine(kind, line))
    return lines


def review_page(session: Session, reviewer: User, post_id: int) -> ReviewPage:
    post = get_post(session, reviewer, post_id)
    public = views.to_public(session, post)
    previous = public.revision - 1 if public.revision > 1 else None
    diff = views.text_diff(session, post, previous, public.revision) if previous else ""
    return ReviewPage(
        post=public,
        targets=_accounts(session, public.account_ids),
        student_names=_student_names(session, reviewer, public),
        previous=previous,
        diff=_diff_lines(diff),
        mine=post.author_id == reviewer.id,
    )
