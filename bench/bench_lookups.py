"""Handles per X lookup call during a scan's lookalike sweep.

    .venv/bin/python bench/bench_lookups.py [--institution FILE.yaml] [--cap 250]

Builds the discovery plan for X from an institution profile, then looks every planned handle
up through the real X connector (tweepy) with HTTP intercepted by `responses`, and counts
the calls it made. X charges per request, so the target is 95+ handles per call on average.
Prints one JSON line.
"""

import argparse
import json
import re
import sys
from pathlib import Path

import responses

from connectors.x import XConnector
from service.scoring_cli import load
from workflows.impersonation import FingerprintCache
from workflows.lookalikes import discovery_plan
from workflows.platforms import Platform

DEV = Path(__file__).resolve().parents[2] / "shared/eval/impersonation/dev"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--institution", type=Path, default=DEV / "institution.yaml")
    parser.add_argument("--cap", type=int, default=250)
    args = parser.parse_args()
    institution, _ = load(args.institution, DEV / "profiles.jsonl", FingerprintCache())
    plan = discovery_plan(institution, [Platform.x], cap=args.cap)[Platform.x]
    handles = [h for batch in plan.batches() for h in batch]
    with responses.RequestsMock() as mock:
        mock.add(
            responses.GET,
            re.compile(r"https://api\.(twitter|x)\.com/2/users/by.*"),
            json={"data": []},
        )
        connector = XConnector(bearer_token="bench")  # noqa: S106 - nothing leaves the process
        connector.lookup_handles(handles)
        calls = len(mock.calls)
    result = {
        "benchmark": "X handles per lookup call",
        "handles": len(handles),
        "calls": calls,
        "handles_per_call": round(len(handles) / calls, 1),
    }
    print(f"{result['handles']} handles in {calls} calls", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
