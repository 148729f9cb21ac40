"""The open-records export: its period, and one flat record schema per file of the archive.

Each schema is both a row of its JSON file and, flattened, a line of its CSV file; the
import reads the JSON back through the same schemas.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ExportPeriod(BaseModel):
    """Whole days, both inclusive, in UTC (as the audit log filters)."""

    model_config = ConfigDict(populate_by_name=True)

    start: date = Field(alias="from")
    end: date = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start > self.end:
            raise ValueError("'from' is after 'to'")
        if self.end >= date.max:
            raise ValueError("'to' is out of range")
        return self

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, UTC)

    @property
    def until(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.end + timedelta(days=1), time.min, UTC)

    def parameters(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


class PostRecord(BaseModel):
    id: int
    author: str
    status: str
    text: str  # what was published: the final revision
    account_ids: list[int]
    accounts: list[str]  # "platform @handle" of each target
    publish_at: datetime | None
    first_published_at: datetime
    removal_required: bool
    created_at: datetime


class RevisionRecord(BaseModel):
    post_id: int
    number: int
    text: str
    account_ids: list[int]
    media_ids: list[int]
    third_party: list[dict[str, Any]]
    visibility: str
    publish_at: datetime | None
    created_at: datetime
    submitted_at: datetime | None


class RuleResultRecord(BaseModel):
    post_id: int
    revision: int
    rule: str
    clause: str
    outcome: str
    message: str


class DecisionRecord(BaseModel):
    post_id: int
    revision: int
    reviewer: str
    reviewer_role: str
    decision: str
    comment: str
    decided_at: datetime


class MediaRecord(BaseModel):
    """A published image; which students it depicts stays with the consent records."""

    id: int
    post_id: int
    filename: str
    content_type: str
    sha256: str
    file: str  # its path in the archive, under media/
    width: int
    height: int
    faces: int
    depicts: str


class PublicationRecord(BaseModel):
    post_id: int
    account_id: int
    status: str
    platform_post_id: str | None
    url: str | None
    attempts: int
    published_at: datetime | None


class AccountRecord(BaseModel):
    id: int
    platform: str
    handle: str
    url: str
    display_name: str
    purpose: str
    status: str
    platform_account_id: str | None
    authorized_at: datetime | None
    review_due: datetime | None
    stewards: list[str]
    created_at: datetime


class AuthorizationRecord(BaseModel):
    account_id: int
    kind: str
    actor: str | None
    at: datetime
    review_due: datetime
    reason: str


class HistoryRecord(BaseModel):
    """An audit entry about the register, with its place in the hash chain."""

    id: int
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str


# The archive's data files: name → the schema of its rows (JSON and CSV of each).
KINDS: dict[str, type[BaseModel]] = {
    "posts": PostRecord,
    "revisions": RevisionRecord,
    "rule_results": RuleResultRecord,
    "decisions": DecisionRecord,
    "media": MediaRecord,
    "publications": PublicationRecord,
    "accounts": AccountRecord,
    "authorizations": AuthorizationRecord,
    "register_history": HistoryRecord,
}


class ImportSummary(BaseModel):
    """How many rows of each kind an import created."""

    counts: dict[str, int]
