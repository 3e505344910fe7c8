"""The request path's own cost, in process: GET model-versions/get straight into the ASGI app.

No sockets and no HTTP parsing: the app is called with a ready ASGI scope in a loop on
one event loop, so what is measured is modelreg's per-request work (routing, fields,
the read, encoding, access line, metrics). Used to price additions to that path
(docs/operations.md); compare two trees by running this under each.

    python bench/server_asgi_loop.py [--requests 20000] [--rounds 5] [--no-metrics]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.config
import tempfile
import time
from pathlib import Path
from typing import Any

from modelreg.config import Settings
from modelreg.server import ServerSettings, create_app, metrics
from modelreg.server.logging import log_config
from modelreg.server.request_id import request_id


async def _drive(app: Any, requests: int) -> float:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/2.0/mlflow/model-versions/get",
        "raw_path": b"/api/2.0/mlflow/model-versions/get",
        "root_path": "",
        "query_string": b"name=bench-model&version=1",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 5000),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    # CPU time of this process, not wall time: on a shared machine the wall clock
    # mostly measures the neighbours.
    started = time.process_time()
    for _ in range(requests):
        await app(dict(scope), receive, send)
    elapsed = time.process_time() - started
    if set(statuses) != {200}:
        raise SystemExit(f"unexpected statuses: {sorted(set(statuses))}")
    return requests / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-metrics", action="store_true")
    args = parser.parse_args()
    # The server's logging as `modelreg server` sets it up, into a file: access lines
    # are part of the path being priced.
    folder = Path(tempfile.mkdtemp(prefix="modelreg-asgi-bench-"))
    config = log_config("info", True)
    config["handlers"]["default"] = {
        "class": "logging.FileHandler",
        "formatter": "json",
        "filename": str(folder / "server.log"),
    }
    logging.config.dictConfig(config)
    # The version is an s3:// reference (nothing to copy), stored only where allowed.
    settings = Settings(
        tracking_uri=f"sqlite:///{folder / 'r.db'}",
        artifact_root=str(folder),
        allowed_source_schemes=frozenset({"s3"}),
    )
    kwargs: dict[str, Any] = {"read_cache_entries": 0}
    if args.no_metrics:
        kwargs["metrics"] = False
    app = create_app(settings, ServerSettings(**kwargs))
    services = app.state.services
    services.db.ensure_schema()
    services.registry.create_registered_model("bench-model")
    services.registry.create_model_version("bench-model", "s3://bucket/model")

    async def rounds() -> list[float]:
        await _drive(app, 2_000)  # warm-up
        return [await _drive(app, args.requests) for _ in range(args.rounds)]

    results = asyncio.run(rounds())
    # What /metrics and request ids add per request (one observe; a generated id, set
    # in the context and encoded for the header), priced in the same process: on a
    # shared machine the ratio of two whole runs is noisier than the few percent.
    observe = metrics.REQUESTS.observe
    labels = ("GET", "/api/2.0/mlflow/model-versions/get", 200)
    loops = 200_000
    started = time.process_time()
    for _ in range(loops):
        observe(labels, 0.0001)
    observe_us = (time.process_time() - started) / loops * 1e6
    started = time.process_time()
    for _ in range(loops):
        request_id(None).encode("ascii")
    id_us = (time.process_time() - started) / loops * 1e6
    request_us = 1e6 / max(results)
    print(
        f"GET model-versions/get in process: best {max(results):,.0f} req per CPU-s, "
        f"median {sorted(results)[len(results) // 2]:,.0f} over {args.rounds} rounds; "
        f"of {request_us:.1f} us per request, the metrics observe takes {observe_us:.2f} us "
        f"({observe_us / request_us:.1%}), the request id {id_us:.2f} us "
        f"({id_us / request_us:.1%})"
    )


if __name__ == "__main__":
    main()
