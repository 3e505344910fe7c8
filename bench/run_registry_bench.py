"""Run the registry workload under MLflow and modelreg, and write the report.

Runs ``bench/registry_workload.py`` twice, one implementation after the other
(never concurrently: the machine has 2 cores), on the same dataset and seed:

* ``--impl mlflow`` in the mlflow virtualenv (created on demand by
  ``tests/mlflow_env.py``: ``ensure_mlflow_venv()``);
* ``--impl modelreg`` in this interpreter (the project venv).

Then it writes ``bench/results/registry-<YYYY-MM-DD>.json`` (both raw results
plus machine facts) and regenerates the section of ``docs/benchmarks.md``
between ``<!-- registry-bench:start -->`` and ``<!-- registry-bench:end -->``
(the rest of the file is left alone; the file is created if absent).

Usage::

    .venv/bin/python bench/run_registry_bench.py                  # full: 2000 x 50
    .venv/bin/python bench/run_registry_bench.py --models 40 --versions 5 \\
        --repeat 50 --repeat-pagethrough 10 --warmup 5            # smoke test
    # reuse an earlier run's JSON instead of re-running an implementation:
    .venv/bin/python bench/run_registry_bench.py --mlflow-result mlflow.json

A full run takes about 11 minutes on this 2-core machine: MLflow ~4 min, modelreg ~5 min
(most of it seeding 100k versions through its client API until a bulk path exists).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _report import replace_section

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
WORKLOAD = BENCH_DIR / "registry_workload.py"
RESULTS_DIR = BENCH_DIR / "results"
DOC = REPO_ROOT / "docs" / "benchmarks.md"


# Ops in report order, with a human label. "read" ops share the >=10x aim.
OPS: list[tuple[str, str, str]] = [
    ("get_model_version", "get_model_version", "read"),
    ("get_registered_model", "get_registered_model", "read"),
    ("get_latest_versions_production", 'get_latest_versions(["Production"])', "read"),
    ("get_latest_versions_all", "get_latest_versions (all stages)", "read"),
    ("search_model_versions_by_name", "search_model_versions name='m-NNNN'", "read"),
    ("search_model_versions_by_tag", "search_model_versions tag.build='…'", "read"),
    (
        "search_registered_models_like_pagethrough",
        "search_registered_models LIKE '%12%', full page-through",
        "read",
    ),
    (
        "search_registered_models_like_page",
        "search_registered_models LIKE '%12%', per page",
        "read",
    ),
    ("create_model_version", "create_model_version", "create"),
    ("transition_model_version_stage", "transition_model_version_stage", "write"),
]
READ_SPEEDUP = 10.0
CREATE_SPEEDUP = 5.0
GET_P50_MS = 1.0


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- running


def mlflow_python() -> Path:
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    from mlflow_env import ensure_mlflow_venv

    return Path(ensure_mlflow_venv())


def wait_idle(max_load: float, timeout_s: float) -> float:
    """Wait (up to ``timeout_s``) for the 1-min load average to drop below
    ``max_load``, so other work on the machine skews the numbers less."""
    deadline = time.monotonic() + timeout_s
    load = os.getloadavg()[0]
    if load >= max_load:
        log(f"load average {load:.2f} >= {max_load}; waiting up to {timeout_s:.0f}s")
    while load >= max_load and time.monotonic() < deadline:
        time.sleep(5)
        load = os.getloadavg()[0]
    if load >= max_load:
        log(f"warning: still busy (load {load:.2f}); numbers will be noisy")
    return load


def run_workload(impl: str, python: Path, args: argparse.Namespace) -> dict[str, Any]:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    if args.wait_idle > 0:
        wait_idle(args.max_load, args.wait_idle)
    out = RESULTS_DIR / f"registry-{impl}.json.tmp"  # *.tmp is git-ignored
    cmd = [
        str(python),
        str(WORKLOAD),
        "--impl",
        impl,
        "--models",
        str(args.models),
        "--versions",
        str(args.versions),
        "--seed",
        str(args.seed),
        "--repeat",
        str(args.repeat),
        "--repeat-pagethrough",
        str(args.repeat_pagethrough),
        "--warmup",
        str(args.warmup),
        "--out",
        str(out),
    ]
    if not args.fingerprint:
        cmd.append("--no-fingerprint")
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    log(f"running {impl}: {' '.join(cmd)}")
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=REPO_ROOT)
    result: dict[str, Any] = json.loads(out.read_text())
    result.setdefault("timing", {})["wall_s"] = round(time.perf_counter() - t0, 1)
    out.unlink()
    log(f"{impl} done in {result['timing']['wall_s']}s")
    return result


# --------------------------------------------------------------------------- facts


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError):
        pass
    return None


def machine_facts() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "mem_total_gib": mem_total_gib(),
        "os": platform.platform(),
        "runner_python": platform.python_version(),
    }


# --------------------------------------------------------------------------- aims


def aim_for(op: str, kind: str) -> str:
    if kind == "read":
        aim = f"≥{READ_SPEEDUP:g}× faster"
        if op.startswith("get_"):
            aim += f", p50 < {GET_P50_MS:g} ms"
        return aim
    if kind == "create":
        return f"≥{CREATE_SPEEDUP:g}× faster"
    return "none (reported)"


def aim_met(op: str, kind: str, ratio: float | None, p50: float | None) -> str:
    if ratio is None or p50 is None:
        return "not run"
    if kind == "read":
        ok = ratio >= READ_SPEEDUP
        if op.startswith("get_"):
            ok = ok and p50 < GET_P50_MS
    elif kind == "create":
        ok = ratio >= CREATE_SPEEDUP
    else:
        return "—"
    return "met" if ok else "**not met**"


def compare(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    ml = results.get("mlflow", {}).get("ops", {})
    mr = results.get("modelreg", {}).get("ops", {})
    rows: dict[str, dict[str, Any]] = {}
    for op, _label, kind in OPS:
        a, b = ml.get(op), mr.get(op)
        ratio = cpu_ratio = None
        if a and b and b["p50_ms"] > 0:
            ratio = round(a["p50_ms"] / b["p50_ms"], 2)
        if a and b and b.get("cpu_p50_ms") and a.get("cpu_p50_ms"):
            cpu_ratio = round(a["cpu_p50_ms"] / b["cpu_p50_ms"], 2)
        rows[op] = {
            "kind": kind,
            "aim": aim_for(op, kind),
            "ratio_p50": ratio,
            "ratio_cpu_p50": cpu_ratio,
            "met": aim_met(op, kind, ratio, b["p50_ms"] if b else None),
        }
    return rows


# --------------------------------------------------------------------------- report


def fmt_ms(v: float | None) -> str:
    if v is None:
        return "—"
    if v >= 100:
        return f"{v:.0f} ms"
    if v >= 10:
        return f"{v:.1f} ms"
    return f"{v:.3f} ms" if v < 1 else f"{v:.2f} ms"


def render_section(report: dict[str, Any]) -> str:
    res: dict[str, dict[str, Any]] = report["results"]
    ml, mr = res.get("mlflow"), res.get("modelreg")
    any_run = ml or mr or {}
    ds = any_run.get("dataset", {})
    params = any_run.get("params", {})
    m = report["machine"]
    lines = [
        "## Registry: modelreg vs MLflow's SqlAlchemyStore (SQLite)",
        "",
        f"_Generated by `bench/run_registry_bench.py` on {report['date']}; "
        f"raw data: `bench/results/{report['file']}`._",
        "",
        "Both implementations run the same script, `bench/registry_workload.py`, "
        "through an `MlflowClient`-shaped API on a local SQLite file: MLflow "
        "embedded (`mlflow.MlflowClient(tracking_uri=registry_uri='sqlite:///…')`, "
        "its own `SqlAlchemyStore`, no server) and `modelreg.MlflowClient("
        "tracking_uri='sqlite:///…')`.",
        "",
        "**Machine**",
        "",
        f"- CPU: {m['cpu_model']}, {m['nproc']} cores"
        + (f", {m['mem_total_gib']} GiB RAM" if m.get("mem_total_gib") else ""),
        f"- OS: {m['os']}",
        f"- MLflow: {ml['version'] if ml else '—'} "
        f"(Python {ml.get('python', '?') if ml else '—'}, separate venv)",
        f"- modelreg: {mr['version'] if mr else '—'} "
        f"(Python {mr.get('python', '?') if mr else '—'})",
        "",
        "**Dataset and method**",
        "",
        f"- {ds.get('models', '?'):,} models × {ds.get('versions', '?')} versions "
        f"= {ds.get('total_versions', 0):,} versions, seed {ds.get('seed', '?')}. "
        "Each model is tagged `team=team-NN` (20 teams); each version is tagged "
        "`build=<12 hex>`, a unique build id, so `tag.build='…'` matches exactly "
        "one version. Per model the newest version is in Staging, the one before "
        "it in Production, every 10th older one Archived.",
        f"- `{ds.get('like_filter', '')}` matches {ds.get('like_matches', '?')} "
        f"models, paged with max_results={ds.get('page_size', '?')} until the "
        "token is empty.",
        f"- Seeding (not measured): MLflow `{ml['dataset']['seeding'] if ml else '—'}`"
        f", modelreg `{mr['dataset']['seeding'] if mr else '—'}`. " + data_identity(ml, mr),
        f"- Each op: {params.get('warmup', '?')} warm-up calls, then "
        f"{params.get('repeat', '?')} timed calls "
        f"({params.get('repeat_pagethrough', '?')} for the page-through) on "
        "random seeded targets, each timed with `perf_counter_ns`. Reads first, "
        "then create_model_version on existing models, then "
        "transition_model_version_stage to Production with "
        "archive_existing_versions=True.",
        "- Aims (from the issue): every read ≥10× faster than MLflow's store at "
        "p50, get_* p50 < 1 ms, create_model_version ≥5× faster. "
        "Ratio = MLflow p50 / modelreg p50 (wall clock); aims are judged on it.",
        "- CPU ratio = the same for the calling thread's CPU time per call "
        "(`thread_time_ns`): other load on the machine inflates wall-clock "
        "latencies (see the load averages below) far more than CPU time, so it "
        "is the steadier comparison on a busy machine; it leaves out waiting "
        "(fsync, locks), which matters for the writes.",
        "",
        "| Operation | MLflow p50 | MLflow p99 | modelreg p50 | modelreg p99 "
        "| Ratio | CPU ratio | Aim | Met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    cmp_rows = report["comparison"]
    for op, label, _kind in OPS:
        a = ml["ops"].get(op) if ml else None
        b = mr["ops"].get(op) if mr else None
        c = cmp_rows[op]
        ratio = f"{c['ratio_p50']:.1f}×" if c["ratio_p50"] is not None else "—"
        cpu = c.get("ratio_cpu_p50")
        cpu_ratio = f"{cpu:.1f}×" if cpu is not None else "—"
        lines.append(
            f"| {label} | {fmt_ms(a['p50_ms'] if a else None)} "
            f"| {fmt_ms(a['p99_ms'] if a else None)} "
            f"| {fmt_ms(b['p50_ms'] if b else None)} "
            f"| {fmt_ms(b['p99_ms'] if b else None)} "
            f"| {ratio} | {cpu_ratio} | {c['aim']} | {c['met']} |"
        )
    lines += ["", run_times(ml, mr), ""]
    return "\n".join(lines)


def data_identity(ml: dict[str, Any] | None, mr: dict[str, Any] | None) -> str:
    fa = ml["dataset"].get("fingerprint") if ml else None
    fb = mr["dataset"].get("fingerprint") if mr else None
    if fa and fb:
        if fa == fb:
            return (
                "The data read back through each client hashes to the same "
                f"fingerprint (`{fa[:12]}`), so both stores hold identical data."
            )
        return "**Warning: the two stores' data fingerprints differ.**"
    return "Data fingerprint comparison not available for this run."


def run_times(ml: dict[str, Any] | None, mr: dict[str, Any] | None) -> str:
    parts = []
    for name, r in (("MLflow", ml), ("modelreg", mr)):
        if r:
            t = r.get("timing", {})
            load = r.get("loadavg", {})
            la = (
                f", 1-min load {load['start'][0]} → {load['end'][0]}"
                if load.get("start") and load.get("end")
                else ""
            )
            parts.append(
                f"{name}: seeding {t.get('seed_s', '?')} s, measured ops "
                f"{t.get('measure_s', '?')} s, whole run {t.get('wall_s', '?')} s{la}"
            )
    return "Run times: " + "; ".join(parts) + "." if parts else ""


# --------------------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Run the registry benchmark (both impls).")
    p.add_argument("--models", type=int, default=2000)
    p.add_argument("--versions", type=int, default=50)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--repeat", type=int, default=1000)
    p.add_argument("--repeat-pagethrough", type=int, default=100)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--no-fingerprint", dest="fingerprint", action="store_false")
    p.add_argument(
        "--impls",
        default="mlflow,modelreg",
        help="comma-separated implementations to run (default: both)",
    )
    p.add_argument("--mlflow-result", type=Path, help="reuse this workload JSON")
    p.add_argument("--modelreg-result", type=Path, help="reuse this workload JSON")
    p.add_argument(
        "--wait-idle",
        type=float,
        default=120.0,
        help="before each run wait up to this many seconds for the machine to be "
        "idle (1-min load < --max-load); 0 disables (default: 120)",
    )
    p.add_argument("--max-load", type=float, default=1.0)
    p.add_argument("--date", help="date for the results file name (default: today)")
    p.add_argument("--no-doc", action="store_true", help="don't touch docs/")
    return p.parse_args()


def main() -> int:
    args = parse_args()
    impls = [i for i in args.impls.split(",") if i]
    results: dict[str, dict[str, Any]] = {}
    failed: list[str] = []
    reuse = {"mlflow": args.mlflow_result, "modelreg": args.modelreg_result}
    for impl in ("mlflow", "modelreg"):
        path = reuse[impl]
        if path is not None:
            results[impl] = json.loads(path.read_text())
            log(f"{impl}: reusing {path}")
        elif impl in impls:
            python = mlflow_python() if impl == "mlflow" else Path(sys.executable)
            try:
                results[impl] = run_workload(impl, python, args)
            except subprocess.CalledProcessError as exc:
                # Keep the other implementation's numbers; report this one as not run.
                log(f"{impl} failed (exit {exc.returncode}); see its stderr above")
                failed.append(impl)

    if not results:
        raise SystemExit("nothing ran")
    dsets = {
        (r["dataset"]["models"], r["dataset"]["versions"], r["dataset"]["seed"])
        for r in results.values()
    }
    if len(dsets) > 1:
        raise SystemExit(f"results are for different datasets: {sorted(dsets)}")

    date = args.date or dt.date.today().isoformat()
    file = f"registry-{date}.json"
    report: dict[str, Any] = {
        "date": date,
        "file": file,
        "machine": machine_facts(),
        "results": results,
        "comparison": compare(results),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / file).write_text(json.dumps(report, indent=2) + "\n")
    log(f"wrote {RESULTS_DIR / file}")
    section = render_section(report)
    if not args.no_doc:
        replace_section("registry-bench", section)
        log(f"updated {DOC}")
    print(section)
    if failed:
        log(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
