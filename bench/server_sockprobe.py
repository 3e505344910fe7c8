"""The "one send per response" check for ``bench/server_bench.py``, on a raw socket.

Not a script of its own; ``server_bench.py`` imports it. :func:`keepalive_probe` sends
``count`` requests one after the other on a single keep-alive connection, each request
in one ``send`` (as wrk and Python's http.client do), reads each response completely
(Content-Length or chunked), and times it. The client socket keeps the kernel's
defaults (Nagle on, delayed ACKs on), like most HTTP clients' receive side.

Afterwards ``getsockopt(TCP_INFO)`` gives ``tcpi_data_segs_in`` (Linux ≥ 4.6): the data
segments the client received. On loopback one ``send`` of a small response is one
segment, so segments per response counts the server's writes per response (a
response written as headers + body in two writes shows as 2). A server that writes
twice with Nagle on stalls on the second write until the client's delayed ACK
(~40 ms on Linux); with TCP_NODELAY set the two writes cost an extra packet and
syscall but no stall. Latencies ≥ ``STALL_MS`` are counted as stalls.

With ``quickack=True`` the client sets ``TCP_QUICKACK`` before every read, so it ACKs
at once instead of delaying: if a server's stall disappears then, the stall was the
Nagle/delayed-ACK interaction and not time spent in the server.
"""

from __future__ import annotations

import socket
import statistics
import struct
import time
from typing import Any, Final

STALL_MS: Final = 30.0
_TCP_INFO_LEN: Final = 232
_DATA_SEGS_IN: Final = 152  # offsetof(struct tcp_info, tcpi_data_segs_in)
_DATA_SEGS_OUT: Final = 156


def _data_segments(sock: socket.socket) -> tuple[int, int]:
    raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_LEN)
    if len(raw) < _DATA_SEGS_OUT + 4:
        raise RuntimeError("TCP_INFO too short: kernel without tcpi_data_segs_in")
    segs_in, segs_out = struct.unpack_from("=II", raw, _DATA_SEGS_IN)
    return int(segs_in), int(segs_out)


class _Reader:
    def __init__(self, sock: socket.socket, quickack: bool) -> None:
        self.sock = sock
        self.buf = b""
        self.quickack = quickack

    def _fill(self) -> None:
        if self.quickack:  # not sticky: the kernel may fall back to delayed ACKs
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def until(self, marker: bytes) -> bytes:
        while (i := self.buf.find(marker)) < 0:
            self._fill()
        out, self.buf = self.buf[: i + len(marker)], self.buf[i + len(marker) :]
        return out

    def exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self) -> tuple[int, dict[str, str], bytes]:
        head = self.until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        headers = {}
        for line in head[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            return status, headers, self.exactly(int(headers["content-length"]))
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.until(b"\r\n").strip().split(b";")[0], 16)
                if size == 0:
                    self.until(b"\r\n")
                    return status, headers, body
                body += self.exactly(size)
                self.exactly(2)
        raise RuntimeError(f"response without length: {headers}")


def keepalive_probe(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    *,
    count: int = 200,
    warmup: int = 10,
    max_seconds: float = 30.0,
    quickack: bool = False,
) -> dict[str, Any]:
    """Sequential requests on one keep-alive connection: latency and segments/response."""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: */*\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    request = head.encode() + b"\r\n" + (body or b"")
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    chunked = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = _Reader(sock, quickack)
        for _ in range(warmup):
            sock.sendall(request)
            reader.response()
        segs_in0, segs_out0 = _data_segments(sock)
        deadline = time.perf_counter() + max_seconds
        while len(latencies) < count and time.perf_counter() < deadline:
            t0 = time.perf_counter_ns()
            sock.sendall(request)
            status, headers, _ = reader.response()
            latencies.append((time.perf_counter_ns() - t0) / 1e6)
            statuses[status] = statuses.get(status, 0) + 1
            chunked += headers.get("transfer-encoding", "").lower() == "chunked"
        segs_in1, segs_out1 = _data_segments(sock)
    n = len(latencies)
    ordered = sorted(latencies)
    return {
        "quickack": quickack,
        "requests": n,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "segments_per_response": round((segs_in1 - segs_in0) / n, 2) if n else None,
        "segments_per_request": round((segs_out1 - segs_out0) / n, 2) if n else None,
        "chunked_responses": chunked,
        "p50_ms": round(statistics.median(ordered), 3) if n else None,
        "p99_ms": round(ordered[min(n - 1, int(n * 0.99))], 3) if n else None,
        "max_ms": round(ordered[-1], 3) if n else None,
        "stalls": sum(1 for v in latencies if v >= STALL_MS),
    }
