"""Slow, stalled and idle clients cannot take the server down (issue 8), over real sockets.

Each finding is reproduced at a small scale by lowering the limit in the server's
settings: a pool of 4 threads and 6 stalled uploads, timeouts of a second, a
descriptor limit of 128 set with ``setrlimit`` in the server's process. Every wait is
bounded; loopback only. Marked ``slow`` (a server subprocess each).
"""

from __future__ import annotations

import concurrent.futures
import os
import resource
import signal
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.server.live import Server, running_server
from tests.store.test_sqlite import _start_holder

pytestmark = pytest.mark.slow

WAIT = 30.0  # liveness bound: how long anything may take before the test fails
ARTIFACT = "/api/2.0/mlflow-artifacts/artifacts/runs/stalled-{n}.bin"


def _connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)


def _closed_by_server(sock: socket.socket, within: float = WAIT) -> bytes:
    """Read until the server closes the connection; what it sent. Fails after ``within`` s."""
    sock.settimeout(within)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {within} s")
    return received


def _still_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""  # pragma: no cover - the server sent nothing
    except BlockingIOError:
        return True
    except ConnectionResetError:
        return False
    finally:
        sock.setblocking(True)


@contextmanager
def _sockets(server: Server, count: int, first: bytes = b"") -> Iterator[list[socket.socket]]:
    with ExitStack() as stack:
        socks = []
        for _ in range(count):
            sock = stack.enter_context(_connect(server))
            if first:
                sock.sendall(first)
            socks.append(sock)
        yield socks


def _stalled_upload(n: int) -> bytes:
    """An artifact PUT that declares 1 MB and sends 1 byte of it."""
    return (
        f"PUT {ARTIFACT.format(n=n)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\nx"
    ).encode()


def _uploaded(server: Server) -> object:
    url = f"{server.url}/api/2.0/mlflow-artifacts/artifacts"
    return httpx.get(url, params={"path": "runs"}, timeout=WAIT).json()


def _api_works(server: Server, http: httpx.Client, name: str) -> None:
    created = http.post(f"{server.api}/registered-models/create", json={"name": name})
    assert created.status_code == 200, created.text
    found = http.get(f"{server.api}/registered-models/search", params={"filter": f"name='{name}'"})
    assert found.status_code == 200 and found.json()["registered_models"][0]["name"] == name
    assert http.get(f"{server.url}/health").status_code == 200


# ------------------------------------------------------------- stalled uploads
def test_stalled_uploads_do_not_starve_writes_searches_or_health(tmp_path: Path) -> None:
    # A body timeout longer than the test: the uploads stay stalled throughout.
    with (
        running_server(
            tmp_path, "--workers", "1", "--threads", "4", "--body-timeout", "300"
        ) as server,
        ExitStack() as stack,
    ):
        stalled = [stack.enter_context(_connect(server)) for _ in range(6)]
        for n, sock in enumerate(stalled):
            sock.sendall(_stalled_upload(n))
        time.sleep(0.5)  # every upload has reached the server and is waiting for bytes
        with httpx.Client(timeout=WAIT) as http:
            _api_works(server, http, "while-uploads-stall")
        assert all(_still_open(sock) for sock in stalled)
        listing = httpx.get(
            f"{server.url}/api/2.0/mlflow-artifacts/artifacts",
            params={"path": "runs"},
            timeout=WAIT,
        )
        assert listing.json() == {}, "a stalled upload left a file behind"


def test_an_upload_that_stalls_past_the_body_timeout_is_dropped(tmp_path: Path) -> None:
    with running_server(tmp_path, "--workers", "1", "--body-timeout", "1") as server:
        with _connect(server) as sock:
            sock.sendall(_stalled_upload(0))
            answer = _closed_by_server(sock)
        assert answer.startswith(b"HTTP/1.1 408 ")
        listing = httpx.get(
            f"{server.url}/api/2.0/mlflow-artifacts/artifacts",
            params={"path": "runs"},
            timeout=WAIT,
        )
        assert listing.json() == {}
        with httpx.Client(timeout=WAIT) as http:
            _api_works(server, http, "after-the-timeout")


def test_a_slow_upload_that_keeps_sending_is_not_cut_off(tmp_path: Path) -> None:
    with running_server(tmp_path, "--workers", "1", "--body-timeout", "1") as server:
        pieces = [b"a" * 100] * 8

        def slowly() -> Iterator[bytes]:
            for piece in pieces:
                time.sleep(0.3)  # 2.4 s in all, never 1 s without a byte
                yield piece

        url = f"{server.url}{ARTIFACT.format(n='slow')}"
        put = httpx.put(url, content=slowly(), headers={"Content-Length": "800"}, timeout=WAIT)
        assert put.status_code == 200
        assert httpx.get(url, timeout=WAIT).content == b"".join(pieces)


def test_a_stalled_json_body_is_answered_408_and_closed(tmp_path: Path) -> None:
    with running_server(tmp_path, "--workers", "1", "--body-timeout", "1") as server:
        head = (
            "POST /api/2.0/mlflow/registered-models/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":'
        )
        with _connect(server) as sock:
            sock.sendall(head.encode())
            assert _closed_by_server(sock).startswith(b"HTTP/1.1 408 ")


