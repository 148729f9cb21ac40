"""Posts, their immutable revisions, media, reviewers' decisions and the consents relied on."""

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, enum_type
from service.publishing.models import PublicationPublic
from workflows.content_rules import Depicts
from workflows.post_lifecycle import PostStatus


class Post(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="user_account.id", index=True)
    status: PostStatus = Field(sa_type=enum_type(PostStatus), index=True)
    publish_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, index=True))
    # Waiting too long for review escalates once; an approval not published in time lapses.
    escalated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    approval_expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    # Set when a consent it relied on is revoked after publication.
    removal_required: bool = False
    # Bumped by every state change: two reviewers acting at once cannot both succeed.
    version: int = 1
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class PostTarget(SQLModel, table=True):
    __tablename__ = "post_target"

    post_id: int = Field(foreign_key="post.id", primary_key=True)
    account_id: int = Field(foreign_key="official_account.id", primary_key=True)


class PostMedia(SQLModel, table=True):
    __tablename__ = "post_media"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=50)
    sha256: str = Field(max_length=64)
    path: str = Field(max_length=300)  # the publishable copy (metadata stripped) in the media store
    width: int
    height: int
    faces: int
    depicts: Depicts = Field(sa_type=enum_type(Depicts))
    student_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class PostRevision(SQLModel, table=True):
    """What was reviewed: text, targets, media and the rule results, frozen once submitted."""

    __tablename__ = "post_revision"
    __table_args__ = (UniqueConstraint("post_id", "number", name="uq_revision_number"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    number: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    account_ids: list[int] = Field(sa_column=Column(JSON, nullable=False))
    media_ids: list[int] = Field(sa_column=Column(JSON, nullable=False))
    third_party: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    visibility: str = Field(default="public", max_length=20)
    publish_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    checks: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    submitted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class PostDecision(SQLModel, table=True):
    """A reviewer's approval, change request or rejection of one revision."""

    __tablename__ = "post_decision"
    __table_args__ = (UniqueConstraint("revision_id", "reviewer_id", name="uq_one_decision"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    revision_id: int = Field(foreign_key="post_revision.id")
    reviewer_id: int = Field(foreign_key="user_account.id")
    reviewer_role: str = Field(max_length=32)
    decision: str = Field(max_length=20)
    comment: str = Field(default="", max_length=4000)
    decided_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class PostConsentUse(SQLModel, table=True):
    """Consents an approved revision relied on: revoking one flags the post for removal."""

    __tablename__ = "post_consent_use"

    post_id: int = Field(foreign_key="post.id", primary_key=True)
    consent_id: int = Field(foreign_key="consent.id", primary_key=True)


# --- request and response schemas ---


class ThirdPartyDeclaration(SQLModel):
    description: str = Field(min_length=1, max_length=300)
    permission: str = Field(default="", max_length=1000)  # how permission was recorded; "" = none


# Only "public" passes the channel.public_only rule; the others exist to be refused clearly.
Visibility = Literal["public", "followers", "direct"]


class PostCreate(SQLModel):
    account_ids: list[int] = PydanticField(min_length=1, max_length=20)
    visibility: Visibility = "public"
    text: str = Field(default="", max_length=10_000)
    publish_at: AwareDatetime | None = None  # with a time zone: 'at 9' means nothing alone
    third_party: list[ThirdPartyDeclaration] = PydanticField(default_factory=list, max_length=50)


class PostUpdate(SQLModel):
    account_ids: list[int] | None = PydanticField(default=None, min_length=1, max_length=20)
    visibility: Visibility | None = None
    text: str | None = Field(default=None, max_length=10_000)
    publish_at: AwareDatetime | None = None  # with a time zone: 'at 9' means nothing alone
    third_party: list[ThirdPartyDeclaration] | None = PydanticField(default=None, max_length=50)
    media_ids: list[int] | None = PydanticField(default=None, max_length=20)


class ReviewRequest(SQLModel):
    revision_id: int | None = None  # the revision the reviewer looked at; stale → 409
    comment: str = Field(default="", max_length=4000)


class CheckPublic(SQLModel):
    rule: str
    clause: str
    outcome: str
    message: str


class MediaPublic(SQLModel):
    id: int
    filename: str
    content_type: str
    width: int
    height: int
    faces: int
    depicts: Depicts
    student_ids: list[int]


class DecisionPublic(SQLModel):
    revision: int
    reviewer: str
    reviewer_role: str
    decision: str
    comment: str
    decided_at: datetime


class RevisionPublic(SQLModel):
    id: int
    number: int
    text: str
    account_ids: list[int]
    media_ids: list[int]
    publish_at: datetime | None
    created_at: datetime
    submitted_at: datetime | None


class PostPublic(SQLModel):
    id: int
    author: str
    status: PostStatus
    version: int
    publish_at: datetime | None
    removal_required: bool
    account_ids: list[int]
    text: str
    revision: int
    revision_id: int
    checks: list[CheckPublic]
    needs: list[str]  # approver roles the current revision still needs
    media: list[MediaPublic]
    third_party: list[ThirdPartyDeclaration]
    visibility: str
    decisions: list[DecisionPublic]
    publications: list[PublicationPublic]
    created_at: datetime
    updated_at: datetime
