"""wrk scenarios for ``bench/server_bench.py``: Lua request generators, running, parsing.

Not a script of its own; ``server_bench.py`` imports it. Each :class:`Scenario` is one
MLflow REST call; :func:`lua_script` renders a wrk Lua script whose ``request()`` builds
that call on a random seeded model (``m-NNNN``) and version, and whose ``done()`` prints
one ``WRKJSON {...}`` line (request count, errors by kind, latency percentiles in µs).
:func:`run_wrk` runs ``wrk -t1 -c<N> -d<S>s --latency`` with it and returns the parsed
result. One wrk thread is used throughout: the machine has 2 cores, and one thread
drives tens of thousands of requests per second, far above any server measured here.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

API: Final = "/api/2.0/mlflow"
WRITE_MODELS: Final = 4  # model-versions/create targets w-0 .. w-3

WRK_MISSING: Final = (
    "wrk (the HTTP load generator) is not installed. Install it with\n"
    "    sudo apt-get install -y wrk        # Debian/Ubuntu\n"
    "or build it from https://github.com/wg/wrk, then re-run this script."
)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One REST call under load. ``lua`` is the body of wrk's ``request()`` function."""

    key: str
    label: str
    method: str
    lua: str
    kind: str  # "get" (a bounded read), "search" or "write"


_JSON_HDR = '{["Content-Type"] = "application/json"}'


def _post(fmt: str, *args: str) -> str:
    joined = ", ".join(args)
    body = f"string.format('{fmt}', {joined})" if args else f"'{fmt}'"
    return f'return wrk.format("POST", path, {_JSON_HDR}, {body})'


SCENARIOS: Final[tuple[Scenario, ...]] = (
    Scenario(
        "rm_get",
        "GET registered-models/get",
        "GET",
        f'return wrk.format("GET", "{API}/registered-models/get?name=" .. model())',
        "get",
    ),
    Scenario(
        "mv_get",
        "GET model-versions/get",
        "GET",
        f'return wrk.format("GET", string.format("{API}/model-versions/get?name=%s&version=%d",'
        " model(), version()))",
        "get",
    ),
    Scenario(
        "alias_get",
        "GET registered-models/alias",
        "GET",
        f'return wrk.format("GET", "{API}/registered-models/alias?alias=champion&name=" '
        ".. model())",
        "get",
    ),
    Scenario(
        "latest_versions",
        "POST registered-models/get-latest-versions",
        "POST",
        f'local path = "{API}/registered-models/get-latest-versions"\n  '
        + _post('{"name":"%s","stages":["Production"]}', "model()"),
        "get",
    ),
    Scenario(
        "mv_search_name",
        "GET model-versions/search name='…'",
        "GET",
        f'return wrk.format("GET", string.format("{API}/model-versions/search'
        '?filter=name%%3D%%27%s%%27", model()))',
        "search",
    ),
    Scenario(
        "rm_search_like",
        "GET registered-models/search name LIKE '%12%'",
        "GET",
        f'return wrk.format("GET", "{API}/registered-models/search'
        '?filter=name%20LIKE%20%27%2512%25%27&max_results=100")',
        "search",
    ),
    Scenario(
        "mv_create",
        f"POST model-versions/create ({WRITE_MODELS} models)",
        "POST",
        f'local path = "{API}/model-versions/create"\n  local w = math.random(0, writers - 1)\n  '
        + _post('{"name":"w-%d","source":"s3://bench-models/w-%d/wrk"}', "w", "w"),
        "write",
    ),
    Scenario(
        "transition",
        "POST model-versions/transition-stage",
        "POST",
        f'local path = "{API}/model-versions/transition-stage"\n  '
        + _post(
            '{"name":"%s","version":"%d","stage":"Production","archive_existing_versions":true}',
            "model()",
            "version()",
        ),
        "write",
    ),
    Scenario(
        "set_tag",
        "POST model-versions/set-tag",
        "POST",
        f'local path = "{API}/model-versions/set-tag"\n  counter = counter + 1\n  '
        + _post(
            '{"name":"%s","version":"%d","key":"bench","value":"%d"}',
            "model()",
            "version()",
            "counter",
        ),
        "write",
    ),
)
BY_KEY: Final = {s.key: s for s in SCENARIOS}

