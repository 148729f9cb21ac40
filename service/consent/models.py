"""The consent registry: students, their parents/guardians, and written consent on file.

Policy items 3-5: students are photographed, filmed or named on official accounts only with
the written consent of a parent or guardian. A consent is a record — who granted what, from
when until when, the signed form as evidence, and its revocation — never a checkbox.

Two audiences read these records. Everyone who picks depicted students (staff, designees)
gets the `...Public` views; the confidential details — the school's student number, guardian
contact details and the signed forms — are in the `...Full` views, for the superintendent,
site administrators and the auditor only.
"""

import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Self

from pydantic import EmailStr, field_validator, model_validator
from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, enum_type

# A cell that a spreadsheet would run as a formula when the data is exported again.
FORMULA_PREFIXES = ("=", "+", "-", "@")


class ConsentScope(StrEnum):
    photo = "photo"  # photos and videos that depict the student
    name = "name"  # naming or obviously referencing the student
    both = "both"


# What each recorded scope covers; "both" is the two parts.
COVERS: dict[ConsentScope, frozenset[str]] = {
    ConsentScope.photo: frozenset({"photo"}),
    ConsentScope.name: frozenset({"name"}),
    ConsentScope.both: frozenset({"photo", "name"}),
}


class ConsentStatus(StrEnum):
    valid = "valid"
    pending_evidence = "pending_evidence"  # recorded, but the signed form is not uploaded yet
    not_yet_valid = "not_yet_valid"
    expired = "expired"
    revoked = "revoked"


def clean_text(value: str | None) -> str | None:
    """Trim; empty becomes None; refuse line breaks and what a spreadsheet would execute."""
    if value is None:
        return None
    value = value.strip()
    if value.startswith(FORMULA_PREFIXES):
        raise ValueError(f"must not start with {value[0]!r} (it looks like a spreadsheet formula)")
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise ValueError("must not contain line breaks or other control characters")
    return value or None


# --- students ---------------------------------------------------------------------------------


class StudentBase(SQLModel):
    full_name: str = Field(max_length=200)
    preferred_name: str | None = Field(default=None, max_length=200)
    site: str = Field(max_length=200, index=True)


class Student(StudentBase, table=True):
    __tablename__ = "student"
    # NULL numbers never clash, so the constraint only binds students whose number is known.
    __table_args__ = (
        UniqueConstraint("site", "student_number", name="uq_student_number_per_site"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_number: str | None = Field(default=None, max_length=64)
    active: bool = True
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class StudentCreate(SQLModel):
    full_name: str = Field(min_length=1, max_length=200)
    preferred_name: str | None = Field(default=None, max_length=200)
    # Optional for a site administrator of one site: their students are of that site.
    site: str | None = Field(default=None, max_length=200)
    student_number: str | None = Field(default=None, max_length=64)

    @field_validator("full_name", "preferred_name", "site", "student_number", mode="before")
    @classmethod
    def _clean(cls, value: object) -> object:
        return clean_text(value) if isinstance(value, str) else value


class StudentUpdate(SQLModel):
    """Only the fields sent are changed; `null` clears an optional one."""

    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    preferred_name: str | None = Field(default=None, max_length=200)
    site: str | None = Field(default=None, max_length=200)
    student_number: str | None = Field(default=None, max_length=64)
    active: bool | None = None

    @field_validator("full_name", "preferred_name", "site", "student_number", mode="before")
    @classmethod
    def _clean(cls, value: object) -> object:
        return clean_text(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _required_stay_set(self) -> Self:
        for name in ("full_name", "site", "active"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"'{name}' cannot be cleared")
        return self


class StudentPublic(StudentBase):
    """What anyone who picks depicted students sees: no student number."""

    id: int
    active: bool
    created_at: datetime


class StudentFull(StudentPublic):
    student_number: str | None


# --- guardians --------------------------------------------------------------------------------


class GuardianBase(SQLModel):
    name: str = Field(max_length=200)
    relationship: str | None = Field(default=None, max_length=100)


class Guardian(GuardianBase, table=True):
    __tablename__ = "guardian"

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    email: str | None = Field(default=None, max_length=320)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class GuardianCreate(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    relationship: str | None = Field(default=None, max_length=100)

    @field_validator("name", "relationship", mode="before")
    @classmethod
    def _clean(cls, value: object) -> object:
        return clean_text(value) if isinstance(value, str) else value

    @field_validator("email", mode="before")
    @classmethod
    def _clean_email(cls, value: object) -> object:
        return clean_text(value) if isinstance(value, str) else value


class GuardianPublic(GuardianBase):
    """A guardian's contact details are confidential (policy item 5)."""

    id: int
    student_id: int
    created_at: datetime


class GuardianFull(GuardianPublic):
    email: str | None


# --- consents ---------------------------------------------------------------------------------


class ConsentBase(SQLModel):
    student_id: int = Field(foreign_key="student.id", index=True)
    guardian_id: int = Field(foreign_key="guardian.id", index=True)
    scope: ConsentScope = Field(sa_type=enum_type(ConsentScope))
    granted_on: date
    expires_on: date | None = None


class Consent(ConsentBase, table=True):
    __tablename__ = "consent"

    id: int | None = Field(default=None, primary_key=True)
    evidence_sha256: str | None = Field(default=None, max_length=64)
    evidence_path: str | None = Field(default=None, max_length=500)
    evidence_content_type: str | None = Field(default=None, max_length=100)
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    revoked_by: str | None = Field(default=None, max_length=320)
    revocation_reason: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_by: str = Field(max_length=320)


class ConsentCreate(SQLModel):
    student_id: int
    guardian_id: int
    scope: ConsentScope
    granted_on: date
    expires_on: date | None = None

    @model_validator(mode="after")
    def _expires_after_granted(self) -> Self:
        if self.expires_on is not None and self.expires_on < self.granted_on:
            raise ValueError("'expires_on' is before 'granted_on'")
        return self


class ConsentRevoke(SQLModel):
    reason: str = Field(min_length=1, max_length=2000)

    @field_validator("reason", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class ConsentPublic(SQLModel):
    """Whether consent is on file and valid — without the signed form or the reasons."""

    id: int
    student_id: int
    guardian_id: int
    scope: ConsentScope
    granted_on: date
    expires_on: date | None
    status: ConsentStatus
    valid: bool
    revoked_at: datetime | None
    created_at: datetime


class ConsentFull(ConsentPublic):
    evidence_sha256: str | None
    evidence_content_type: str | None
    revoked_by: str | None
    revocation_reason: str | None
    created_by: str


class StudentDetail(StudentPublic):
    guardians: list[GuardianPublic]
    consents: list[ConsentPublic]


class StudentDetailFull(StudentFull):
    guardians: list[GuardianFull]
    consents: list[ConsentFull]


class ConsentRevoked(ConsentFull):
    """The revoked consent, and the published posts now flagged for removal because of it."""

    posts_flagged: list[int]
