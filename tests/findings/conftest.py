"""Findings as a scan leaves them, in the rolled-back test session, and the demo institution."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from connectors import Profile
from service.demo import DEMO_DIR
from service.findings.models import Finding
from service.findings.record import Outcome, Sighting, record_sighting
from service.institution import service as institution
from workflows.impersonation import fingerprint_bytes
from workflows.platforms import Platform

NAMES = ["Riverbend Technology Center", "RTC", "Riverbend Tech", "riverbend-tech.example"]
LOGO = (DEMO_DIR / "logo.png").read_bytes()
OTHER_IMAGE = (DEMO_DIR / "avatars" / "bakery.png").read_bytes()

Record = Callable[..., tuple[Outcome, Finding | None]]


def profile(
    *,
    platform: Platform = Platform.x,
    platform_id: str = "9001",
    handle: str = "Riverbend_Tech",
    display_name: str = "Riverbend Technology Center",
    bio: str = "Welcome to the official Riverbend Technology Center account.",
    followers: int = 40,
) -> Profile:
    return Profile(
        platform=platform,
        platform_id=platform_id,
        handle=handle,
        display_name=display_name,
        bio=bio,
        url="https://riverbend-tech.example",
        created_at=datetime(2026, 10, 30, tzinfo=UTC),
        followers=followers,
    )


@pytest.fixture
def demo_institution(session: Session, tmp_path: Path) -> None:
    """Riverbend Technology Center and its register, as the demo imports them."""
    institution.import_profile(session, actor="test", path=DEMO_DIR / "institution.yaml")
    session.commit()


@pytest.fixture
def record(session: Session) -> Record:
    """Record one sighting the way a scan does (committed in the test's transaction)."""

    def record(
        seen: Profile,
        *,
        verdict: str = "impersonation",
        score: float = 0.95,
        image: bytes | None = None,
        reasons: tuple[str, ...] = ("display name equals the institution's",),
    ) -> tuple[Outcome, Finding | None]:
        sighting = Sighting(seen, verdict, score, reasons, image, fingerprint_bytes(image or b""))
        outcome, finding = record_sighting(session, sighting, names=NAMES)
        session.commit()
        return outcome, finding

    return record
