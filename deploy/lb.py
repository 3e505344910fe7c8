"""A small TCP round-robin load balancer for the deployment demo (asyncio, no deps).

    python deploy/lb.py --listen 127.0.0.1:8080 127.0.0.1:5001 127.0.0.1:5002

Each new client connection goes to the next backend in turn; a backend that refuses
the connection is skipped (the next one is tried), so stopping one replica does not
fail new connections. Bytes are copied both ways until either side closes. It is a
stand-in for nginx or HAProxy in docs/deployment.md, not a production proxy (no health
checks, no TLS, no X-Forwarded-For).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import signal
import sys


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            if writer.can_write_eof():
                writer.write_eof()


class RoundRobin:
    def __init__(self, backends: list[tuple[str, int]]) -> None:
        self.backends = backends
        self._turn = itertools.cycle(range(len(backends)))

    async def handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        for _ in range(len(self.backends)):
            host, port = self.backends[next(self._turn)]
            try:
                upstream = await asyncio.open_connection(host, port)
                break
            except OSError:
                continue
        if upstream is None:
            client_w.close()
            return
        server_r, server_w = upstream
        try:
            await asyncio.gather(_pipe(client_r, server_w), _pipe(server_r, client_w))
        finally:
            for writer in (server_w, client_w):
                writer.close()


async def serve(listen: tuple[str, int], backends: list[tuple[str, int]]) -> None:
    balancer = RoundRobin(backends)
    server = await asyncio.start_server(balancer.handle, *listen)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"load balancer on {listen[0]}:{port} -> {backends}\n")
    sys.stdout.flush()
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="TCP round-robin load balancer (demo).")
    parser.add_argument("--listen", default="127.0.0.1:8080")
    parser.add_argument("backends", nargs="+", help="host:port of each replica")
    args = parser.parse_args()
    asyncio.run(serve(_address(args.listen), [_address(b) for b in args.backends]))


if __name__ == "__main__":
    main()
