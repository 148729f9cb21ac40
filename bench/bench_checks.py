"""Policy checks of one post: 500 characters of text and one 12-megapixel JPEG.

    .venv/bin/python bench/bench_checks.py [--runs 20] [--roster 1000]

What submitting a post costs: the upload inspection (type by content, metadata stripped,
faces counted) plus all eight content rules against a roster. Prints a human summary on
stderr and one JSON line on stdout. Target: median under 200 ms on a 2-core machine.
"""

import argparse
import json
import sys

from bench_imaging import phone_like_jpeg, samples_ms, summary

from service.imaging import inspect_image
from workflows.content_rules import (
    ConsentScope,
    Depicts,
    MediaItem,
    RosterStudent,
    Submission,
    TargetAccount,
    check_submission,
)

FIRST = ["Ava", "Ben", "Cora", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun"]
LAST = ["Abbot", "Baird", "Chen", "Dietz", "Evans", "Ford", "Garza", "Hale", "Ito", "Jung"]
TEXT = (
    "Congratulations to Cora Chen and the welding team on a strong finish at the regional "
    "skills contest this weekend! The team practised every evening for six weeks. Family "
    "night is Thursday at 6 pm in the main hall; call the front office or write to "
    "info@school.example for details. Thanks to our sponsors and to every instructor who "
    "stayed late. Photos from the awards ceremony are below, shared with written consent "
    "from every family. Next up: the state contest in March. Go team, and well done, Ben B.!"
)[:500]


def submission(roster_size: int, faces: int) -> Submission:
    roster = tuple(
        RosterStudent(
            student_id=i,
            full_name=f"{FIRST[i % 10]} {LAST[(i // 10) % 10]}{'' if i < 100 else i}",
            preferred_name=None,
            student_number=f"S{100000 + i}",
            consents=frozenset(ConsentScope),
        )
        for i in range(roster_size)
    )
    return Submission(
        author_id=1,
        text=TEXT,
        targets=(TargetAccount(1, "x @School", "authorized", frozenset({1})),),
        media=(MediaItem(1, "team.jpg", Depicts.group, (22, 11, 30), faces),),
        roster=roster,
        institution_domains=frozenset({"school.example"}),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--roster", type=int, default=1000)
    args = parser.parse_args()
    photo = phone_like_jpeg(4000, 3000)

    def check_post() -> None:
        image = inspect_image(photo, filename="team.jpg", declared_type="image/jpeg")
        check_submission(submission(args.roster, image.faces))

    check_post()  # warm-up: loads the face cascade, compiles name patterns
    result = {
        "benchmark": "policy checks: 500-char post + one 12 MP JPEG",
        "roster": args.roster,
        "runs": args.runs,
        **summary(samples_ms(check_post, args.runs)),
    }
    print(
        f"checks of a 500-character post with a 12 MP JPEG (roster {args.roster}): "
        f"median {result['median_ms']} ms (min {result['min_ms']}, max {result['max_ms']})",
        file=sys.stderr,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
