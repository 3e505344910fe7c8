"""``GET /metrics``: Prometheus metrics, and the registry other components add theirs to.

What the server measures itself (docs/operations.md lists every series):

* ``modelreg_http_request_duration_seconds``, a histogram (its ``_count`` is the
  number of requests) by ``method``, ``route`` (the route *template*, e.g.
  ``/api/2.0/mlflow/logged-models/{model_id}``; ``<unmatched>`` for unknown paths, so
  a client cannot grow the series without bound) and ``status``;
* ``modelreg_db_connections_in_use`` / ``modelreg_db_connections_open`` per database
  pool (summed over worker processes);
* ``modelreg_event_log_newest_id`` and ``modelreg_event_log_newest_age_seconds``: how
  far the event log has got, and how long ago it last moved.

**Cheap on the request path.** A request adds one dict lookup, a ``bisect`` into the
bucket bounds and two additions to plain Python lists (:class:`LocalHistogram`): no
lock, no ``prometheus_client`` object per request. The families are built only when
``/metrics`` is scraped.

**Several worker processes.** A scrape reaches one worker. Each worker writes a
snapshot of its own series to a folder the supervisor made (``metrics_dir``) once a
second and at shutdown, and the worker that answers a scrape adds up every snapshot:
counters and histograms of every worker that ever ran (so they never go backwards when
a worker is replaced), gauges of the live ones only. What other workers did in the
last second may be missing from a scrape; it is in the next one.

**The hook for other components** (the webhook worker, importers): make process-local
series with :func:`histogram` and :func:`counter` (aggregated across workers as above),
or :func:`register` a ``prometheus_client`` collector whose ``collect()`` reads shared
state (a queue depth from the database is right from whichever worker answers)::

    from modelreg.server import metrics

    DELIVERY = metrics.histogram(
        "modelreg_webhook_delivery_seconds", "Webhook delivery latency.", ("outcome",)
    )
    DELIVERY.observe(("ok",), 0.120)
    metrics.register(QueueDepthCollector(services))   # .collect() yields metric families

**Who may read it.** :func:`allowed` is the one place that decides; today it is the
``--metrics/--no-metrics`` switch. Once authentication exists it becomes "switched on,
and the caller authenticated (or ``--metrics-public``)": change :func:`allowed` only.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Protocol

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from modelreg.principal import Principal

logger = logging.getLogger("modelreg.server")

CONTENT_TYPE: Final = CONTENT_TYPE_LATEST
UNMATCHED_ROUTE: Final = "<unmatched>"
# Request latency buckets (seconds): registry reads take well under a millisecond,
# artifact transfers and searches on a network database seconds.
REQUEST_BUCKETS: Final = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
SNAPSHOT_SECONDS: Final = 1.0
Labels = tuple[str | int, ...]
Names = tuple[str, ...]


class Collector(Protocol):
    """What :func:`register` accepts: anything ``prometheus_client`` can collect."""

    def collect(self) -> Iterable[Metric]: ...


class LocalHistogram:
    """A histogram kept in plain lists by this process (see the module docstring).

    ``observe`` is not locked: it runs on the event loop, and a lost increment from a
    rare call on another thread costs less than a lock on every request.
    """

    kind: Final = "histogram"

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], buckets: Sequence[float]
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self.buckets = tuple(sorted(buckets))
        # labels -> [count per bucket..., count above the last bucket, sum]
        self.series: dict[Labels, list[float]] = {}

    def observe(self, labels: Labels, value: float) -> None:
        row = self.series.get(labels)
        if row is None:
            row = self.series[labels] = [0.0] * (len(self.buckets) + 2)
        row[bisect_left(self.buckets, value)] += 1
        row[-1] += value

    def snapshot(self) -> dict[str, Any]:
        # list() copies the items in one step under the GIL: a scrape runs on the thread
        # pool while the event loop may be adding series.
        items = list(self.series.items())
        return {"kind": self.kind, "series": [[list(k), list(v)] for k, v in items]}

    def family(self, snapshots: Iterable[dict[str, Any]]) -> Metric:
        total: dict[Labels, list[float]] = {}
        for snapshot in snapshots:
            for labels, row in snapshot["series"]:
                key = tuple(labels)
                into = total.setdefault(key, [0.0] * len(row))
                for index, value in enumerate(row):
                    into[index] += value
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        bounds = [*(repr(float(b)) for b in self.buckets), "+Inf"]
        for labels, row in sorted(total.items()):
            cumulative, buckets = 0.0, []
            for bound, count in zip(bounds, row[:-1], strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            family.add_metric([str(v) for v in labels], buckets, row[-1])
        return family


class LocalCounter:
    """A counter kept in a plain dict by this process (see :class:`LocalHistogram`)."""

    kind: Final = "counter"

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str]) -> None:
        self.name = name.removesuffix("_total")
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self.series: dict[Labels, float] = {}

    def inc(self, labels: Labels = (), amount: float = 1.0) -> None:
        self.series[labels] = self.series.get(labels, 0.0) + amount

    def snapshot(self) -> dict[str, Any]:
        items = list(self.series.items())  # see LocalHistogram.snapshot
        return {"kind": self.kind, "series": [[list(k), v] for k, v in items]}

    def family(self, snapshots: Iterable[dict[str, Any]]) -> Metric:
        total: dict[Labels, float] = {}
        for snapshot in snapshots:
            for labels, value in snapshot["series"]:
                key = tuple(labels)
                total[key] = total.get(key, 0.0) + value
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for labels, value in sorted(total.items()):
            family.add_metric([str(v) for v in labels], value)
        return family


LocalMetric = LocalHistogram | LocalCounter
GaugeSource = Callable[[], Iterable[tuple[Labels, float]]]


class _Registry:
    """The process's metrics: local series, live gauges, and registered collectors."""

    def __init__(self) -> None:
        self.local: dict[str, LocalMetric] = {}
        # name -> (help, label names, source of (labels, value) pairs), summed over
        # live workers.
        self.gauges: dict[str, tuple[str, Names, GaugeSource]] = {}
        self.collectors: list[Collector] = []
        self.lock = threading.Lock()

    def add_local(self, metric: LocalMetric) -> LocalMetric:
        with self.lock:
            existing = self.local.get(metric.name)
            if existing is not None:
                if type(existing) is not type(metric) or existing.labelnames != metric.labelnames:
                    raise ValueError(f"metric {metric.name} is already defined differently")
                return existing
            self.local[metric.name] = metric
            return metric

    def all_gauges(
        self, extra: dict[str, tuple[str, Names, GaugeSource]] | None = None
    ) -> dict[str, tuple[str, Names, GaugeSource]]:
        return {**self.gauges, **(extra or {})}

    def snapshot(
        self, extra: dict[str, tuple[str, Names, GaugeSource]] | None = None
    ) -> dict[str, Any]:
        gauges: dict[str, list[Any]] = {}
        for name, (_help, _labels, source) in self.all_gauges(extra).items():
            try:
                gauges[name] = [[list(k), v] for k, v in source()]
            except Exception:  # a gauge that cannot be read now is left out, not fatal
                logger.debug("metrics: gauge %s could not be read", name, exc_info=True)
        return {
            "pid": os.getpid(),
            "time": time.time(),
            "local": {name: metric.snapshot() for name, metric in list(self.local.items())},
            "gauges": gauges,
        }


