"""Helpers for the impersonation tests: a small fictional institution, candidate profiles
with harmless defaults, and the evaluation's metrics."""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from workflows.impersonation.institution import (
    CandidateProfile,
    InstitutionProfile,
    OfficialAccount,
)
from workflows.platforms import Platform

from .synthetic import DEV

NOW = datetime(2026, 11, 1, tzinfo=UTC)
ACTION = {"impersonation", "unofficial_presence"}


def harbor() -> InstitutionProfile:
    """Nothing like the dev set's institution, on purpose."""
    return InstitutionProfile(
        name="Harbor Point Community College",
        aliases=("HPCC", "Harbor Point College"),
        domains=("hpcc.edu",),
        location="Port Ellis, Maine",
        campuses=("Bayside Campus",),
        departments=("Marine Technology", "Nursing"),
        official_accounts=(
            OfficialAccount(Platform.x, "HarborPointCC", "Harbor Point Community College"),
            OfficialAccount(Platform.instagram, "harborpoint_cc", "Harbor Point College"),
            OfficialAccount(Platform.instagram, "hpcc_nursing", "HPCC Nursing"),
            OfficialAccount(Platform.facebook, "harbor.point.cc", "Harbor Point College"),
        ),
    )


def profile(**fields: Any) -> CandidateProfile:
    """A candidate with harmless defaults; tests set only what they are about."""
    base: dict[str, Any] = {
        "id": "x:1",
        "platform": "instagram",
        "handle": "someone",
        "display_name": "Someone",
        "bio": "",
        "created_at": datetime(2020, 1, 1, tzinfo=UTC),
        "followers": 500,
    }
    base.update(fields)
    return CandidateProfile(**base)


@dataclass(frozen=True)
class Metrics:
    f1: float
    benign_fpr: float
    accuracy: float
    missing: int


def metrics(labels: Path, verdicts: Iterable[dict[str, Any]]) -> Metrics:
    """The same figures as shared/eval/impersonation/score_eval.py."""
    truth = {
        row["id"]: row["label"]
        for row in map(json.loads, labels.read_text(encoding="utf-8").splitlines())
    }
    got = {v["id"]: v["verdict"] for v in verdicts}
    tp = sum(1 for i, lab in truth.items() if lab in ACTION and got.get(i) in ACTION)
    fp = sum(1 for i, lab in truth.items() if lab not in ACTION and got.get(i) in ACTION)
    fn = sum(1 for i, lab in truth.items() if lab in ACTION and got.get(i) not in ACTION)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    negatives = [i for i, lab in truth.items() if lab not in ACTION]
    fpr = sum(1 for i in negatives if got.get(i) in ACTION) / len(negatives)
    accuracy = sum(1 for i, lab in truth.items() if got.get(i) == lab) / len(truth)
    return Metrics(f1, fpr, accuracy, sum(1 for i in truth if i not in got))


def dev_set() -> Path:
    if not (DEV / "labels.jsonl").exists():
        pytest.skip(f"development set not found at {DEV}")
    return DEV
