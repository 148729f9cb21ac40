"""How `imprimatur serve` runs the application, and what uvicorn's own start gets wrong.

Three corrections, each found under load (`bench/bench_load.py`, figures in BENCHMARKS.md):

- Garbage collection: a started application keeps a few hundred thousand objects for life
  (modules, routes, schemas, models), and every full collection walked them all again, a
  pause of about 100 ms every second or so under load that set every endpoint's 99th
  percentile. They are frozen once the application is made.
- Worker start: a new worker imports the whole application before it answers uvicorn's health
  check; on a busy machine that takes longer than uvicorn's 5 s, and a worker killed for it is
  replaced by one killed the same way.
- Sockets: uvicorn hands every worker the same listening socket, and whichever worker wakes
  first accepts every connection waiting (asyncio accepts up to the backlog at once). A
  kept-alive connection stays where it landed, so the 16 connections a proxy or a benchmark
  opens together ended up 16 to 0 or 15 to 1 on two workers. Each worker binds a socket of
  its own to the address instead (SO_REUSEPORT), and the kernel spreads new connections over
  them. Every socket also sets TCP_NODELAY: uvicorn's shared one did not name TCP, so
  asyncio left it off, and a response written in two parts waited for the client's delayed
  ACK, about 40 ms, capping a keep-alive connection near 20 requests a second.
"""

import gc
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import structlog

from service.observability import configure_logging
from service.settings import Settings, get_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

WORKER_START_SECONDS = 60  # how long `serve --workers N` waits for a worker to come up

log = structlog.get_logger()


def served_app(settings: Settings) -> "FastAPI":
    """The application, its start-up objects then set aside from garbage collection."""
    from service.app import create_app

    application = create_app(settings)
    gc.freeze()
    return application


def worker_app() -> "FastAPI":
    """The application of one `serve --workers N` process (settings from its environment),
    logging as `serve` does."""
    settings = get_settings()
    configure_logging(json=settings.environment == "production")
    return served_app(settings)


def shared_port_socket(family: int, address: tuple[str, int]) -> socket.socket:
    """A socket bound to `address` that sockets of other processes may bind too."""
    bound = socket.socket(family, socket.SOCK_STREAM)
    try:
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        bound.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited when accepted
        bound.bind(address)
    except OSError:
        bound.close()
        raise
    return bound


@dataclass(frozen=True)
class WorkerSocket:
    """Stands in for a listening socket among what uvicorn passes to a new worker process,
    which it does by pickling them: unpickled there, it is a socket of the worker's own."""

    family: int
    address: tuple[str, int]

    def __reduce__(self) -> tuple[object, tuple[int, tuple[str, int]]]:
        return (shared_port_socket, (self.family, self.address))


def run_workers(factory: str, *, workers: int, host: str, port: int) -> None:
    """Serve the application `factory` makes ("module:function") from `workers` processes,
    as `uvicorn.run` would, with the corrections above."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        factory,
        factory=True,
        workers=workers,
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        timeout_worker_healthcheck=WORKER_START_SECONDS,
    )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Bound here, never listening: it holds the port (and finds it taken before any worker
    # starts) but is not among the sockets the kernel hands connections to.
    try:
        reserved = shared_port_socket(family, (host, port))
    except OSError as error:
        raise SystemExit(f"Cannot listen on {host}:{port}: {error.strerror}.") from error
    with reserved:
        address = reserved.getsockname()[:2]
        log.info("serving", address=f"{address[0]}:{address[1]}", workers=workers)
        per_worker = cast(list[socket.socket], [WorkerSocket(family, address)])
        Multiprocess(config, sockets=per_worker).run()
