"""GET /metrics: requests by route template and status, the pool, the event log, and
the sums over worker processes."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.core import GaugeMetricFamily

from modelreg.config import Settings
from modelreg.server import ServerSettings, create_app, metrics
from tests.server.asgi import TestClient, asgi_client

API = "/api/2.0/mlflow"
DURATION = "modelreg_http_request_duration_seconds"


def _value(text: str, name: str, **labels: str) -> float:
    """The sample ``name{labels}`` of an exposition (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        sample, _, value = line.rpartition(" ")
        found_name, _, rest = sample.partition("{")
        found = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        if found_name == name and found == labels:
            return float(value)
    return 0.0


def _count(text: str, method: str, route: str, status: str) -> float:
    return _value(text, f"{DURATION}_count", method=method, route=route, status=status)


def test_requests_are_counted_by_route_template_and_status(http: TestClient) -> None:
    before = http.get("/metrics").text
    assert http.post(f"{API}/registered-models/create", json={"name": "m"}).status_code == 200
    for _ in range(3):
        http.get(f"{API}/registered-models/get", params={"name": "m"})
    http.get(f"{API}/registered-models/get", params={"name": "missing"})
    http.get(f"{API}/logged-models/m-123")  # a path with a parameter: its template
    http.get("/no/such/path/9f3e")  # unknown paths share one label, never their own
    response = http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text

    def delta(method: str, route: str, status: str) -> float:
        return _count(after, method, route, status) - _count(before, method, route, status)

    assert delta("POST", f"{API}/registered-models/create", "200") == 1
    assert delta("GET", f"{API}/registered-models/get", "200") == 3
    assert delta("GET", f"{API}/registered-models/get", "404") == 1
    assert delta("GET", f"{API}/logged-models/{{model_id}}", "404") == 1
    assert delta("GET", "<unmatched>", "404") == 1
    assert "9f3e" not in after and "m-123" not in after
    # A histogram: cumulative buckets up to +Inf, which equals the count.
    labels = {"method": "GET", "route": f"{API}/registered-models/get", "status": "200"}
    inf = _value(after, f"{DURATION}_bucket", **labels, le="+Inf")
    assert inf == _count(after, "GET", f"{API}/registered-models/get", "200")


def test_pool_and_event_log_gauges(http: TestClient) -> None:
    http.post(f"{API}/registered-models/create", json={"name": "m"})
    http.post(f"{API}/registered-models/create", json={"name": "n"})
    text = http.get("/metrics").text
    assert _value(text, "modelreg_event_log_newest_id") >= 2
    assert 0 <= _value(text, "modelreg_event_log_newest_age_seconds") < 600
    assert _value(text, "modelreg_db_connections_open", dialect="sqlite") >= 1


def test_no_metrics_switch(settings: Settings) -> None:
    app = create_app(settings, ServerSettings(metrics=False))
    with asgi_client(app) as http:
        before = metrics.REQUESTS.series.copy()
        http.get(f"{API}/registered-models/get", params={"name": "m"})
        response = http.get("/metrics")
        assert response.status_code == 404
        assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND"
        assert metrics.REQUESTS.series == before  # nothing counted either


def _snapshot_file(folder: Path, pid: int, alive: bool, count: float, in_use: float) -> None:
    buckets = [0.0] * (len(metrics.REQUEST_BUCKETS) + 1)
    buckets[0] = count
    snapshot = {
        "pid": pid,
        "alive": alive,
        "local": {
            DURATION: {
                "kind": "histogram",
                "series": [[["GET", "/x", 200], [*buckets, 0.001 * count]]],
            }
        },
        "gauges": {"test_gauge_in_use": [[[], in_use]]},
    }
    (folder / f"{pid}.json").write_text(json.dumps(snapshot))


def test_workers_are_summed_counters_of_all_gauges_of_live_ones(tmp_path: Path) -> None:
    snapshots = metrics.Snapshots(str(tmp_path))
    snapshots.gauge("test_gauge_in_use", "A test gauge.", (), lambda: [((), 1.0)])
    # Another live worker (our parent is alive) and one that died.
    _snapshot_file(tmp_path, os.getppid(), alive=True, count=5, in_use=2)
    _snapshot_file(tmp_path, 2**22 + 12345, alive=True, count=7, in_use=4)
    own = metrics.REQUESTS.series.get(("GET", "/x", 200))
    own_count = sum(own[:-1]) if own else 0
    text = metrics.render(snapshots).decode()
    assert _count(text, "GET", "/x", "200") == own_count + 5 + 7  # counters never go back
    assert _value(text, "test_gauge_in_use") == 1 + 2  # the dead worker's gauge is gone


def test_other_components_register_their_series() -> None:
    deliveries = metrics.counter("modelreg_test_deliveries_total", "Test deliveries.", ["outcome"])
    deliveries.inc(("ok",))
    deliveries.inc(("ok",))

    class Depth:
        def collect(self) -> list[GaugeMetricFamily]:
            family = GaugeMetricFamily("modelreg_test_queue_depth", "Test queue depth.")
            family.add_metric([], 3)
            return [family]

    depth = Depth()
    metrics.register(depth)
    try:
        text = metrics.render(metrics.Snapshots(None)).decode()
    finally:
        metrics.unregister(depth)
    assert _value(text, "modelreg_test_deliveries_total", outcome="ok") == 2
    assert _value(text, "modelreg_test_queue_depth") == 3
    with pytest.raises(ValueError, match="already defined differently"):
        metrics.histogram("modelreg_test_deliveries", "Clash.", ["outcome"])


@pytest.mark.slow
def test_two_workers_are_added_up(tmp_path: Path) -> None:
    from tests.server.live import running_server

    route = f"{API}/registered-models/get"
    with running_server(tmp_path, "--workers", "2") as server:
        with httpx.Client() as client:  # a new connection each: both workers serve some
            for _ in range(40):
                client.get(
                    f"{server.url}{route}", params={"name": "m"}, headers={"connection": "close"}
                )
        time.sleep(metrics.SNAPSHOT_SECONDS * 2.5)
        # Whichever worker answers, it reports both workers' requests.
        for _ in range(4):
            text = httpx.get(f"{server.url}/metrics", headers={"connection": "close"}).text
            assert _count(text, "GET", route, "404") == 40
