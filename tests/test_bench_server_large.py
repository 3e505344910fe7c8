"""bench/server_large.py: ratios against MLflow and the 50x aim, judged from a report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import server_large  # noqa: E402


def _run(rps: float, p50_ms: float) -> dict[str, Any]:
    return {"rps": rps, "p50_ms": p50_ms, "p99_ms": p50_ms * 3}


def _report(default_rps: float, nocache_rps: float) -> dict[str, Any]:
    seeded = {"seconds": 1.0, "fingerprint": "abc123def456789", "like_matches": 139}
    servers = {
        "mlflow": {"wrk": {"1": _run(10.0, 100.0), "8": _run(12.0, 600.0)}},
        "modelreg": {"wrk": {"1": _run(default_rps, 0.2), "8": _run(default_rps * 2, 0.5)}},
        "modelreg-nocache": {"wrk": {"1": _run(nocache_rps, 4.0), "8": _run(nocache_rps, 9.0)}},
    }
    for server in servers.values():
        server.update(loadavg_start=[0.5], loadavg_end=[1.0], page={"latest_versions": 400})
    report: dict[str, Any] = {
        "date": "2026-12-04",
        "file": "server-large-2026-12-04.json",
        "models": 2000,
        "versions": 50,
        "params": {"duration": 4.0, "warmup": 1.0},
        "seeding": {"mlflow": seeded, "modelreg": seeded},
        "servers": servers,
    }
    report["comparison"] = server_large.compare(report)
    return report


def test_ratios_are_against_mlflow_at_the_same_connections() -> None:
    report = _report(default_rps=5000.0, nocache_rps=400.0)
    assert report["comparison"]["modelreg/1"] == {"throughput": 500.0, "latency": 500.0}
    assert report["comparison"]["modelreg-nocache/8"]["throughput"] == 33.33  # rounded to 2 places
    assert report["comparison"]["modelreg-nocache/1"]["latency"] == 25.0


def test_the_aim_is_judged_at_one_connection_for_each_setting() -> None:
    section = server_large.render_section(_report(default_rps=5000.0, nocache_rps=400.0))
    aims = [line for line in section.splitlines() if line.startswith("| ≥50×")]
    assert len(aims) == 2
    assert aims[0].endswith("| met |")  # default settings: 500x
    assert aims[1].endswith("| **not met** |")  # cache off: 40x
    assert "(the same data)" in section
    assert "100,000 versions" in section
