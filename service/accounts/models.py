"""The register of official accounts and the people who steward them."""

from datetime import datetime
from enum import StrEnum
from typing import Self

from pydantic import EmailStr, model_validator
from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, enum_type
from workflows.account_lifecycle import AccountStatus
from workflows.platforms import Platform
from workflows.stewardship import Flag, ReviewState


class AccountBase(SQLModel):
    platform: Platform = Field(sa_type=enum_type(Platform))
    handle: str = Field(max_length=200)
    url: str = Field(max_length=500)
    display_name: str = Field(default="", max_length=200)
    purpose: str = Field(default="", max_length=500)


class Account(AccountBase, table=True):
    __tablename__ = "official_account"
    __table_args__ = (UniqueConstraint("platform", "handle_key", name="uq_account_handle"),)

    id: int | None = Field(default=None, primary_key=True)
    handle_key: str = Field(max_length=200, index=True)
    platform_account_id: str | None = Field(default=None, max_length=100, index=True)
    status: AccountStatus = Field(sa_type=enum_type(AccountStatus), index=True)
    owner_id: int | None = Field(default=None, foreign_key="user_account.id")
    requested_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    authorized_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    authorized_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    review_due: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    # The latest post the platform shows, as the dormancy job last read it.
    last_activity_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    activity_checked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    notes: str = Field(default="", max_length=4000)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class AccountAuthorization(SQLModel, table=True):
    """Each time the superintendent authorized an account: the first time and every annual
    re-authorization, with the review date it set."""

    __tablename__ = "account_authorization"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="official_account.id", index=True)
    kind: str = Field(max_length=20)  # "authorized" or "reauthorized"
    actor_id: int | None = Field(default=None, foreign_key="user_account.id")
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    review_due: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    reason: str = Field(default="", max_length=2000)


class ApprovalStep(SQLModel, table=True):
    """One step of an account's approval route: a role or named users, any or all of them."""

    __tablename__ = "approval_step"
    __table_args__ = (UniqueConstraint("account_id", "position", name="uq_approval_step"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="official_account.id", index=True)
    position: int
    role: str | None = Field(default=None, max_length=20)
    user_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    rule: str = Field(default="any", max_length=3)  # "any" or "all"


class AccountSteward(SQLModel, table=True):
    __tablename__ = "account_steward"

    account_id: int = Field(foreign_key="official_account.id", primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    added_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class AccountCredential(SQLModel, table=True):
    """A platform token for publishing, encrypted at rest; never returned, never logged."""

    __tablename__ = "account_credential"

    account_id: int = Field(foreign_key="official_account.id", primary_key=True)
    ciphertext: str = Field(sa_column=Column(Text, nullable=False))
    connected_by: str = Field(max_length=320)
    connected_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class CredentialsIn(SQLModel):
    access_token: str = Field(min_length=1, max_length=4000)
    access_token_secret: str | None = Field(default=None, max_length=4000)
    account_platform_id: str | None = Field(default=None, max_length=100)


class CredentialsStatus(SQLModel):
    account_id: int
    connected: bool
    connected_by: str | None
    connected_at: datetime | None


class AccountRequest(SQLModel):
    """Either a profile URL, or a platform and handle."""

    platform: Platform | None = None
    handle: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=2048)
    display_name: str = Field(default="", max_length=200)
    purpose: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _url_or_handle(self) -> Self:
        if not self.url and not (self.platform and self.handle):
            raise ValueError("give either 'url', or both 'platform' and 'handle'")
        return self


class AccountUpdate(SQLModel):
    """What the superintendent may correct on an entry; its status moves only by decision."""

    display_name: str | None = Field(default=None, max_length=200)
    purpose: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, max_length=4000)
    owner: EmailStr | None = None


class AccountDecision(SQLModel):
    reason: str = Field(default="", max_length=2000)


class StewardAdd(SQLModel):
    email: EmailStr


class AccountPublic(AccountBase):
    id: int
    status: AccountStatus
    platform_account_id: str | None
    owner: str | None
    requested_by: str | None
    authorized_by: str | None
    authorized_at: datetime | None
    review_due: datetime | None
    review_state: ReviewState | None = None
    last_activity_at: datetime | None = None
    flags: list[Flag] = Field(default_factory=list)
    notes: str
    stewards: list[str]
    created_at: datetime
    updated_at: datetime


class ReviewFilter(StrEnum):
    """`?review=`: due (within 30 days or past), or overdue beyond the grace period."""

    due = "due"
    overdue = "overdue"


class AuthorizationPublic(SQLModel):
    kind: str
    actor: str | None
    at: datetime
    review_due: datetime
    reason: str


class DirectoryEntry(SQLModel):
    """What the public may see of an official account: nothing about people."""

    platform: Platform
    handle: str
    url: str
    display_name: str
    purpose: str
    official_since: datetime | None