REGISTRY: Final = _Registry()


def histogram(
    name: str,
    documentation: str,
    labelnames: Sequence[str] = (),
    buckets: Sequence[float] = REQUEST_BUCKETS,
) -> LocalHistogram:
    """A process-local histogram, exported at /metrics summed over workers."""
    made = REGISTRY.add_local(LocalHistogram(name, documentation, labelnames, buckets))
    assert isinstance(made, LocalHistogram)  # add_local checked the kind
    return made


def counter(name: str, documentation: str, labelnames: Sequence[str] = ()) -> LocalCounter:
    """A process-local counter, exported at /metrics summed over workers."""
    made = REGISTRY.add_local(LocalCounter(name, documentation, labelnames))
    assert isinstance(made, LocalCounter)
    return made


def gauge(name: str, documentation: str, labelnames: Sequence[str], source: GaugeSource) -> None:
    """A gauge read from ``source()`` at snapshot time, summed over the live workers."""
    with REGISTRY.lock:
        REGISTRY.gauges[name] = (documentation, tuple(labelnames), source)


def unregister_gauge(name: str) -> None:
    with REGISTRY.lock:
        REGISTRY.gauges.pop(name, None)


def register(collector: Collector) -> None:
    """Add a ``prometheus_client`` collector: its ``collect()`` runs on each scrape."""
    with REGISTRY.lock:
        if collector not in REGISTRY.collectors:
            REGISTRY.collectors.append(collector)


