"""A registry of 100,000 versions through the server: ``search_registered_models`` with LIKE.

The server bench (``bench/server_bench.py``) seeds 4,000 versions through the REST API;
this one measures the search the issue names at the size it names: 2,000 models × 50
versions, ``name LIKE '%12%'`` (139 matching models), first page of 100, over HTTP
against ``modelreg server`` (default settings, and again with its read cache off) and
``mlflow server`` in the same run, one after the other.

Seeding reuses ``bench/registry_workload.py`` (the dataset of the in-process registry
bench): MLflow's database is bulk-inserted with SQL into the schema MLflow itself
created, modelreg's goes through its embedded client; both are then read back through
their clients and fingerprinted, so both servers serve the same data. Then each server
starts on its file and wrk asks for the page for ``--duration`` seconds on 1 and on 8
keep-alive connections (after a ``--warmup`` run, and once the server is idle again);
the first answer is checked (100 models, a next-page token) before any load.

Writes ``bench/results/server-large-<YYYY-MM-DD>.json`` and the section of
``docs/benchmarks.md`` between ``<!-- server-large-bench:start -->`` and
``<!-- server-large-bench:end -->``.

Usage::

    .venv/bin/python bench/server_large.py                     # ~5 min
    .venv/bin/python bench/server_large.py --models 200 --versions 10 --duration 2 --no-doc
    .venv/bin/python bench/server_large.py --render bench/results/server-large-2026-12-04.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from _report import replace_section, save_results
from registry_workload import LIKE_FILTER, PAGE_SIZE
from run_registry_bench import machine_facts, mlflow_python, wait_idle
from server_bench import (
    ENV,
    MLFLOW_ENV,
    command_for_doc,
    fmt_ms,
    fmt_rps,
    fmt_x,
    interpreter_facts,
    met,
    mlflow_command,
    modelreg_command,
    ratio,
    source_identity,
)
from server_procs import free_port, start_server, wait_quiet
from server_wrk import Scenario, lua_script, run_wrk, wrk_path, wrk_version

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
SECTION = "server-large-bench"
CONNECTIONS = (1, 8)
# Issue 7: this search through the server, at 100,000 versions, >= 50x mlflow server.
AIM_RATIO = 50.0
QUERY = "filter=name%20LIKE%20%27%2512%25%27&max_results=" + str(PAGE_SIZE)
PATH = "/api/2.0/mlflow/registered-models/search?" + QUERY
SCENARIO = Scenario(
    "rm_search_like_large",
    f"GET registered-models/search {LIKE_FILTER}, max_results={PAGE_SIZE}",
    "GET",
    f'return wrk.format("GET", "{PATH}")',
    "search",
)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def seed(python: Path, impl: str, db: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Seed ``db`` with the registry bench's dataset; its strategy, seconds, fingerprint."""
    out = db.with_suffix(".seed.json")
    cmd = [
        str(python),
        str(BENCH_DIR / "registry_workload.py"),
        "--impl",
        impl,
        "--models",
        str(args.models),
        "--versions",
        str(args.versions),
        "--seed",
        str(args.seed),
        "--db",
        str(db),
        # One untimed call of one op: the workload's measuring is not wanted here.
        "--ops",
        "get_model_version",
        "--repeat",
        "1",
        "--warmup",
        "1",
        "--out",
        str(out),
    ]
    env = MLFLOW_ENV if impl == "mlflow" else ENV
    subprocess.run(cmd, check=True, env=env, timeout=args.seed_timeout)
    report = json.loads(out.read_text())
    return {
        "strategy": report["dataset"]["seeding"],
        "seconds": report["timing"]["seed_s"],
        "fingerprint": report["dataset"]["fingerprint"],
        "like_matches": report["dataset"]["like_matches"],
        "version": report["version"],
    }


def first_page(url: str) -> dict[str, Any]:
    """The page the load asks for, fetched once: how many models, whether a token follows."""
    request = urllib.request.Request(url + PATH, headers={"Host": "127.0.0.1"})
    with urllib.request.urlopen(request, timeout=120) as response:
        body = json.loads(response.read())
    models = body.get("registered_models", [])
    return {
        "models": len(models),
        "latest_versions": sum(len(m.get("latest_versions", [])) for m in models),
        "next_page_token": bool(body.get("next_page_token")),
    }


