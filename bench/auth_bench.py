"""What ``--auth`` adds to a GET: the same request against the same database, auth off/on.

The app is driven in-process through its ASGI interface (no sockets, no HTTP parsing):
what is measured is the server's own work per request, where the authentication and
the permission check live. Cases (``GET /api/2.0/mlflow/model-versions/get``, a
bounded read served from the read cache on SQLite):

* ``off``: auth off, a claimed Basic name (today's default);
* ``on-owner``: auth on, the model's creator (a grant, checked per request);
* ``on-admin``: auth on, an admin (no grant lookup);
* ``on-token``: auth on, the creator with a Bearer token.

Runs interleave the cases round by round (the box is shared and noisy), after a
warm-up that fills the principal cache. Prints JSON; ``--write`` also updates the
``auth-bench`` section of docs/benchmarks.md.

    .venv/bin/python bench/auth_bench.py --requests 20000
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from modelreg.config import Settings
from modelreg.server import ServerSettings, create_app

PATH = "/api/2.0/mlflow/model-versions/get"
QUERY = b"name=churn&version=1"
PASSWORD = "owner-Pass-123!"


def basic(user: str, password: str) -> bytes:
    return b"Basic " + base64.b64encode(f"{user}:{password}".encode())


async def call(app: Any, authorization: bytes) -> tuple[int, float]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": QUERY,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", authorization)],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 5000),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    start = time.perf_counter_ns()
    await app(scope, receive, send)
    return status, (time.perf_counter_ns() - start) / 1000


def build(db: Path, artifacts: Path) -> dict[str, tuple[Any, bytes]]:
    # The version is an s3:// reference (nothing to copy), stored only where allowed.
    settings = Settings(
        tracking_uri=f"sqlite:///{db}",
        artifact_root=str(artifacts),
        allowed_source_schemes=frozenset({"s3"}),
    )
    off = create_app(settings, ServerSettings(workers=1))
    on = create_app(settings, ServerSettings(workers=1, auth=True))
    on.state.services.db.ensure_schema()
    auth = on.state.services.auth
    auth.create_user("owner", PASSWORD)
    auth.create_user("root", PASSWORD, is_admin=True)
    token, _ = auth.create_token("owner", "bench", None)
    return {
        "off": (off, basic("owner", "unchecked")),
        "on-owner": (on, basic("owner", PASSWORD)),
        "on-admin": (on, basic("root", PASSWORD)),
        "on-token": (on, b"Bearer " + token.encode()),
    }


async def run(requests: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        cases = build(Path(tmp) / "bench.db", Path(tmp) / "artifacts")
        on = cases["on-owner"][0]
        for app in {id(a): a for a, _ in cases.values()}.values():
            app.state.services.db.ensure_schema()  # what the lifespan does at startup
        # The model, created by its owner through the API (the owner gets MANAGE).
        from modelreg.service.auth import Level

        services = on.state.services
        services.registry.create_registered_model("churn")
        services.registry.create_model_version("churn", "s3://bucket/churn/1")
        services.auth.grant("owner", "registered_model", "churn", Level.MANAGE)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        per_round = max(1, requests // rounds)
        for app, header in cases.values():  # warm-up: caches, compiled statements
            for _ in range(200):
                status, _ = await call(app, header)
                assert status == 200, status
        for _ in range(rounds):
            for name, (app, header) in cases.items():
                for _ in range(per_round):
                    status, micros = await call(app, header)
                    assert status == 200
                    samples[name].append(micros)
    result: dict[str, Any] = {"requests_per_case": per_round * rounds, "path": PATH}
    for name, values in samples.items():
        values.sort()
        result[name] = {
            "p50_us": round(statistics.median(values), 2),
            "p90_us": round(values[int(len(values) * 0.9)], 2),
            "mean_us": round(statistics.fmean(values), 2),
        }
    for name in ("on-owner", "on-admin", "on-token"):
        result[f"{name}_overhead_p50_us"] = round(
            result[name]["p50_us"] - result["off"]["p50_us"], 2
        )
    return result


def section(result: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {name} | {result[name]['p50_us']} | {result[name]['p90_us']} | "
        f"{result.get(f'{name}_overhead_p50_us', 0.0)} |"
        for name in ("off", "on-owner", "on-admin", "on-token")
    )
    return (
        "## Authentication overhead (`bench/auth_bench.py`)\n\n"
        f"`GET {result['path']}` in-process through the ASGI app, "
        f"{result['requests_per_case']} requests per case, cases interleaved.\n\n"
        "| case | p50 µs | p90 µs | p50 overhead vs off (µs) |\n"
        "| --- | --- | --- | --- |\n"
        f"{rows}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    result = asyncio.run(run(args.requests, args.rounds))
    print(json.dumps(result, indent=2))
    if args.write:
        from _report import replace_section

        replace_section("auth-bench", section(result))


if __name__ == "__main__":
    main()