# ---------------------------------------------------------------------- health
def test_health_reports_a_starved_server(tmp_path: Path) -> None:
    with running_server(
        tmp_path, "--workers", "1", "--threads", "2", "--health-timeout", "1"
    ) as server:
        assert httpx.get(f"{server.url}/health", timeout=WAIT).status_code == 200
        # Another process holds the database's write lock: both threads end up waiting
        # for it with a write each, and nothing else can get a thread.
        holder, release = _start_holder(f"sqlite:///{tmp_path / 'registry.db'}")
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            writes = [
                pool.submit(
                    httpx.post,
                    f"{server.api}/registered-models/create",
                    json={"name": f"queued-{n}"},
                    timeout=WAIT,
                )
                for n in range(2)
            ]
            try:
                time.sleep(0.5)
                starved = httpx.get(f"{server.url}/health", timeout=WAIT)
                assert starved.status_code == 503
                assert "UNAVAILABLE" in starved.text
            finally:
                release.send("go")
                holder.join(WAIT)
            assert [w.result().status_code for w in writes] == [200, 200]
        assert httpx.get(f"{server.url}/health", timeout=WAIT).status_code == 200


# --------------------------------------------------------- slow and idle clients
def test_silent_connections_are_closed_after_the_header_timeout(tmp_path: Path) -> None:
    with (
        running_server(tmp_path, "--workers", "1", "--header-timeout", "1") as server,
        _sockets(server, 50) as silent,
    ):
        for sock in silent:
            assert _closed_by_server(sock, within=10) == b""


def test_a_request_head_sent_slowly_is_answered_408_and_closed(tmp_path: Path) -> None:
    with running_server(tmp_path, "--workers", "1", "--header-timeout", "1") as server:
        head = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 40
        with _connect(server) as sock:
            sock.settimeout(WAIT)
            started = time.monotonic()
            answer = b""
            for byte in head:  # one byte every 0.1 s: 5 s in all, past the 1 s timeout
                try:
                    sock.sendall(bytes([byte]))
                except (BrokenPipeError, ConnectionResetError):
                    break
                time.sleep(0.1)
                if time.monotonic() - started > 3:
                    break
            answer = _closed_by_server(sock)
        assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_keep_alive_connection_gets_a_new_head_timeout_after_each_response(
    tmp_path: Path,
) -> None:
    with running_server(tmp_path, "--workers", "1", "--header-timeout", "2") as server:
        with httpx.Client(timeout=WAIT) as http:
            for _ in range(4):  # 3 s of keep-alive use, past one 2 s head timeout
                assert http.get(f"{server.url}/health").status_code == 200
                time.sleep(0.75)


def test_a_connection_silent_after_its_requests_is_closed_after_the_head_timeout(
    tmp_path: Path,
) -> None:
    # The timer is not re-armed per request; it must still end a connection that goes
    # quiet after many requests, and answer the requests that came before.
    request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with running_server(tmp_path, "--workers", "1", "--header-timeout", "1") as server:
        with _connect(server) as sock:
            for _ in range(50):
                sock.sendall(request)
                answer = sock.recv(65536)
                assert answer.startswith(b"HTTP/1.1 200 "), answer
            started = time.monotonic()
            assert _closed_by_server(sock, within=10) == b""
            assert time.monotonic() - started >= 0.5  # not closed early


def test_idle_sockets_under_a_low_descriptor_limit_cannot_lock_clients_out(
    tmp_path: Path,
) -> None:
    def low_descriptor_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))

    with running_server(
        tmp_path,
        "--workers",
        "1",
        "--threads",
        "2",
        "--header-timeout",
        "300",  # the idle sockets stay; only the cap protects the server here
        preexec=low_descriptor_limit,
    ) as server:
        with _sockets(server, 200) as idle:
            time.sleep(0.5)
            open_fds = len(os.listdir(f"/proc/{server.process.pid}/fd"))
            assert open_fds < 128
            with httpx.Client(timeout=WAIT) as http:
                _api_works(server, http, "under-the-cap")
            assert sum(_still_open(sock) for sock in idle) < 128


# ---------------------------------------------------------------- supervisor
def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_workers_die_with_a_killed_supervisor_and_the_port_is_free_again(
    tmp_path: Path,
) -> None:
    with running_server(tmp_path, "--workers", "2") as server:
        supervisor = server.process.pid
        deadline = time.monotonic() + WAIT
        while len(workers := [p for p in _children(supervisor) if _alive(p)]) < 2:
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.1)
        os.kill(supervisor, signal.SIGKILL)
        server.process.wait()
        deadline = time.monotonic() + WAIT
        while any(_alive(worker) for worker in workers):
            assert time.monotonic() < deadline, "workers still serving after the supervisor died"
            time.sleep(0.1)
        # Started again on the same port: nothing of the old server holds it.
        with running_server(
            tmp_path, "--workers", "2", port=server.port, log_name="again.log"
        ) as again:
            assert httpx.get(f"{again.url}/health", timeout=WAIT).status_code == 200
