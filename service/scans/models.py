"""Scan runs: when a platform was searched, what it cost, what it found, what went wrong."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, enum_type

# candidates: accounts met, not in the register; flagged: those scored as needing action.
COUNTERS = (
    "queries",
    "lookups",
    "candidates",
    "flagged",
    "new",
    "updated",
    "reopened",
    "api_calls",
)


class ScanStatus(StrEnum):
    queued = "queued"  # started through the API; the job has not picked it up yet
    running = "running"
    finished = "finished"
    failed = "failed"  # credentials or configuration: a person must act
    budget_exhausted = "budget_exhausted"  # stopped at its call budget; the next run continues it
    rate_limited = "rate_limited"  # stopped by the platform; continued after `retry_at`
    unavailable = "unavailable"  # the platform kept failing (5xx, timeouts); as rate_limited


# Stopped by the platform: the run waits for `retry_at`, then the next `run_scan` continues it.
WAITING = (ScanStatus.rate_limited, ScanStatus.unavailable)


class ScanRun(SQLModel, table=True):
    __tablename__ = "scan_run"

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32, index=True)  # a connector name: "x", ..., "simulated"
    status: ScanStatus = Field(sa_type=enum_type(ScanStatus), index=True)
    requested_by: str = Field(max_length=320)
    budget: int
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    # Last sign of life: a running scan whose heartbeat stopped is taken over and continued.
    heartbeat_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    retry_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    errors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # {"done": [step keys], "seen": [account keys]}: what a continued run skips.
    progress: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ScanStart(SQLModel):
    platform: str = Field(min_length=1, max_length=32)
    budget: int | None = Field(default=None, ge=1, le=100_000)


class ScanRunPublic(SQLModel):
    id: int
    platform: str
    status: ScanStatus
    requested_by: str
    budget: int
    started_at: datetime
    finished_at: datetime | None
    retry_at: datetime | None
    counts: dict[str, int]
    errors: list[str]
    seconds: float | None
