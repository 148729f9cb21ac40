"""Loading an export into a fresh database, to verify that it holds what it claims.

New rows with the same content: ids are new, people and accounts are created (minimally)
as needed, media files are stored again by their hash. The register's audit history is
read but not replayed: the audit chain of this database records only the import itself.
"""

import json
from collections import defaultdict
from pathlib import Path, PurePosixPath
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from sqlmodel import Session, SQLModel, select

from service import clock, media
from service.accounts.models import Account, AccountAuthorization, AccountSteward
from service.accounts.service import find_by_reference, resolve_reference
from service.audit import service as audit
from service.errors import Conflict, Invalid
from service.posts.models import Post, PostDecision, PostMedia, PostRevision, PostTarget
from service.publishing.models import PublishTarget, TargetStatus
from service.records.archive import read_files, verified
from service.records.models import (
    AccountRecord,
    AuthorizationRecord,
    DecisionRecord,
    ImportSummary,
    MediaRecord,
    PostRecord,
    PublicationRecord,
    RevisionRecord,
    RuleResultRecord,
)
from service.users import service as users
from service.users.models import Role, User
from workflows.account_lifecycle import AccountStatus
from workflows.content_rules import Depicts
from workflows.post_lifecycle import PostStatus

Row = TypeVar("Row", bound=BaseModel)
Table = TypeVar("Table", bound=SQLModel)


def _rows(files: dict[str, bytes], kind: str, schema: type[Row]) -> list[Row]:
    try:
        return [schema.model_validate(row) for row in json.loads(files[f"{kind}.json"])]
    except (KeyError, ValueError, ValidationError) as error:
        raise Invalid(f"{kind}.json is missing or malformed: {error}") from error


class _Loader:
    def __init__(self, session: Session, files: dict[str, bytes], actor: str) -> None:
        self.session, self.files, self.actor = session, files, actor
        self.people: dict[str, User] = {}
        self.accounts: dict[int, int] = {}
        self.posts: dict[int, int] = {}
        self.media: dict[int, int] = {}
        self.revisions: dict[tuple[int, int], int] = {}

    def person(self, email: str, role: Role) -> int:
        if email not in self.people:
            found = users.find_by_email(self.session, email)
            self.people[email] = found or users.add_user(
                self.session, actor=self.actor, email=email, role=role
            )
        return self.people[email].id or 0

    def add(self, row: Table) -> Table:
        self.session.add(row)
        self.session.flush()
        return row

    def account(self, record: AccountRecord) -> None:
        ref = resolve_reference(platform=record.platform, handle=record.handle)
        account = find_by_reference(self.session, ref) or self.add(
            Account(
                platform=ref.platform,
                handle=record.handle,
                handle_key=ref.key,
                url=record.url,
                display_name=record.display_name,
                purpose=record.purpose,
                status=AccountStatus(record.status),
                platform_account_id=record.platform_account_id,
                authorized_at=record.authorized_at,
                review_due=record.review_due,
                created_at=record.created_at,
                updated_at=clock.now(),
            )
        )
        self.accounts[record.id] = account_id = account.id or 0
        for email in record.stewards:
            steward = self.person(email, Role.staff)
            self.add(AccountSteward(account_id=account_id, user_id=steward, added_at=clock.now()))

    def post(self, record: PostRecord) -> None:
        post = self.add(
            Post(
                author_id=self.person(record.author, Role.staff),
                status=PostStatus(record.status),
                publish_at=record.publish_at,
                removal_required=record.removal_required,
                created_at=record.created_at,
                updated_at=clock.now(),
            )
        )
        self.posts[record.id] = post_id = post.id or 0
        for account_id in record.account_ids:
            self.add(PostTarget(post_id=post_id, account_id=self.accounts[account_id]))

    def media_item(self, record: MediaRecord) -> None:
        stored = media.store_bytes(
            self.files[record.file], folder="posts", suffix=PurePosixPath(record.file).suffix
        )
        item = self.add(
            PostMedia(
                post_id=self.posts[record.post_id],
                filename=record.filename,
                content_type=record.content_type,
                sha256=stored.sha256,
                path=stored.path,
                width=record.width,
                height=record.height,
                faces=record.faces,
                depicts=Depicts(record.depicts),
                student_ids=[],
                created_at=clock.now(),
            )
        )
        self.media[record.id] = item.id or 0

    def revision(self, record: RevisionRecord, checks: list[dict[str, str]]) -> None:
        revision = self.add(
            PostRevision(
                post_id=self.posts[record.post_id],
                number=record.number,
                text=record.text,
                account_ids=[self.accounts[i] for i in record.account_ids if i in self.accounts],
                media_ids=[self.media[i] for i in record.media_ids if i in self.media],
                third_party=record.third_party,
                visibility=record.visibility,
                publish_at=record.publish_at,
                checks=checks,
                created_at=record.created_at,
                submitted_at=record.submitted_at,
            )
        )
        self.revisions[(record.post_id, record.number)] = revision.id or 0

    def decision(self, record: DecisionRecord) -> None:
        self.add(
            PostDecision(
                post_id=self.posts[record.post_id],
                revision_id=self.revisions[(record.post_id, record.revision)],
                reviewer_id=self.person(record.reviewer, Role(record.reviewer_role)),
                reviewer_role=record.reviewer_role,
                decision=record.decision,
                comment=record.comment,
                decided_at=record.decided_at,
            )
        )

    def publication(self, record: PublicationRecord) -> None:
        self.add(
            PublishTarget(
                post_id=self.posts[record.post_id],
                account_id=self.accounts[record.account_id],
                status=TargetStatus(record.status),
                attempts=record.attempts,
                platform_post_id=record.platform_post_id,
                url=record.url,
                published_at=record.published_at,
            )
        )

    def authorization(self, record: AuthorizationRecord) -> None:
        actor = self.person(record.actor, Role.superintendent) if record.actor else None
        self.add(
            AccountAuthorization(
                account_id=self.accounts[record.account_id],
                kind=record.kind,
                actor_id=actor,
                at=record.at,
                review_due=record.review_due,
                reason=record.reason,
            )
        )


