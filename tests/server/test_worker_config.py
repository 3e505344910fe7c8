"""How ``modelreg server`` configures uvicorn for its worker processes, and their sockets."""

from __future__ import annotations

import inspect
import socket
import time
from multiprocessing.reduction import ForkingPickler

import pytest
import uvicorn

from modelreg.errors import RegistryError
from modelreg.server import ServerSettings
from modelreg.server.main import (
    WORKER_HEALTHCHECK_SECONDS,
    _config,
    bind_listener,
    per_worker_listener,
)


def test_a_worker_that_is_still_starting_is_not_killed_by_its_supervisor() -> None:
    # uvicorn 0.50+ kills a worker that has not answered a health ping within 5 s: on a
    # loaded machine the imports alone take longer, and the workers were replaced
    # forever without ever serving.
    config = _config(object(), ServerSettings(), workers=2, factory=True)
    if "timeout_worker_healthcheck" not in inspect.signature(uvicorn.Config).parameters:
        pytest.skip("this uvicorn has no worker health check")
    assert config.timeout_worker_healthcheck == WORKER_HEALTHCHECK_SECONDS >= 60


needs_reuse_port = pytest.mark.skipif(
    not hasattr(socket, "SO_REUSEPORT"), reason="no SO_REUSEPORT on this platform"
)


def _in_worker(listener: socket.socket) -> socket.socket:
    # What a spawned worker gets: the supervisor's socket list is pickled to it.
    arrived: socket.socket = ForkingPickler.loads(ForkingPickler.dumps(listener))
    return arrived


@needs_reuse_port
def test_each_worker_listens_on_a_socket_of_its_own_and_both_get_connections() -> None:
    listener = per_worker_listener(bind_listener("127.0.0.1", 0))
    port = listener.getsockname()[1]
    workers = [_in_worker(listener) for _ in range(2)]
    try:
        for sock in workers:
            assert sock.fileno() != listener.fileno()
            assert sock.getsockname() == ("127.0.0.1", port)
            sock.listen(64)
            sock.setblocking(False)
        accepted = [0, 0]
        clients = []
        for _ in range(40):
            clients.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(0.1)
        for i, sock in enumerate(workers):
            while True:
                try:
                    conn, _ = sock.accept()
                except BlockingIOError:
                    break
                conn.close()
                accepted[i] += 1
        # Spread by the kernel over the two sockets by address: all 40 on one is 2^-39.
        assert sum(accepted) == 40
        assert min(accepted) > 0
    finally:
        for sock in [*workers, *clients, listener]:
            sock.close()


@needs_reuse_port
def test_another_server_cannot_take_the_port_of_one_with_workers() -> None:
    listener = per_worker_listener(bind_listener("127.0.0.1", 0))
    port = listener.getsockname()[1]
    worker = _in_worker(listener)
    worker.listen(8)
    try:
        with pytest.raises(RegistryError, match="already in use"):
            bind_listener("127.0.0.1", port)
    finally:
        worker.close()
        listener.close()
