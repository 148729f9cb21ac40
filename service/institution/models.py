"""The institution profile: everything institution-specific lives here, never in code."""

from datetime import datetime
from typing import Any

from pydantic import field_validator
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime


def _clean_list(values: list[str]) -> list[str]:
    """Trimmed, non-empty and de-duplicated, in the order given."""
    seen: dict[str, None] = {}
    for value in values:
        if value.strip():
            seen.setdefault(value.strip(), None)
    return list(seen)


class InstitutionFields(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    domains: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    location: str = Field(default="", max_length=200)
    campuses: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    departments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))

    @field_validator("aliases", "campuses", "departments")
    @classmethod
    def _trimmed(cls, values: list[str]) -> list[str]:
        return _clean_list(values)

    @field_validator("domains")
    @classmethod
    def _lowercase_domains(cls, values: list[str]) -> list[str]:
        return _clean_list([v.lower().removeprefix("www.") for v in values])


class Institution(InstitutionFields, table=True):
    id: int = Field(default=1, primary_key=True)
    # [{"sha256": ..., "path": ..., "filename": ...}] in the media store
    logos: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class InstitutionUpdate(InstitutionFields):
    pass


class InstitutionPublic(InstitutionFields):
    logos: list[dict[str, Any]]
    updated_at: datetime