# The same calls on fixed targets (m-0000, version 1), to check each answers 200 first.
PROBES: Final[dict[str, tuple[str, str, bytes | None]]] = {
    "rm_get": ("GET", f"{API}/registered-models/get?name=m-0000", None),
    "mv_get": ("GET", f"{API}/model-versions/get?name=m-0000&version=1", None),
    "alias_get": ("GET", f"{API}/registered-models/alias?alias=champion&name=m-0000", None),
    "latest_versions": (
        "POST",
        f"{API}/registered-models/get-latest-versions",
        b'{"name":"m-0000","stages":["Production"]}',
    ),
    "mv_search_name": ("GET", f"{API}/model-versions/search?filter=name%3D%27m-0000%27", None),
    "rm_search_like": (
        "GET",
        f"{API}/registered-models/search?filter=name%20LIKE%20%27%2512%25%27&max_results=100",
        None,
    ),
    "mv_create": (
        "POST",
        f"{API}/model-versions/create",
        b'{"name":"w-0","source":"s3://bench-models/w-0/probe"}',
    ),
    "transition": (
        "POST",
        f"{API}/model-versions/transition-stage",
        b'{"name":"m-0000","version":"1","stage":"Production","archive_existing_versions":true}',
    ),
    "set_tag": (
        "POST",
        f"{API}/model-versions/set-tag",
        b'{"name":"m-0000","version":"1","key":"bench","value":"probe"}',
    ),
}

_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"duration_us":%d,"requests":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"lat_min_us":%d,"lat_max_us":%d,' ..
    '"lat_mean_us":%.1f,"lat_stdev_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"p999_us":%d}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency.min, latency.max, latency.mean, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
end
"""


def lua_script(scenario: Scenario, models: int, versions: int, seed: int) -> str:
    return (
        f"-- generated by bench/server_wrk.py: {scenario.label}\n"
        f"local models = {models}\n"
        f"local versions = {versions}\n"
        f"local writers = {WRITE_MODELS}\n"
        "counter = 0\n"
        f"math.randomseed({seed})\n"
        'local function model() return string.format("m-%04d", math.random(0, models - 1)) '
        "end\n"
        "local function version() return math.random(1, versions) end\n"
        "request = function()\n"
        f"  {scenario.lua}\n"
        "end\n" + _DONE
    )


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(WRK_MISSING)
    return found


def wrk_version() -> str:
    out = subprocess.run([wrk_path(), "-v"], capture_output=True, text=True, check=False)
    first = (out.stdout or out.stderr).splitlines()
    return first[0].split(" Copyright")[0].strip() if first else "unknown"


_WRKJSON = re.compile(r"^WRKJSON (\{.*\})\s*$", re.MULTILINE)


def run_wrk(
    url: str, script: Path, connections: int, duration_s: float, *, timeout_s: float = 10.0
) -> dict[str, Any]:
    """Run wrk once (one thread, ``connections`` keep-alive connections), parse its JSON."""
    cmd = [
        wrk_path(),
        "-t1",
        f"-c{connections}",
        f"-d{duration_s:g}s",
        f"--timeout={timeout_s:g}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration_s + 60, check=False)
    match = _WRKJSON.search(out.stdout)
    if out.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout}\n{out.stderr}")
    raw: dict[str, Any] = json.loads(match.group(1))
    seconds = raw["duration_us"] / 1e6
    errors = {k: raw[k] for k in ("connect", "read", "write", "status", "timeout")}
    return {
        "connections": connections,
        "duration_s": round(seconds, 3),
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "non_2xx": raw["status"],
        "socket_errors": {k: v for k, v in errors.items() if k != "status" and v},
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "p999_ms": raw["p999_us"] / 1000,
        "mean_ms": round(raw["lat_mean_us"] / 1000, 3),
        "max_ms": raw["lat_max_us"] / 1000,
        "command": " ".join(cmd[:-3] + ["<scenario>.lua", "<url>"]),
    }
