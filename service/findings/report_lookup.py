"""A reported account, looked up and scored the way a scan would, when a connector can.

Whatever goes wrong here (no connector for the platform, the platform refusing or failing,
no institution profile to score against) is not the reporter's problem: the report is kept
with a note of why the account was not scored.
"""

from dataclasses import dataclass

from sqlmodel import Session

import connectors
from connectors import Connector, Profile
from service import clock
from service.findings.record import Sighting
from service.scans import discovery
from service.scans.images import fetch_image
from service.scans.runner import ScanFailed, candidate_profile
from service.scans.service import connector_for
from workflows.impersonation import FingerprintCache, score_profiles
from workflows.profile_urls import ProfileRef, handle_key


@dataclass(frozen=True)
class Lookup:
    sighting: Sighting | None  # None: not looked up or not scored
    note: str  # what happened, for the audit and the people who triage


def _find(connector: Connector, ref: ProfileRef) -> Profile | None:
    for found in connector.lookup_handles([ref.handle]):
        if found.platform != ref.platform:
            continue
        if handle_key(found.platform, found.handle) == ref.key or found.platform_id == ref.handle:
            return found
    return None


def look_up(session: Session, ref: ProfileRef) -> Lookup:
    """The reported profile scored against the institution, or a note saying why not."""
    try:
        connector = connector_for(session, str(ref.platform))
        profile = _find(connector, ref)
    except ScanFailed as missing:
        return Lookup(None, f"not looked up: {missing}")
    except connectors.ConnectorError as error:
        return Lookup(None, f"not looked up: {error}")
    if profile is None:
        return Lookup(None, f"not found on {ref.platform.label}")
    cache = FingerprintCache()
    loaded = discovery.institution_profile(session, cache)
    if loaded is None:
        return Lookup(None, "not scored: no institution profile yet")
    institution, _ = loaded
    image = fetch_image(profile.profile_image_url, allow_files=connector.name == "simulated")
    fingerprint = cache.fingerprint(image) if image else None
    (assessment,) = score_profiles(
        institution, [candidate_profile(profile, fingerprint)], now=clock.now()
    )
    sighting = Sighting(
        profile, assessment.verdict, assessment.score, assessment.reasons, image, fingerprint
    )
    return Lookup(sighting, f"scored {assessment.score:.2f} ({assessment.verdict})")