def unregister(collector: Collector) -> None:
    with REGISTRY.lock, contextlib.suppress(ValueError):
        REGISTRY.collectors.remove(collector)


def allowed(principal: Principal, enabled: bool) -> bool:
    """Whether ``principal`` may read /metrics (the seam for auth; see the module doc)."""
    return enabled


REQUESTS: Final = histogram(
    "modelreg_http_request_duration_seconds",
    "HTTP requests served, by method, route template and status: latency in seconds.",
    ("method", "route", "status"),
)


# ------------------------------------------------------------------ snapshots
class Snapshots:
    """One app's view of the metrics: its own gauges and collectors, and this worker's
    snapshot file in ``folder`` (None: a single process, no files)."""

    def __init__(self, folder: str | None) -> None:
        self.folder = Path(folder) if folder else None
        self.gauges: dict[str, tuple[str, Names, GaugeSource]] = {}
        self.collectors: list[Collector] = []

    def gauge(
        self, name: str, documentation: str, labelnames: Sequence[str], source: GaugeSource
    ) -> None:
        """A gauge of this app (its database pool, say), summed over live workers."""
        self.gauges[name] = (documentation, tuple(labelnames), source)

    def write(self, alive: bool = True) -> None:
        if self.folder is None:
            return
        snapshot = REGISTRY.snapshot(self.gauges)
        snapshot["alive"] = alive
        path = self.folder / f"{os.getpid()}.json"
        temporary = path.with_suffix(".tmp")
        try:
            temporary.write_text(json.dumps(snapshot))
            os.replace(temporary, path)
        except OSError:  # metrics must never take the server down
            logger.warning("metrics: cannot write %s", path, exc_info=True)

    def read(self) -> list[dict[str, Any]]:
        """Every worker's snapshot, this one's fresh from memory."""
        own = REGISTRY.snapshot(self.gauges)
        own["alive"] = True
        if self.folder is None:
            return [own]
        found = [own]
        for path in self.folder.glob("*.json"):
            if path.stem == str(own["pid"]):
                continue
            try:
                snapshot = json.loads(path.read_text())
            except (OSError, ValueError):
                continue  # being replaced right now, or gone
            if snapshot.get("alive") and not _running(int(snapshot["pid"])):
                snapshot["alive"] = False  # killed without writing its last snapshot
            found.append(snapshot)
        return found


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Aggregate:
    """A collector over the snapshots of every worker (the scrape's point of view)."""

    def __init__(
        self, snapshots: list[dict[str, Any]], gauges: dict[str, tuple[str, Names, GaugeSource]]
    ) -> None:
        self.snapshots = snapshots
        self.gauges = gauges

    def collect(self) -> Iterator[Metric]:
        for name, metric in sorted(REGISTRY.local.items()):  # copied in one step (GIL)
            yield metric.family(
                s["local"][name] for s in self.snapshots if name in s.get("local", {})
            )
        for name, (documentation, labelnames, _source) in sorted(self.gauges.items()):
            totals: dict[Labels, float] = {}
            for snapshot in self.snapshots:
                if not snapshot.get("alive"):
                    continue
                for labels, value in snapshot.get("gauges", {}).get(name, ()):
                    totals[tuple(labels)] = totals.get(tuple(labels), 0.0) + value
            family = GaugeMetricFamily(name, documentation, labels=labelnames)
            for labels, value in sorted(totals.items()):
                family.add_metric([str(v) for v in labels], value)
            yield family


def render(snapshots: Snapshots) -> bytes:
    """The Prometheus text exposition of everything registered."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Aggregate(snapshots.read(), REGISTRY.all_gauges(snapshots.gauges)))
    for collector in [*REGISTRY.collectors, *snapshots.collectors]:
        registry.register(collector)
    return generate_latest(registry)
