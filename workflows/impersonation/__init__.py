"""Impersonation scoring: is a found account the institution's, an impostor, an unregistered
program page, or someone else's? Pure decisions over plain data (images.py alone reads
files, to fingerprint avatars). docs/scoring.md explains how the score is built.
"""

from workflows.impersonation.images import FingerprintCache, ImageFingerprint, fingerprint_bytes
from workflows.impersonation.institution import (
    CandidateProfile,
    InstitutionProfile,
    OfficialAccount,
    candidate_from_mapping,
    institution_from_mapping,
)
from workflows.impersonation.names import NameModel, build_name_model
from workflows.impersonation.scoring import (
    BENIGN,
    IMPERSONATION,
    NEEDS_ACTION,
    OFFICIAL,
    UNOFFICIAL,
    Assessment,
    score_profiles,
)

__all__ = [
    "BENIGN",
    "IMPERSONATION",
    "NEEDS_ACTION",
    "OFFICIAL",
    "UNOFFICIAL",
    "Assessment",
    "CandidateProfile",
    "FingerprintCache",
    "ImageFingerprint",
    "InstitutionProfile",
    "NameModel",
    "OfficialAccount",
    "build_name_model",
    "candidate_from_mapping",
    "fingerprint_bytes",
    "institution_from_mapping",
    "score_profiles",
]
