"""The real MLflow client's registry calls against a server, timed one after the other.

``bench/server_bench.py`` runs this inside the mlflow virtualenv (``tests/mlflow_env.py``)
once per server, against a server it seeded (models ``m-NNNN`` with ``--versions``
versions each, write models ``w-0`` .. ``w-3``; see ``server_bench.py``). Run by hand::

    .venv-mlflow/bin/python bench/server_mlflow_client.py --url http://127.0.0.1:5000 \\
        --models 200 --versions 20 --repeat 200 --warmup 20

For each call (``mlflow.MlflowClient(url)``): ``--warmup`` untimed calls, then up to
``--repeat`` timed calls (at most ``--max-seconds`` each op) on random seeded targets,
each timed with ``time.perf_counter_ns``. The HTTP requests each call makes are counted
by wrapping ``requests.Session.request`` (the MLflow client adds a
``GET registered-models/get`` before many calls; mlflow-wire.md §5). Prints JSON:
``{mlflow_version, ops: {name: {n, p50_ms, p90_ms, p99_ms, mean_ms,
http_requests_per_call}}}``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

WRITE_MODELS = 4


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    warnings.filterwarnings("ignore")  # stage APIs are deprecated (FutureWarning)
    import mlflow

    # "Waiting up to 300 seconds for model version to finish creation" on every create
    # (an INFO line; the version is READY at once, so the client never actually polls).
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    import requests

    sent = [0]
    original = requests.Session.request

    def counting(self: requests.Session, *a: Any, **kw: Any) -> requests.Response:
        sent[0] += 1
        return original(self, *a, **kw)

    requests.Session.request = counting  # type: ignore[method-assign]
    client = mlflow.MlflowClient(args.url)

    def model(rng: random.Random) -> str:
        return f"m-{rng.randrange(args.models):04d}"

    def version(rng: random.Random) -> str:
        return str(rng.randint(1, args.versions))

    counter = [0]

    def set_tag(rng: random.Random) -> None:
        counter[0] += 1
        client.set_model_version_tag(model(rng), version(rng), "bench", f"client-{counter[0]}")

    ops: list[tuple[str, Callable[[random.Random], object]]] = [
        ("get_registered_model", lambda r: client.get_registered_model(model(r))),
        ("get_model_version", lambda r: client.get_model_version(model(r), version(r))),
        (
            "get_latest_versions",
            lambda r: client.get_latest_versions(model(r), ["Production"]),
        ),
        (
            "search_model_versions",
            lambda r: client.search_model_versions(f"name='{model(r)}'"),
        ),
        (
            "create_model_version",
            lambda r: client.create_model_version(
                f"w-{r.randrange(WRITE_MODELS)}", "s3://bench-models/w/client"
            ),
        ),
        (
            "transition_model_version_stage",
            lambda r: client.transition_model_version_stage(
                model(r), version(r), "Production", archive_existing_versions=True
            ),
        ),
        ("set_model_version_tag", set_tag),
    ]
    results: dict[str, Any] = {}
    for name, op in ops:
        rng = random.Random(f"{args.seed}-{name}")
        for _ in range(args.warmup):
            op(rng)
        times: list[float] = []
        sent[0] = 0
        deadline = time.perf_counter() + args.max_seconds
        while len(times) < args.repeat and time.perf_counter() < deadline:
            t0 = time.perf_counter_ns()
            op(rng)
            times.append((time.perf_counter_ns() - t0) / 1e6)
        ordered = sorted(times)
        results[name] = {
            "n": len(times),
            "p50_ms": round(statistics.median(ordered), 3),
            "p90_ms": round(percentile(ordered, 0.90), 3),
            "p99_ms": round(percentile(ordered, 0.99), 3),
            "mean_ms": round(statistics.fmean(ordered), 3),
            "http_requests_per_call": round(sent[0] / len(times), 2),
        }
        print(f"  {name}: p50 {results[name]['p50_ms']} ms", file=sys.stderr, flush=True)
    json.dump(
        {"mlflow_version": mlflow.__version__, "python": sys.version.split()[0], "ops": results},
        sys.stdout,
    )
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
