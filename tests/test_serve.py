"""`imprimatur serve --workers N`: what uvicorn's own multi-process start gets wrong."""

import gc
import pickle
import selectors
import socket
from typing import Any

import pytest

from service import serving
from service.settings import Settings


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What `run_workers` hands uvicorn's supervisor, which here starts nothing."""
    handed: dict[str, Any] = {}

    class Supervisor:
        def __init__(self, config: Any, sockets: list[Any]) -> None:
            handed.update(config=config, sockets=sockets)

        def run(self) -> None:
            handed["ran"] = True

    monkeypatch.setattr("uvicorn.supervisors.Multiprocess", Supervisor)
    return handed


def worker_sockets(handed: list[Any], workers: int) -> list[socket.socket]:
    """The sockets the workers would have, each unpickled in a process of its own."""
    [passed] = handed
    return [pickle.loads(pickle.dumps(passed)) for _ in range(workers)]


def test_workers_get_time_to_start(started: dict[str, Any]) -> None:
    serving.run_workers("service.serving:worker_app", workers=2, host="127.0.0.1", port=0)
    assert started["ran"] and started["config"].workers == 2
    assert started["config"].timeout_worker_healthcheck >= 30


def test_each_worker_listens_on_a_socket_of_its_own_and_connections_are_spread(
    started: dict[str, Any],
) -> None:
    serving.run_workers("service.serving:worker_app", workers=2, host="127.0.0.1", port=0)
    listeners = worker_sockets(started["sockets"], 2)
    clients: list[socket.socket] = []
    accepted: dict[socket.socket, int] = dict.fromkeys(listeners, 0)
    try:
        [port] = {listener.getsockname()[1] for listener in listeners}
        for listener in listeners:
            assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            listener.listen()
        # The reserving socket the parent bound does not listen: a connection handed to it
        # would be refused, and one of these would raise.
        clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(40)]
        with selectors.DefaultSelector() as ready:
            for listener in listeners:
                ready.register(listener, selectors.EVENT_READ)
            while sum(accepted.values()) < len(clients):
                events = ready.select(timeout=5)
                assert events, f"only {sum(accepted.values())} of 40 connections arrived"
                for key, _ in events:
                    connection, _ = key.fileobj.accept()  # type: ignore[union-attr]
                    connection.close()
                    accepted[key.fileobj] += 1  # type: ignore[index]
    finally:
        for opened in [*clients, *listeners]:
            opened.close()
    # Hashed over 40 source ports, both get some (all on one: a chance of 2 in 2^40).
    assert all(count > 0 for count in accepted.values()), accepted


def test_a_port_already_taken_is_a_clear_error(started: dict[str, Any]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit, match=f"Cannot listen on 127.0.0.1:{port}"):
            serving.run_workers(
                "service.serving:worker_app", workers=2, host="127.0.0.1", port=port
            )
    assert "ran" not in started


def test_a_served_application_is_set_aside_from_garbage_collection(settings: Settings) -> None:
    """Its start-up objects are frozen, so full collections under load do not walk them."""
    gc.unfreeze()
    try:
        serving.served_app(settings)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
