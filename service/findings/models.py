"""Findings: accounts a scan found that may pretend to be the institution, and their evidence."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import EmailStr, field_validator
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, enum_type
from workflows.finding_lifecycle import DismissReason, FindingStatus
from workflows.platforms import Platform


class Finding(SQLModel, table=True):
    """One platform account, however often and by whichever search a scan meets it.

    `account_key` is "id:<platform id>", or "handle:<handle key>" when the platform gave no id;
    its uniqueness per platform is what keeps two scans running at once from reporting one
    account twice.
    """

    __table_args__ = (UniqueConstraint("platform", "account_key", name="uq_finding_account"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: Platform = Field(sa_type=enum_type(Platform), index=True)
    account_key: str = Field(max_length=220)
    platform_account_id: str | None = Field(default=None, max_length=100, index=True)
    handle: str = Field(max_length=200)
    handle_key: str = Field(max_length=200, index=True)
    display_name: str = Field(default="", max_length=200)
    profile_url: str = Field(default="", max_length=500)
    status: FindingStatus = Field(sa_type=enum_type(FindingStatus), index=True)
    verdict: str = Field(max_length=32)
    score: float = Field(index=True)
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    first_seen: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_seen: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    dismissed_reason: DismissReason | None = Field(
        default=None, sa_type=enum_type(DismissReason), nullable=True
    )
    # What a scan compares with to reopen: the account as it was when someone dismissed it.
    dismissed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    note: str = Field(default="", max_length=2000)
    resolution: str | None = Field(default=None, max_length=32)
    # The register entry requested for it ("bring into register").
    account_id: int | None = Field(default=None, foreign_key="official_account.id")
    source: str = Field(default="scan", max_length=16)
    # Bumped by every change: two people (or a person and a scan) cannot both succeed.
    version: int = 1
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class FindingReport(SQLModel, table=True):
    """A person's report of an account claiming to be the institution (public or staff)."""

    __tablename__ = "finding_report"

    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="finding.id", index=True)
    reference: str = Field(max_length=20, unique=True)  # what the reporter is given
    profile_url: str = Field(max_length=500)
    description: str = Field(default="", max_length=2000)
    contact_email: str | None = Field(default=None, max_length=320)
    screenshot_sha256: str | None = Field(default=None, max_length=64)
    screenshot_path: str | None = Field(default=None, max_length=300)
    reporter_id: int | None = Field(default=None, foreign_key="user_account.id")
    client_key: str = Field(default="", max_length=64)  # a keyed hash of the address, no IP
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class FindingSnapshot(SQLModel, table=True):
    """The profile as it was seen, taken whenever its content changed: the evidence.

    `content_sha256` covers what identifies the account (the profile without its follower
    count, and the image bytes' hash); `snapshot_sha256` covers the stored record itself —
    `taken_at`, `profile` and `image_sha256` as canonical JSON — so anyone can re-check it.
    """

    __tablename__ = "finding_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="finding.id", index=True)
    taken_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    profile: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    content_sha256: str = Field(max_length=64)
    image_sha256: str | None = Field(default=None, max_length=64)
    image_path: str | None = Field(default=None, max_length=300)  # in the media store
    image_phash: str | None = Field(default=None, max_length=16)  # 64-bit pHash, hex
    snapshot_sha256: str = Field(max_length=64)


# --- request and response schemas ---


class TriageRequest(SQLModel):
    note: str = Field(default="", max_length=2000)
    version: int | None = None  # the version the person looked at; stale → 409


class DismissRequest(TriageRequest):
    reason: DismissReason


class RegisterRequest(TriageRequest):
    purpose: str = Field(default="", max_length=500)


class SnapshotPublic(SQLModel):
    id: int
    taken_at: datetime
    profile: dict[str, Any]
    content_sha256: str
    image_sha256: str | None
    image_phash: str | None
    snapshot_sha256: str


class FindingPublic(SQLModel):
    id: int
    platform: Platform
    platform_account_id: str | None
    handle: str
    display_name: str
    profile_url: str
    status: FindingStatus
    verdict: str
    score: float
    reasons: list[str]
    first_seen: datetime
    last_seen: datetime
    dismissed_reason: DismissReason | None
    dismissed_at: datetime | None
    note: str
    resolution: str | None
    account_id: int | None
    source: str
    version: int
    created_at: datetime
    updated_at: datetime


class FindingReportPublic(SQLModel):
    id: int
    reference: str
    profile_url: str
    description: str
    contact_email: str | None
    screenshot_sha256: str | None
    reporter_id: int | None
    created_at: datetime


class FindingDetail(FindingPublic):
    snapshots: list[SnapshotPublic]
    reports: list[FindingReportPublic] = []


class FindingSource(StrEnum):
    """Where a finding came from, for the queue's filter ("report": any person reported it)."""

    scan = "scan"
    report = "report"


class ReportSubmission(SQLModel):
    """What a person sends about an account claiming to be the institution."""

    url: str = Field(min_length=1, max_length=2000)
    description: str = Field(default="", max_length=2000)
    email: EmailStr | None = None
    # The honeypot: hidden from people by the page's CSS, filled in by form-filling robots.
    website: str = Field(default="", max_length=500)

    @field_validator("email", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return value.strip() or None if isinstance(value, str) else value


class ReportReceipt(SQLModel):
    """All a reporter learns: the reference, or that the account is in fact official."""

    official: bool = False
    reference: str | None = None
    message: str
