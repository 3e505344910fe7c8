"""The write cost of the event hash chain on ``create_model_version``, embedded SQLite.

Two fresh databases, the same workload: versions registered with an external source
(no file copy) through the registry service, once as shipped (every event chained:
model-id lookup, chain-head lock and update, SHA-256) and once with the chaining step
replaced by the identity (events appended as before the chain existed). Interleaved
rounds, median per-call time of each. Also the cost of the hash alone.

Writes the section between ``<!-- history-chain-bench:start -->`` and ``…:end -->``
of docs/benchmarks.md.

Usage::

    .venv/bin/python bench/history_chain.py [--versions 300] [--rounds 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent / "src"))

from _report import replace_section  # noqa: E402
from modelreg.service import RegistryService, event_log  # noqa: E402
from modelreg.store.database import Database  # noqa: E402
from modelreg.store.history import event_hash  # noqa: E402

SOURCE = "s3://bucket/models/churn"


def _round(folder: Path, name: str, versions: int, chained: bool) -> float:
    """Median CPU microseconds per create_model_version over ``versions`` calls."""
    original: Callable[..., Any] = event_log._chained
    if not chained:
        event_log._chained = lambda _history, rows: rows  # type: ignore[assignment]
    db = Database(f"sqlite:///{folder / f'{name}.db'}")
    try:
        service = RegistryService(db, actor="bench")
        service.create_registered_model("m")
        for _ in range(20):  # warm-up: statements compiled, caches filled
            service.create_model_version("m", SOURCE)
        times = []
        for _ in range(versions):
            # CPU time of this thread: on a shared machine wall time is mostly waiting.
            start = time.thread_time_ns()
            service.create_model_version("m", SOURCE)
            times.append(time.thread_time_ns() - start)
        return statistics.median(times) / 1000
    finally:
        db.dispose()
        event_log._chained = original  # type: ignore[method-assign]


def _hash_cost() -> float:
    payload = '{"description":"","model_id":null,"name":"m","run_id":null,"source":"s3://b","tags":{},"version":7}'
    start = time.thread_time_ns()
    for _ in range(10_000):
        event_hash(
            "ab" * 32,
            timestamp=1,
            actor="bench",
            type="model_version.created",
            schema_version=1,
            model_id=1,
            model_name="m",
            version=7,
            subject=None,
            payload=payload,
        )
    return (time.thread_time_ns() - start) / 10_000 / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--versions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    chained: list[float] = []
    plain: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for index in range(args.rounds):
            plain.append(_round(folder, f"plain{index}", args.versions, chained=False))
            chained.append(_round(folder, f"chained{index}", args.versions, chained=True))
    with_chain, without = statistics.median(chained), statistics.median(plain)
    hashing = _hash_cost()
    extra = with_chain - without
    section = "\n".join(
        [
            "## Event hash chain: write cost",
            "",
            f"`bench/history_chain.py`, {dt.date.today()}: `create_model_version` "
            f"(external source), embedded SQLite, median of {args.rounds} interleaved "
            f"rounds of {args.versions} calls.",
            "",
            "| | CPU µs per call (median) |",
            "|---|---|",
            f"| events not chained | {without:.0f} |",
            f"| events chained (shipped) | {with_chain:.0f} |",
            f"| difference | {extra:+.0f} ({extra / without:+.1%}) |",
            f"| of which SHA-256 of the canonical row | {hashing:.1f} |",
        ]
    )
    print(section)
    replace_section("history-chain-bench", section)


if __name__ == "__main__":
    main()