def measure(
    name: str, command: list[str], port: int, work: Path, script: Path, args: argparse.Namespace
) -> dict[str, Any]:
    if args.wait_idle > 0:
        wait_idle(args.max_load, args.wait_idle)
    result: dict[str, Any] = {"name": name, "command": command_for_doc(command)}
    result["loadavg_start"] = [round(x, 2) for x in os.getloadavg()]
    log(f"{name}: starting {' '.join(command)}")
    env = MLFLOW_ENV if name == "mlflow" else ENV
    server = start_server(name, command, port, work / f"{name}.log", env=env, cwd=work)
    try:
        result["startup_s"] = server.startup_s
        wait_quiet(server.pid)  # MLflow's job runner keeps importing after /health answers
        page = first_page(server.url)
        if page["models"] != PAGE_SIZE or not page["next_page_token"]:
            raise RuntimeError(f"{name}: unexpected first page {page}")
        result["page"] = page
        result["wrk"] = {}
        for connections in CONNECTIONS:
            run_wrk(server.url, script, connections, args.warmup)
            # A slow server is still working off the requests wrk left behind: the
            # measured run starts once it is idle, not in its backlog.
            result.setdefault("quiet_waits_s", []).append(wait_quiet(server.pid))
            found = run_wrk(server.url, script, connections, args.duration)
            if found["non_2xx"] or found["socket_errors"]:
                raise RuntimeError(f"{name}: failed requests under load: {found}")
            result["wrk"][str(connections)] = found
            log(
                f"  {name} c={connections}: {found['rps']:9.1f} req/s  "
                f"p50 {found['p50_ms']:.3f} ms  p99 {found['p99_ms']:.3f} ms"
            )
    finally:
        result["exit_code"] = server.stop()
    result["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def compare(report: dict[str, Any]) -> dict[str, Any]:
    servers = report["servers"]
    mlflow = servers["mlflow"]["wrk"]
    out: dict[str, Any] = {}
    for name in ("modelreg", "modelreg-nocache"):
        for c, run in servers[name]["wrk"].items():
            out[f"{name}/{c}"] = {
                "throughput": ratio(run["rps"], mlflow[c]["rps"]),
                "latency": ratio(mlflow[c]["p50_ms"], run["p50_ms"]),
            }
    return out


LABELS = {
    "mlflow": "MLflow",
    "modelreg": "modelreg (default settings)",
    "modelreg-nocache": "modelreg, read cache off",
}


def render_section(report: dict[str, Any]) -> str:
    servers = report["servers"]
    seeds = report["seeding"]
    same = seeds["mlflow"]["fingerprint"] == seeds["modelreg"]["fingerprint"]
    lines = [
        "## Server: a registry of 100,000 versions, search_registered_models with LIKE",
        "",
        f"_Generated by `bench/server_large.py` on {report['date']}; raw data: "
        f"`bench/results/{report['file']}`._",
        "",
        f"{report['models']:,} models × {report['versions']} versions = "
        f"{report['models'] * report['versions']:,} versions (the dataset of the in-process "
        "registry bench above), seeded with MLflow's bulk SQL into the schema MLflow "
        f"created ({seeds['mlflow']['seconds']} s) and through modelreg's embedded client "
        f"({seeds['modelreg']['seconds']} s); read back through each client, both hash to "
        f"`{seeds['modelreg']['fingerprint'][:12]}`"
        + (" (the same data)." if same else f" vs `{seeds['mlflow']['fingerprint'][:12]}`.")
        + " Each server then ran on its file, one after the other, with the same commands "
        "as in the server bench above; wrk (one thread, keep-alive) asked for "
        f"`{LIKE_FILTER}`, `max_results={PAGE_SIZE}`: the first page of "
        f"{seeds['modelreg']['like_matches']} matching models, each with its latest version "
        f"per stage ({servers['modelreg']['page']['latest_versions']} versions on the page), "
        f"{report['params']['duration']:g} s per run after a "
        f"{report['params']['warmup']:g} s warm-up and once the server was idle again "
        "(a slow server otherwise starts the run in the warm-up's backlog). The read "
        "cache keeps the page while nothing is committed (wrk repeats it), so the "
        "default settings mostly measure the cache; the row with it off runs the search "
        "every time.",
        "",
        "| server | connections | req/s | p50 | p99 | throughput ratio | latency ratio (p50) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    comparison = report["comparison"]
    for name in ("mlflow", "modelreg", "modelreg-nocache"):
        for c, run in servers[name]["wrk"].items():
            ratios = comparison.get(f"{name}/{c}", {})
            lines.append(
                f"| {LABELS[name]} | {c} | {fmt_rps(run['rps'])} | {fmt_ms(run['p50_ms'])} | "
                f"{fmt_ms(run['p99_ms'])} | {fmt_x(ratios.get('throughput'))} | "
                f"{fmt_x(ratios.get('latency'))} |"
            )
    lines += ["", "| aim | measured | result |", "| --- | --- | --- |"]
    for name in ("modelreg", "modelreg-nocache"):
        ratios = comparison[f"{name}/1"]
        ok = ratios["throughput"] is not None and ratios["throughput"] >= AIM_RATIO
        lines.append(
            f"| ≥{AIM_RATIO:g}× MLflow server at 1 connection ({LABELS[name]}) | "
            f"{fmt_x(ratios['throughput'])} req/s, {fmt_x(ratios['latency'])} p50 | {met(ok)} |"
        )
    load = ", ".join(
        f"{LABELS[n]} {servers[n]['loadavg_start'][0]} → {servers[n]['loadavg_end'][0]}"
        for n in ("mlflow", "modelreg", "modelreg-nocache")
    )
    lines += ["", f"1-min load average before → after each server: {load}."]
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", type=int, default=2000)
    p.add_argument("--versions", type=int, default=50)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    p.add_argument("--warmup", type=float, default=2.0, help="warm-up wrk run, seconds")
    p.add_argument("--seed-timeout", type=float, default=1800.0)
    p.add_argument("--wait-idle", type=float, default=60.0)
    p.add_argument("--max-load", type=float, default=1.5)
    p.add_argument("--date")
    p.add_argument("--no-doc", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    p.add_argument("--render", type=Path, help="re-render the doc from this results JSON")
    return p.parse_args()


def main() -> int:
    args = parse_args()
    if args.render:
        section = render_section(json.loads(args.render.read_text()))
        if not args.no_doc:
            replace_section(SECTION, section)
        print(section)
        return 0
    wrk_path()  # exits with an install hint if wrk is missing
    mlflow_py = mlflow_python()
    date = args.date or dt.date.today().isoformat()
    report: dict[str, Any] = {
        "date": date,
        "file": f"server-large-{date}.json",
        "machine": machine_facts(),
        "wrk_version": wrk_version(),
        "modelreg_source": source_identity(),
        "models": args.models,
        "versions": args.versions,
        "params": {"duration": args.duration, "warmup": args.warmup, "seed": args.seed},
        "stack": {
            "modelreg": interpreter_facts(sys.executable),
            "mlflow": interpreter_facts(str(mlflow_py)),
        },
        "seeding": {},
        "servers": {},
    }
    work = Path(tempfile.mkdtemp(prefix="modelreg-server-large-"))
    log(f"working in {work}")
    try:
        script = work / "search.lua"
        script.write_text(lua_script(SCENARIO, args.models, args.versions, args.seed))
        for impl, python in (("mlflow", mlflow_py), ("modelreg", Path(sys.executable))):
            log(f"{impl}: seeding {args.models} x {args.versions}")
            report["seeding"][impl] = seed(python, impl, work / f"{impl}.db", args)
            log(f"{impl}: seeded: {report['seeding'][impl]}")
        commands = {
            "mlflow": mlflow_command(mlflow_py, free_port(), work),
            "modelreg": modelreg_command(free_port(), work),
        }
        commands["modelreg-nocache"] = [*modelreg_command(free_port(), work), "--read-cache", "0"]
        for name, command in commands.items():
            port = int(command[command.index("--port") + 1])
            report["servers"][name] = measure(name, command, port, work, script, args)
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report["comparison"] = compare(report)
    log(f"wrote {save_results(report, RESULTS_DIR)}")
    section = render_section(report)
    if not args.no_doc:
        replace_section(SECTION, section)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
