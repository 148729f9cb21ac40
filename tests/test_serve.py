"""`imprimatur serve --workers N`: what uvicorn's own multi-process start gets wrong."""

import gc
import socket
from typing import Any

import pytest

from service import cli
from service.settings import Settings


def test_workers_share_a_socket_without_delayed_acks_and_get_time_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: dict[str, Any] = {}

    class Supervisor:
        def __init__(self, config: Any, sockets: list[socket.socket]) -> None:
            started.update(config=config, sockets=sockets)

        def run(self) -> None:
            started["ran"] = True

    monkeypatch.setattr("uvicorn.supervisors.Multiprocess", Supervisor)
    cli.run_workers("service.cli:worker_app", workers=2, host="127.0.0.1", port=0)

    [listening] = started["sockets"]
    with listening:
        assert listening.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    assert started["ran"] and started["config"].workers == 2
    assert started["config"].timeout_worker_healthcheck >= 30


def test_a_served_application_is_set_aside_from_garbage_collection(settings: Settings) -> None:
    """Its start-up objects are frozen, so full collections under load do not walk them."""
    gc.unfreeze()
    try:
        cli.served_app(settings)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
