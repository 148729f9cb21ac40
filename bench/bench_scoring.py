"""Impersonation scoring throughput.

    .venv/bin/python bench/bench_scoring.py [--dev DIR] [--profiles 10000] [--runs 5]

Text only: the dev profiles replicated and perturbed (handles, display names and bios get
per-copy suffixes, so no two profiles are identical) to --profiles rows, images dropped,
scored in one batch; median of --runs. With images: the dev set's own profiles and images,
fingerprinting included, once with a cold cache and once warm; and the same replicated to
--profiles rows (each image file read per profile, fingerprinted once per distinct content).
Prints a human summary on stderr and one JSON line on stdout.
"""

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import yaml

from workflows.impersonation.images import FingerprintCache
from workflows.impersonation.institution import (
    CandidateProfile,
    InstitutionProfile,
    candidate_from_mapping,
    institution_from_mapping,
)
from workflows.impersonation.names import build_name_model
from workflows.impersonation.scoring import score_profiles

DEFAULT_DEV = Path(__file__).resolve().parents[2] / "shared/eval/impersonation/dev"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def load_rows(dev: Path) -> tuple[dict[str, object], list[dict[str, object]]]:
    data = yaml.safe_load((dev / "institution.yaml").read_text(encoding="utf-8"))
    lines = (dev / "profiles.jsonl").read_text(encoding="utf-8").splitlines()
    return data, [json.loads(line) for line in lines if line.strip()]


def perturbed(rows: list[dict[str, object]], count: int, seed: int = 7) -> list[CandidateProfile]:
    rng = random.Random(seed)  # noqa: S311 - perturbation, not security
    out = []
    for i in range(count):
        row = dict(rows[i % len(rows)])
        if i >= len(rows):
            tag = rng.randrange(10_000)
            row["handle"] = f"{row['handle']}{tag}"
            if rng.random() < 0.3:
                row["display_name"] = f"{row['display_name']} {tag}"
            row["bio"] = f"{row['bio']} #{rng.randrange(10**6)}"
        row["id"] = f"bench:{i}"
        row["profile_image"] = None
        out.append(candidate_from_mapping(row))
    return out


def timed(function: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def with_images(
    dev: Path, data: dict[str, object], rows: list[dict[str, object]], cache: FingerprintCache
) -> tuple[InstitutionProfile, list[CandidateProfile]]:
    listed = data.get("logos")
    paths = listed if isinstance(listed, list) else []
    logos = [found for p in paths if (found := cache.fingerprint_file(dev / str(p)))]
    institution = institution_from_mapping(data, logos=logos)
    candidates = []
    for row in rows:
        image = row.get("profile_image")
        found = cache.fingerprint_file(dev / str(image)) if image else None
        candidates.append(candidate_from_mapping(row, image=found))
    return institution, candidates


def image_run(
    dev: Path,
    data: dict[str, object],
    rows: list[dict[str, object]],
    warm: FingerprintCache | None,
) -> tuple[float, FingerprintCache]:
    cache = warm or FingerprintCache()
    start = time.perf_counter()
    institution, candidates = with_images(dev, data, rows, cache)
    score_profiles(institution, candidates, now=NOW)
    return time.perf_counter() - start, cache


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    parser.add_argument("--profiles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    data, rows = load_rows(args.dev)
    institution = institution_from_mapping(data)
    candidates = perturbed(rows, args.profiles)
    score_profiles(institution, candidates[:50], now=NOW)  # load the TR39 tables once
    text_total = timed(lambda: score_profiles(institution, candidates, now=NOW), args.runs)
    model = build_name_model(institution)
    text_scoring = timed(
        lambda: score_profiles(institution, candidates, now=NOW, model=model), args.runs
    )

    cold, cache = image_run(args.dev, data, rows, None)
    warm = statistics.median(image_run(args.dev, data, rows, cache)[0] for _ in range(args.runs))
    many = [dict(rows[i % len(rows)], id=f"bench:{i}") for i in range(args.profiles)]
    many_cold, many_cache = image_run(args.dev, data, many, None)
    many_warm = image_run(args.dev, data, many, many_cache)[0]

    summary = {
        "profiles": args.profiles,
        "runs": args.runs,
        "text_seconds": round(text_total, 3),
        "text_profiles_per_second": round(args.profiles / text_total),
        "text_seconds_prebuilt_model": round(text_scoring, 3),
        "dev_profiles": len(rows),
        "dev_images_cold_seconds": round(cold, 3),
        "dev_images_warm_seconds": round(warm, 3),
        "distinct_images": len(cache.store),
        "images_cold_seconds": round(many_cold, 3),
        "images_warm_seconds": round(many_warm, 3),
        "images_warm_profiles_per_second": round(args.profiles / many_warm),
    }
    print(
        f"{args.profiles} profiles, text only: {text_total:.3f} s "
        f"({args.profiles / text_total:,.0f}/s, median of {args.runs}); "
        f"dev set with images: cold {cold:.3f} s, warm {warm:.3f} s; "
        f"{args.profiles} with images: cold {many_cold:.3f} s, warm {many_warm:.3f} s",
        file=sys.stderr,
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
