"""Which reminders went out, so each one is sent once however often the job runs."""

from datetime import date, datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime


class ReminderSent(SQLModel, table=True):
    __tablename__ = "reminder_sent"
    __table_args__ = (
        UniqueConstraint("kind", "subject_id", "days_before", "due_on", name="uq_reminder_once"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)  # "account_review" | "consent_expiry"
    subject_id: int
    days_before: int  # the threshold crossed: 30, 7, or 0 (overdue)
    due_on: date
    sent_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
