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


INDEPENDENT_SETS = sorted(path.name for path in INDEPENDENT.iterdir() if path.is_dir())


@pytest.mark.parametrize("name", INDEPENDENT_SETS)
def test_independently_written_sets_meet_the_targets(name: str) -> None:
    """Each written by hand for another fictional institution by someone who never read the
    scorer (tests/impersonation/independent/README.md says which were held out)."""
    folder = INDEPENDENT / name
    rows = score(folder / "institution.yaml", folder / "profiles.jsonl")
    check_targets(folder / "labels.jsonl", rows)
