"""How long ``import modelreg`` takes, beside ``import mlflow``, in fresh interpreters.

Each import runs in a new process (so nothing is cached in ``sys.modules``), 15 times
after one warm-up (so the OS file cache is warm for both); the median is reported.
Writes the section between ``<!-- import-bench:start -->`` and ``<!-- import-bench:end -->``
of docs/benchmarks.md.

Usage::

    .venv/bin/python bench/import_time.py [--runs 15]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DOC = REPO_ROOT / "docs" / "benchmarks.md"

sys.path.insert(0, str(REPO_ROOT))
from tests.mlflow_env import MLFLOW_VERSION, ensure_mlflow_venv  # noqa: E402

from _report import replace_section  # noqa: E402

_PROBE = (
    "import time, sys; t = time.perf_counter(); import {module}; "
    "d = time.perf_counter() - t; "
    "heavy = [m for m in ('sklearn', 'numpy', 'pandas', 'sqlalchemy') if m in sys.modules]; "
    "print(d * 1000, ','.join(heavy))"
)


def measure(python: str, module: str, runs: int) -> tuple[float, str]:
    samples: list[float] = []
    heavy = ""
    for i in range(runs + 1):
        out = subprocess.run(
            [python, "-c", _PROBE.format(module=module)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        if i:  # the first run only warms the file cache
            samples.append(float(out[0]))
        heavy = out[1] if len(out) > 1 else ""
    return statistics.median(samples), heavy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    mlflow_python = str(ensure_mlflow_venv())
    pairs = [("modelreg", "mlflow"), ("modelreg.pyfunc", "mlflow.pyfunc")]
    rows = []
    for ours, theirs in pairs:
        ours_ms, ours_heavy = measure(sys.executable, ours, args.runs)
        theirs_ms, theirs_heavy = measure(mlflow_python, theirs, args.runs)
        rows.append((ours, ours_ms, ours_heavy, theirs, theirs_ms, theirs_heavy))
    print(json.dumps(rows, indent=2))
    lines = [
        "## Import time",
        "",
        f"`bench/import_time.py`, run {dt.date.today()}: median of {args.runs} fresh "
        f"interpreters each (after one warm-up), mlflow {MLFLOW_VERSION} in its own "
        'virtualenv. "Heavy modules loaded" lists which of sklearn, numpy, pandas and '
        "sqlalchemy the import pulled in.",
        "",
        "| import | ms | heavy modules loaded | mlflow import | ms | heavy modules loaded "
        "| ratio |",
        "| --- | ---: | --- | --- | ---: | --- | ---: |",
    ]
    for ours, ours_ms, ours_heavy, theirs, theirs_ms, theirs_heavy in rows:
        lines.append(
            f"| `import {ours}` | {ours_ms:.1f} | {ours_heavy or 'none'} | `import {theirs}` "
            f"| {theirs_ms:.1f} | {theirs_heavy or 'none'} | {theirs_ms / ours_ms:.1f}x |"
        )
    replace_section("import-bench", "\n".join(lines))


if __name__ == "__main__":
    main()
