"""The append-only, hash-chained audit log."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEntryBase(SQLModel):
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    actor: str = Field(max_length=320, index=True)
    action: str = Field(max_length=80, index=True)
    subject_type: str = Field(max_length=40, index=True)
    subject_id: str = Field(max_length=80, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class AuditEntry(AuditEntryBase, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    # Unique: a predecessor can be followed only once, so concurrent writers cannot fork the chain.
    prev_hash: str = Field(max_length=64, unique=True)
    hash: str = Field(max_length=64, unique=True)


class AuditHead(SQLModel, table=True):
    """The newest entry: lets `audit verify` see a deleted tail, and serialises writers."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_entry_id: int
    last_hash: str = Field(max_length=64)
    # HMAC of the two fields above under the secret key: rewinding the head (to hide deleted
    # newest entries) needs the key, not just write access to the database.
    signature: str = Field(max_length=64)


class AuditEntryPublic(AuditEntryBase):
    id: int
    hash: str
