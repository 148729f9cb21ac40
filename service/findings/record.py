"""What a scan does with one scored account: open a finding, update it, snapshot it, reopen it.

One finding per platform account: matched by the platform's id, else by handle. The unique
`(platform, account_key)` makes a second scan's insert of the same account fail; it then
updates the finding the first one created. Updates are compare-and-set on `version`, so of
two scans updating at once one retries against the other's result (no duplicate snapshot).
"""

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from PIL import Image
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from connectors import Profile
from service import clock, media
from service.findings.models import Finding, FindingSnapshot
from service.findings.service import audit_finding, finding_state, move
from workflows import finding_lifecycle as lifecycle
from workflows.finding_lifecycle import FindingStatus, ProfileFacts
from workflows.impersonation import NEEDS_ACTION, ImageFingerprint
from workflows.profile_urls import ProfileUrlError, handle_key, normalize_handle, profile_url

SCANNER = "system:scanner"
VOLATILE = frozenset({"followers"})  # changes on its own: not a change of the account


class Outcome(StrEnum):
    new = "new"
    updated = "updated"
    reopened = "reopened"
    unchanged = "unchanged"
    skipped = "skipped"  # not worth a finding, and none existed


@dataclass(frozen=True)
class Sighting:
    """One account as a scan saw and scored it."""

    profile: Profile
    verdict: str
    score: float
    reasons: tuple[str, ...]
    image: bytes | None = None
    fingerprint: ImageFingerprint | None = None


