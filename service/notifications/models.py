"""The mail outbox: messages are written in the transaction that causes them, sent after it."""

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime


class OutgoingMail(SQLModel, table=True):
    __tablename__ = "outgoing_mail"

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, index=True))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    # After a failed attempt: not before this time. None: due now (never tried, or sent, or
    # given up after the last attempt allowed).
    next_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, index=True)
    )
