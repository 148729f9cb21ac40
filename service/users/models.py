"""People who sign in, and what their role lets them do (DESIGN.md, "Who uses it")."""

from datetime import datetime
from enum import StrEnum

from pydantic import EmailStr
from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, enum_type
from workflows.platforms import Platform
from workflows.stewardship import Flag


class Role(StrEnum):
    superintendent = "superintendent"
    designee = "designee"
    site_admin = "site_admin"
    staff = "staff"
    auditor = "auditor"


EVERY_ROLE = frozenset(Role)
# Everyone who may change something; the auditor reads only.
CONTRIBUTORS = frozenset(EVERY_ROLE - {Role.auditor})
# Readers of everything, including the audit log.
OVERSIGHT = frozenset({Role.superintendent, Role.auditor})


class UserBase(SQLModel):
    email: str = Field(max_length=320, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    role: Role = Field(sa_type=enum_type(Role))
    # A site administrator manages the students of their site; None means every site.
    site: str | None = Field(default=None, max_length=200)


class User(UserBase, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    active: bool = True
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class UserCreate(SQLModel):
    email: EmailStr
    name: str = Field(default="", max_length=200)
    role: Role
    site: str | None = Field(default=None, max_length=200)


class UserPublic(UserBase):
    id: int
    active: bool
    created_at: datetime


class AccountLeft(SQLModel):
    """An account a deactivated user stewarded, as it stands without them."""

    account_id: int
    platform: Platform
    handle: str
    stewards: list[str]
    flags: list[Flag]


class DeactivationPublic(SQLModel):
    user: UserPublic
    tokens_revoked: int
    sessions_revoked: int
    accounts: list[AccountLeft]
