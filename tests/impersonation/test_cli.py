"""`imprimatur score-profiles` end to end: the dev set and fictional institutions rewritten
from it must meet the targets (computed here, not hard-coded verdicts)."""

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from service.cli import app

from .helpers import metrics
from .synthetic import CEDAR_VALLEY, RIVERTON, Fiction, build

F1, FPR, ACCURACY = 0.95, 0.03, 0.90
VERDICTS = {"official", "impersonation", "unofficial_presence", "benign"}


def score(institution: Path, profiles: Path, *extra: str) -> list[dict[str, Any]]:
    args = ["score-profiles", "--institution", str(institution), "--profiles", str(profiles)]
    result = CliRunner().invoke(app, [*args, *extra])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def check_targets(labels: Path, rows: list[dict[str, Any]]) -> None:
    found = metrics(labels, rows)
    assert found.missing == 0
    assert found.f1 >= F1, found
    assert found.benign_fpr <= FPR, found
    assert found.accuracy >= ACCURACY, found


@pytest.mark.parametrize("now", [None, "2026-11-01"])
def test_dev_set_meets_the_targets(dev_set: Path, now: str | None) -> None:
    extra = ("--now", now) if now else ()
    rows = score(dev_set / "institution.yaml", dev_set / "profiles.jsonl", *extra)
    check_targets(dev_set / "labels.jsonl", rows)


def test_output_format(dev_set: Path) -> None:
    rows = score(dev_set / "institution.yaml", dev_set / "profiles.jsonl", "--now", "2026-11-01")
    for row in rows:
        assert set(row) == {"id", "verdict", "score", "reasons"}
        assert row["verdict"] in VERDICTS
        assert 0.0 <= row["score"] <= 1.0 and round(row["score"], 3) == row["score"]
        assert all(isinstance(reason, str) and reason for reason in row["reasons"])
        if row["verdict"] in {"impersonation", "unofficial_presence"}:
            assert row["score"] >= 0.5 and row["reasons"]
        else:
            assert row["score"] < 0.5


@pytest.mark.parametrize(
    ("fiction", "rephrase"),
    [(CEDAR_VALLEY, True), (CEDAR_VALLEY, False), (RIVERTON, True)],
    ids=["cedar-valley-rephrased", "cedar-valley", "riverton-rephrased"],
)
def test_other_institutions_meet_the_targets(
    dev_set: Path, tmp_path: Path, fiction: Fiction, rephrase: bool
) -> None:
    institution, profiles, labels = build(tmp_path, fiction, rephrase=rephrase)
    text = (institution.read_text() + profiles.read_text()).casefold()
    for leaked in ("moore", "norman", "mntc", "oklahoma"):
        assert leaked not in text  # the rewrite is complete
    check_targets(labels, score(institution, profiles))


def test_bad_now_is_refused(dev_set: Path) -> None:
    args = ["score-profiles", "--institution", str(dev_set / "institution.yaml")]
    args += ["--profiles", str(dev_set / "profiles.jsonl"), "--now", "next tuesday"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0


INDEPENDENT = Path(__file__).parent / "independent"


def test_an_independently_written_set_meets_the_targets() -> None:
    """Written by hand for another fictional institution, without reading the scorer; its
    errors were then used to generalise the rules, so it guards against regressions."""
    lakeshore = INDEPENDENT / "lakeshore"
    rows = score(lakeshore / "institution.yaml", lakeshore / "profiles.jsonl")
    check_targets(lakeshore / "labels.jsonl", rows)


def test_the_held_out_set_does_not_regress() -> None:
    """Held out while the rules were written, and still just short of the targets (see
    BENCHMARKS.md): these floors are today's figures, to be raised, never lowered."""
    pinecrest = INDEPENDENT / "pinecrest"
    rows = score(pinecrest / "institution.yaml", pinecrest / "profiles.jsonl")
    found = metrics(pinecrest / "labels.jsonl", rows)
    assert found.missing == 0
    assert found.f1 >= 0.949 and found.benign_fpr <= 0.038 and found.accuracy >= 0.947, found
