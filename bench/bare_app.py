"""The bare FastAPI endpoint `bench_load.py` measures the verify endpoint against.

    .venv/bin/python bench/bare_app.py --port 8601 --workers 2

One synchronous route returning a constant of the verify answer's shape: no middleware, no
database, no validation, and FastAPI's own OpenTelemetry off as in the application (it costs
the bare endpoint about 2%) — the most a FastAPI endpoint can serve on this machine. It is served
exactly as `imprimatur serve` serves the application (uvicorn, the same worker count, no
access log, no logging configuration), so the ratio of the two measures the application's
own cost and nothing else.
"""

import argparse

import uvicorn
from fastapi import FastAPI

ANSWER = {
    "official": True,
    "platform": "x",
    "handle": "RiverbendTech",
    "account": {
        "platform": "x",
        "handle": "RiverbendTech",
        "url": "https://x.com/RiverbendTech",
        "display_name": "Riverbend Technical College",
        "purpose": "News and announcements",
        "official_since": "2026-01-05T09:00:00Z",
    },
    "institution": "Riverbend Technical College",
}


def create_bare_app() -> FastAPI:
    app = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False})

    @app.get("/bare")
    def bare() -> dict[str, object]:
        return ANSWER

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8601)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    # Exactly as `imprimatur serve` serves the application (service/cli.py).
    if args.workers == 1:
        uvicorn.run(
            create_bare_app(), host=args.host, port=args.port, access_log=False, log_config=None
        )
    else:
        from service.serving import run_workers  # here: the workers import this module

        run_workers(
            "bare_app:create_bare_app", workers=args.workers, host=args.host, port=args.port
        )


if __name__ == "__main__":
    main()
