"""Writes from a plain Python HTTP client (requests), closed loop, 1 and 8 threads.

wrk's POSTs meet ``mlflow server``'s Nagle/delayed-ACK stall (see the one-send probe in
docs/benchmarks.md): through wrk it manages 11–13 writes/s, through a Python client
80–95. The write aims compare against MLflow's best client, so ``bench/server_bench.py``
runs this script (in the mlflow virtualenv, which has ``requests``) against each server
for the three write calls of the wrk runs: ``model-versions/create`` on the write models
``w-0`` … ``w-3``, ``model-versions/set-tag`` and ``model-versions/transition-stage``
to Production with ``archive_existing_versions=true`` on random seeded versions.

Each thread keeps one ``requests.Session`` (keep-alive) and sends the call in a closed
loop for ``--duration`` seconds after ``--warmup`` seconds; throughput = 200 answers ÷
seconds. A Python client tops out near 500 requests/s on a 2-core machine, so this is
MLflow's figure, never modelreg's (wrk measures modelreg). Run by hand::

    .venv-mlflow/bin/python bench/server_pyclient.py --url http://127.0.0.1:5000 \\
        --models 200 --versions 20 --duration 10

Prints JSON: ``{scenario: {"t1": {rps, ok, errors, p50_ms, p99_ms}, "t8": {...}}}``.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from collections.abc import Callable
from typing import Any

API = "/api/2.0/mlflow"
WRITE_MODELS = 4
THREADS = (1, 8)


def _bodies(models: int, versions: int) -> dict[str, tuple[str, Callable[[random.Random], Any]]]:
    def model(rng: random.Random) -> str:
        return f"m-{rng.randrange(models):04d}"

    def version(rng: random.Random) -> str:
        return str(rng.randint(1, versions))

    return {
        "mv_create": (
            "model-versions/create",
            lambda rng: {
                "name": (name := f"w-{rng.randrange(WRITE_MODELS)}"),
                "source": f"s3://bench-models/{name}/pyclient",
            },
        ),
        "set_tag": (
            "model-versions/set-tag",
            lambda rng: {
                "name": model(rng),
                "version": version(rng),
                "key": "bench",
                "value": str(rng.random()),
            },
        ),
        "transition": (
            "model-versions/transition-stage",
            lambda rng: {
                "name": model(rng),
                "version": version(rng),
                "stage": "Production",
                "archive_existing_versions": True,
            },
        ),
    }


def run(
    url: str,
    path: str,
    body: Callable[[random.Random], Any],
    threads: int,
    seconds: float,
    seed: int,
) -> dict[str, Any]:
    import requests

    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    start = threading.Barrier(threads + 1)
    stop_at = [0.0]

    def worker(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        with requests.Session() as session:
            start.wait()
            while (now := time.perf_counter()) < stop_at[0]:
                response = session.post(f"{url}{API}/{path}", json=body(rng), timeout=60)
                if response.status_code == 200:
                    latencies[index].append(time.perf_counter() - now)
                else:
                    errors[index] += 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    ordered = sorted(x for per in latencies for x in per)
    ok = len(ordered)

    def pct(q: float) -> float | None:
        return round(ordered[min(ok - 1, int(ok * q))] * 1000, 3) if ok else None

    return {
        "threads": threads,
        "seconds": round(elapsed, 3),
        "ok": ok,
        "errors": sum(errors),
        "rps": round(ok / elapsed, 1),
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scenarios", default="mv_create,set_tag,transition")
    args = parser.parse_args()
    bodies = _bodies(args.models, args.versions)
    out: dict[str, Any] = {}
    for key in [k for k in args.scenarios.split(",") if k]:
        path, body = bodies[key]
        out[key] = {}
        for threads in THREADS:
            if args.warmup > 0:
                run(args.url, path, body, threads, args.warmup, args.seed + 1)
            out[key][f"t{threads}"] = run(args.url, path, body, threads, args.duration, args.seed)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