def import_records(session: Session, source: Path, *, actor: str) -> ImportSummary:
    """Load an export (its zip, or the folder it was unpacked into) into a database without
    posts, after checking every file against the manifest; a tampered file or a row that
    refers to one the export lacks is a 422."""
    if session.exec(select(Post.id)).first() is not None:
        raise Conflict("Records are imported into a fresh database; this one already has posts.")
    files = read_files(source)
    manifest = verified(files)
    loader = _Loader(session, files, actor)
    accounts = _rows(files, "accounts", AccountRecord)
    posts = _rows(files, "posts", PostRecord)
    media_rows = _rows(files, "media", MediaRecord)
    revisions = _rows(files, "revisions", RevisionRecord)
    decisions = _rows(files, "decisions", DecisionRecord)
    publications = _rows(files, "publications", PublicationRecord)
    authorizations = _rows(files, "authorizations", AuthorizationRecord)
    checks: dict[tuple[int, int], list[dict[str, str]]] = defaultdict(list)
    for result in _rows(files, "rule_results", RuleResultRecord):
        checks[(result.post_id, result.revision)].append(
            result.model_dump(include={"rule", "clause", "outcome", "message"})
        )
    try:
        for account in accounts:
            loader.account(account)
        for post in posts:
            loader.post(post)
        for item in media_rows:
            loader.media_item(item)
        for revision in revisions:
            loader.revision(revision, checks[(revision.post_id, revision.number)])
        for decision in decisions:
            loader.decision(decision)
        for publication in publications:
            loader.publication(publication)
        for authorization in authorizations:
            loader.authorization(authorization)
    except KeyError as error:
        raise Invalid(f"The export refers to a row it does not contain: {error}") from error
    counts = {
        "accounts": len(loader.accounts),
        "posts": len(loader.posts),
        "media": len(loader.media),
        "revisions": len(loader.revisions),
        "decisions": len(decisions),
        "rule_results": sum(len(found) for found in checks.values()),
        "publications": len(publications),
        "authorizations": len(authorizations),
    }
    audit.record(
        session,
        actor=actor,
        action="records.imported",
        subject_type="records",
        subject_id=f"{manifest['parameters']['from']}..{manifest['parameters']['to']}",
        after={"generated_at": manifest["generated_at"], **counts},
    )
    return ImportSummary(counts=counts)