def canonical_sha256(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def profile_record(profile: Profile) -> dict[str, Any]:
    return {
        "platform": str(profile.platform),
        "platform_id": profile.platform_id,
        "handle": profile.handle,
        "display_name": profile.display_name,
        "bio": profile.bio,
        "url": profile.url,
        "location": profile.location,
        "created_at": profile.created_at.isoformat() if profile.created_at else None,
        "followers": profile.followers,
        "verified": profile.verified,
        "profile_image_url": profile.profile_image_url,
    }


def content_sha256(record: dict[str, Any], image_sha256: str | None) -> str:
    identity = {k: v for k, v in record.items() if k not in VOLATILE}
    return canonical_sha256({"profile": identity, "image_sha256": image_sha256})


def snapshot_sha256(taken_at: datetime, record: dict[str, Any], image_sha256: str | None) -> str:
    """What `FindingSnapshot.snapshot_sha256` is: re-computable from the stored row."""
    return canonical_sha256(
        {"taken_at": taken_at.isoformat(), "profile": record, "image_sha256": image_sha256}
    )


def account_key(profile: Profile) -> str:
    if profile.platform_id:
        return f"id:{profile.platform_id}"
    return f"handle:{handle_key(profile.platform, profile.handle)}"


def _profile_url(profile: Profile) -> str:
    try:
        return profile_url(normalize_handle(profile.platform, "@" + profile.handle))
    except ProfileUrlError:
        return ""


def find_existing(session: Session, profile: Profile) -> Finding | None:
    """By platform id; else by handle (among findings without an id, when the profile has one)."""
    base = select(Finding).where(Finding.platform == profile.platform)
    if profile.platform_id:
        found = session.exec(base.where(Finding.platform_account_id == profile.platform_id)).first()
        if found is not None:
            return found
        base = base.where(col(Finding.platform_account_id).is_(None))
    key = handle_key(profile.platform, profile.handle)
    return session.exec(
        base.where(or_(Finding.handle_key == key, Finding.account_key == f"handle:{key}"))
    ).first()


def _suffix(data: bytes) -> str:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return "." + (image.format or "img").lower().replace("jpeg", "jpg")
    except (OSError, ValueError):
        return ".img"


def take_snapshot(session: Session, finding: Finding, sighting: Sighting) -> FindingSnapshot:
    taken_at = clock.now()
    record = profile_record(sighting.profile)
    fingerprint = sighting.fingerprint
    stored = None
    if sighting.image is not None and fingerprint is not None:
        stored = media.store_bytes(
            sighting.image, folder="evidence", suffix=_suffix(sighting.image)
        )
    image_sha256 = stored.sha256 if stored else None
    snapshot = FindingSnapshot(
        finding_id=finding.id or 0,
        taken_at=taken_at,
        profile=record,
        content_sha256=content_sha256(record, image_sha256),
        image_sha256=image_sha256,
        image_path=stored.path if stored else None,
        image_phash=f"{fingerprint.phash:016x}" if stored and fingerprint else None,
        snapshot_sha256=snapshot_sha256(taken_at, record, image_sha256),
    )
    session.add(snapshot)
    session.flush()
    return snapshot


def latest_snapshot(
    session: Session, finding_id: int, at: datetime | None = None
) -> FindingSnapshot | None:
    """The newest snapshot, or the newest taken by `at`."""
    query = select(FindingSnapshot).where(FindingSnapshot.finding_id == finding_id)
    if at is not None:
        query = query.where(col(FindingSnapshot.taken_at) <= at)
    order = (col(FindingSnapshot.taken_at).desc(), col(FindingSnapshot.id).desc())
    return session.exec(query.order_by(*order)).first()


def identity_values(sighting: Sighting) -> dict[str, Any]:
    profile = sighting.profile
    return {
        "handle": profile.handle[:200],
        "handle_key": handle_key(profile.platform, profile.handle)[:200],
        "display_name": profile.display_name[:200],
        "profile_url": _profile_url(profile)[:500],
        "verdict": sighting.verdict,
        "score": sighting.score,
        "reasons": list(sighting.reasons),
        "last_seen": clock.now(),
    }


def _insert(session: Session, sighting: Sighting) -> Finding | None:
    """The new finding, or None when another scan created it first."""
    now = clock.now()
    profile = sighting.profile
    finding = Finding(
        platform=profile.platform,
        account_key=account_key(profile),
        platform_account_id=profile.platform_id or None,
        status=FindingStatus.open,
        first_seen=now,
        created_at=now,
        updated_at=now,
        **identity_values(sighting),
    )
    try:
        with session.begin_nested():
            session.add(finding)
    except IntegrityError:
        return None
    take_snapshot(session, finding, sighting)
    audit_finding(session, SCANNER, finding, "opened", None)
    return finding


def _facts(record: dict[str, Any], phash: str | None) -> ProfileFacts:
    return ProfileFacts(
        str(record.get("display_name") or ""),
        str(record.get("bio") or ""),
        int(phash, 16) if phash else None,
    )


def _update(session: Session, finding: Finding, sighting: Sighting, names: list[str]) -> Outcome:
    latest = latest_snapshot(session, finding.id or 0)
    record = profile_record(sighting.profile)
    fingerprint = sighting.fingerprint
    image_sha256 = fingerprint.sha256 if sighting.image is not None and fingerprint else None
    changed = latest is None or latest.content_sha256 != content_sha256(record, image_sha256)
    after = ProfileFacts(
        sighting.profile.display_name,
        sighting.profile.bio,
        fingerprint.phash if image_sha256 and fingerprint else None,
    )
    # A dismissed account is compared with what the person dismissed, not the last sighting.
    baseline = latest
    if finding.status is FindingStatus.dismissed and finding.dismissed_at is not None:
        baseline = latest_snapshot(session, finding.id or 0, finding.dismissed_at) or latest
    before = _facts(baseline.profile, baseline.image_phash) if baseline else None
    changes = lifecycle.material_changes(before, after, names)
    reopen = lifecycle.should_reopen(finding.status, changes, sighting.verdict in NEEDS_ACTION)
    values = identity_values(sighting)
    if finding.platform_account_id is None and sighting.profile.platform_id:
        values["platform_account_id"] = sighting.profile.platform_id
        values["account_key"] = account_key(sighting.profile)
    state_before = finding_state(finding)
    rescored = (finding.verdict, round(finding.score, 3)) != (
        sighting.verdict,
        round(sighting.score, 3),
    )
    if not (changed or rescored or reopen or "account_key" in values):
        # Only seen again: no new version, so nobody's open triage page goes stale.
        session.execute(
            update(Finding).where(col(Finding.id) == finding.id).values(last_seen=clock.now())
        )
        return Outcome.unchanged
    if reopen:
        values.update(status=FindingStatus.open, dismissed_reason=None, dismissed_at=None)
        values["note"] = "Reopened: " + "; ".join(changes)
    move(session, finding, expected_version=finding.version, **values)
    if changed:
        take_snapshot(session, finding, sighting)
    if reopen:
        audit_finding(session, SCANNER, finding, "reopened", state_before)
        return Outcome.reopened
    return Outcome.updated


def record_sighting(
    session: Session, sighting: Sighting, *, names: list[str]
) -> tuple[Outcome, Finding | None]:
    """Open or update the account's finding. Raises `Conflict` (or `IntegrityError`) when a
    concurrent scan changed it first: the caller retries in a new transaction."""
    existing = find_existing(session, sighting.profile)
    if existing is None:
        if sighting.verdict not in NEEDS_ACTION:
            return Outcome.skipped, None
        created = _insert(session, sighting)
        if created is not None:
            return Outcome.new, created
        existing = find_existing(session, sighting.profile)
        assert existing is not None, "the insert failed on the account's unique key"
    return _update(session, existing, sighting, names), existing
