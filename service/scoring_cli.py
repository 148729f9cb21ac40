"""`imprimatur score-profiles`: score a scan's candidate profiles from files.

The files are the evaluation format (shared/eval/impersonation/README.md): an institution
YAML whose logo paths are relative to it, and a JSONL of profiles whose image paths are
relative to the JSONL. Reading files and decoding images happens here; the decisions are
`workflows.impersonation` (docs/scoring.md).
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
import yaml

from workflows.impersonation.images import FingerprintCache, ImageFingerprint
from workflows.impersonation.institution import (
    CandidateProfile,
    InstitutionProfile,
    candidate_from_mapping,
    institution_from_mapping,
    parse_timestamp,
)
from workflows.impersonation.scoring import score_profiles as score
from workflows.platforms import Platform
from workflows.profile_urls import handle_key

_FILE = {"exists": True, "dir_okay": False, "readable": True}


def _read_yaml(path: Path) -> dict[str, object]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise typer.BadParameter(f"{path} is not a YAML mapping")
    return data


def _read_jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as error:
                raise typer.BadParameter(f"{path}:{number}: not JSON ({error})") from None
            if isinstance(row, dict):
                yield row


def _image(base: Path, value: object, cache: FingerprintCache) -> ImageFingerprint | None:
    """A missing or unreadable image is no evidence either way, so it is skipped."""
    if not isinstance(value, str) or not value:
        return None
    path = Path(value) if Path(value).is_absolute() else base / value
    return cache.fingerprint_file(path)


def load(
    institution_path: Path, profiles_path: Path, cache: FingerprintCache
) -> tuple[InstitutionProfile, list[CandidateProfile]]:
    """The institution (logos fingerprinted) and the candidates (images fingerprinted).

    Registered accounts found among the candidates lend their images to the institution, so
    a copy of an official avatar is recognised even when it is not the logo.
    """
    data = _read_yaml(institution_path)
    listed = data.get("logos")
    logos = [
        found
        for logo in (listed if isinstance(listed, list) else [])
        if (found := _image(institution_path.parent, logo, cache)) is not None
    ]
    candidates = [
        candidate_from_mapping(
            row, image=_image(profiles_path.parent, row.get("profile_image"), cache)
        )
        for row in _read_jsonl(profiles_path)
    ]
    register = institution_from_mapping(data, logos=logos)
    account_images: dict[tuple[str, str], ImageFingerprint] = {}
    for candidate in candidates:
        if candidate.image and register.is_registered(candidate.platform, candidate.handle):
            key = handle_key(Platform(candidate.platform), candidate.handle)
            account_images.setdefault((candidate.platform, key), candidate.image)
    institution = institution_from_mapping(data, logos=logos, account_images=account_images)
    return institution, candidates


def score_profiles(
    institution: Annotated[
        Path, typer.Option(help="Institution YAML (names, domains, logos, register).", **_FILE)
    ],
    profiles: Annotated[
        Path, typer.Option(help="Candidate profiles, one JSON object a line.", **_FILE)
    ],
    now: Annotated[
        str | None,
        typer.Option(
            help="Judge account age as of this ISO date or time (default: now, UTC). The"
            " evaluation's profiles are dated as of 2026-11-01; verdicts do not depend on it."
        ),
    ] = None,
) -> None:
    """Print one JSON line per profile: id, verdict, score, reasons."""
    as_of = parse_timestamp(now) if now else datetime.now(UTC)
    if as_of is None:
        raise typer.BadParameter(f"{now!r} is not an ISO 8601 date or time", param_hint="--now")
    institution_profile, candidates = load(institution, profiles, FingerprintCache())
    for result in score(institution_profile, candidates, now=as_of):
        line = {
            "id": result.id,
            "verdict": result.verdict,
            "score": round(result.score, 3),
            "reasons": list(result.reasons),
        }
        typer.echo(json.dumps(line, ensure_ascii=False))
