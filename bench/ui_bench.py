"""The web UI's models page at 10,000 models, rendered server-side; the API fast path.

Seeds a fresh SQLite registry (not timed): ``--models`` models, each with a tag, every
tenth with two versions (one in Production) and an alias. Then, in-process through the
ASGI app (no sockets: what is measured is the server's own work, from the scope to the
last body byte), times ``--repeat`` requests of each page after ``--warmup``:

* ``GET /models`` (first page, 50 rows), a later page, a text search, the newest-first sort;
* ``GET /api/2.0/mlflow/model-versions/get`` with and without the UI mounted
  (``--no-ui`` builds the app exactly as before the UI existed), to show the raw-ASGI
  API path is not slowed by the UI's routes.

Writes its section of docs/benchmarks.md (``ui-bench`` markers) unless ``--no-report``::

    .venv/bin/python bench/ui_bench.py              # 10,000 models
    .venv/bin/python bench/ui_bench.py --models 500 --repeat 20 --no-report
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote

from _report import replace_section
from modelreg.config import Settings
from modelreg.server import app as app_module
from modelreg.server.app import create_app
from modelreg.service.assembly import build_services


def seed(settings: Settings, models: int) -> None:
    services = build_services(settings.served(actor="bench"))
    services.db.ensure_schema()
    registry = services.registry
    for i in range(models):
        name = f"model-{i:05d}"
        registry.create_registered_model(name, tags={"team": f"team-{i % 20:02d}"})
        if i % 10 == 0:
            registry.create_model_version(name, f"s3://bucket/{name}/1")
            registry.create_model_version(name, f"s3://bucket/{name}/2")
            registry.transition_model_version_stage(name, 2, "Production")
            registry.set_registered_model_alias(name, "champion", 2)
    services.db.dispose()


async def _request(app: Any, path: str, query: str = "") -> tuple[int, int]:
    """One GET through the ASGI app as uvicorn would call it; (status, body bytes)."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    body = sum(len(m.get("body", b"")) for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


def _timed(
    loop: asyncio.AbstractEventLoop, app: Any, path: str, query: str, warmup: int, repeat: int
) -> dict[str, float]:
    for _ in range(warmup):
        status, _ = loop.run_until_complete(_request(app, path, query))
        if status != 200:
            raise SystemExit(f"GET {path}?{query} answered {status}")
    samples = []
    cpu = []
    size = 0
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        _, size = loop.run_until_complete(_request(app, path, query))
        samples.append((time.perf_counter() - start) * 1000)
        # CPU time of the whole process (event loop and worker thread): what the
        # request cost, without the time other processes had the cores.
        cpu.append((time.process_time() - start_cpu) * 1000)
    samples.sort()
    return {
        "cpu": statistics.median(cpu),
        "p50": statistics.median(samples),
        "p90": samples[int(len(samples) * 0.9) - 1],
        "max": samples[-1],
        "bytes": size,
    }


def _app(settings: Settings, ui: bool) -> Any:
    """The app as ``create_app`` builds it; without ``ui``, exactly as before the UI existed."""
    if ui:
        return create_app(settings)
    with mock.patch.object(app_module, "ui_routes", lambda _context, **_: []):
        return create_app(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # The versions are s3:// references (nothing to copy), stored only where allowed.
        settings = Settings(
            tracking_uri=f"sqlite:///{Path(tmp) / 'ui.db'}",
            artifact_root=str(Path(tmp) / "a"),
            allowed_source_schemes=frozenset({"s3"}),
        )
        started = time.perf_counter()
        seed(settings, args.models)
        print(
            f"seeded {args.models} models in {time.perf_counter() - started:.1f}s", file=sys.stderr
        )
        mid_page = _page_token((args.models // 2 // 50) * 50)
        pages = [
            ("`/models` (first page, 50 rows)", "/models", ""),
            ("`/models` (a page in the middle)", "/models", f"page={quote(mid_page)}"),
            ("`/models?q=model-001` (text search)", "/models", "q=model-001"),
            ("`/models?sort=-updated`", "/models", "sort=-updated"),
        ]
        api = ("/api/2.0/mlflow/model-versions/get", "name=model-00010&version=2")

        loop = asyncio.new_event_loop()
        with_ui, without_ui = _app(settings, True), _app(settings, False)
        try:
            # First, on two fresh apps, in alternating rounds, best p50 of each: the
            # machine's load drifts, the apps don't.
            rounds: dict[bool, list[dict[str, float]]] = {True: [], False: []}
            for _ in range(5):
                for ui, app in ((False, without_ui), (True, with_ui)):
                    rounds[ui].append(_timed(loop, app, *api, args.warmup, args.repeat * 2))
            before = min(rounds[False], key=lambda r: r["p50"])
            after = min(rounds[True], key=lambda r: r["p50"])
            # Pages likewise: 3 rounds over all pages, each page's best round.
            page_rounds: dict[str, list[dict[str, float]]] = {label: [] for label, _, _ in pages}
            for _ in range(3):
                for label, p, q in pages:
                    page_rounds[label].append(_timed(loop, with_ui, p, q, args.warmup, args.repeat))
            results = {label: min(r, key=lambda x: x["p50"]) for label, r in page_rounds.items()}
        finally:
            for app in (with_ui, without_ui):
                app.state.services.db.dispose()
            loop.close()
    load = os.getloadavg()[0]
    lines = [
        f"In-process through the ASGI app (no sockets), SQLite, {args.models:,} models "
        f"(every tenth with two versions, a Production stage and an alias); "
        f"3 rounds of {args.repeat} timed requests per page (after {args.warmup} warm-up), "
        "the best round of each (other work on the machine only ever adds), milliseconds. "
        f"Load average while measuring: {load:.1f} on {os.cpu_count()} cores. "
        "Run: `.venv/bin/python bench/ui_bench.py`.",
        "",
        "| page | CPU ms (p50) | wall p50 ms | wall p90 ms | wall max ms | HTML bytes |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, _, _ in pages:
        r = results[label]
        lines.append(
            f"| {label} | {r['cpu']:.1f} | {r['p50']:.1f} | {r['p90']:.1f} "
            f"| {r['max']:.1f} | {int(r['bytes']):,} |"
        )
    lines += [
        "",
        "The JSON API's raw-ASGI fast path with and without the UI mounted "
        f"(`GET /api/2.0/mlflow/model-versions/get`; 5 alternating rounds of {args.repeat * 2} "
        "requests per app, the best round's p50/p90, microseconds):",
        "",
        "| app | p50 µs | p90 µs |",
        "| --- | ---: | ---: |",
        f"| without the UI | {before['p50'] * 1000:.0f} | {before['p90'] * 1000:.0f} |",
        f"| with the UI | {after['p50'] * 1000:.0f} | {after['p90'] * 1000:.0f} |",
    ]
    report = "\n".join(lines)
    print(report)
    if not args.no_report:
        replace_section("ui-bench", "## Web UI: the models page at 10,000 models\n\n" + report)


def _page_token(offset: int) -> str:
    from modelreg import filters

    return filters.encode_page_token(offset) if offset else ""


if __name__ == "__main__":
    main()
