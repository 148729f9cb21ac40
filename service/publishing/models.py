"""One row per (post, target account): the claim that makes publishing at-most-once."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, enum_type


class TargetStatus(StrEnum):
    pending = "pending"  # not tried yet
    sending = "sending"  # claimed: a worker is talking to the platform
    retry = "retry"  # a passing failure; tried again at next_attempt_at
    published = "published"
    failed = "failed"  # a permanent failure; `last_error` is the platform's message
    deleting = "deleting"  # the post was removed; delete on the platform
    deleted = "deleted"


class PublishTarget(SQLModel, table=True):
    __tablename__ = "publish_target"

    post_id: int = Field(foreign_key="post.id", primary_key=True)
    account_id: int = Field(foreign_key="official_account.id", primary_key=True)
    status: TargetStatus = Field(
        default=TargetStatus.pending, sa_type=enum_type(TargetStatus), index=True
    )
    # The last attempt may have reached the platform (timeout, crash): reconcile before retrying.
    uncertain: bool = False
    attempts: int = 0
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    first_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    platform_post_id: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=500)
    last_error: str | None = Field(default=None, max_length=1000)
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class PublicationPublic(SQLModel):
    account_id: int
    status: TargetStatus
    attempts: int
    url: str | None
    last_error: str | None
    next_attempt_at: datetime | None
    published_at: datetime | None
