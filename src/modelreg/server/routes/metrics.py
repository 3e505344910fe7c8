"""``GET /metrics`` and what the server itself measures (modelreg.server.metrics)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from starlette.requests import Request
from starlette.responses import Response

from modelreg.server import metrics
from modelreg.server.context import AppContext, principal_from_authorization
from modelreg.server.errors import JsonResponse, error_body
from modelreg.server.routing import Endpoint, RawEndpoint
from modelreg.server.schemas import STRING
from modelreg.service.assembly import Services
from modelreg.store import events


class EventLogCollector:
    """How far the event log has got: newest id, and how long ago it last moved."""

    def __init__(self, services: Services) -> None:
        self.db = services.db

    def collect(self) -> Iterator[Metric]:
        with self.db.read() as conn:
            found = events.newest(conn)
        newest_id = GaugeMetricFamily(
            "modelreg_event_log_newest_id", "Id of the newest event in the event log (0: none)."
        )
        newest_id.add_metric([], found[0] if found else 0)
        yield newest_id
        if found:
            age = GaugeMetricFamily(
                "modelreg_event_log_newest_age_seconds",
                "Seconds since the newest event was written.",
            )
            age.add_metric([], max(0.0, time.time() - found[1] / 1000))
            yield age


def app_metrics(services: Services, folder: str | None) -> metrics.Snapshots:
    """The metrics one app serves: the shared registry plus its database's gauges."""
    snapshots = metrics.Snapshots(folder)
    db = services.db
    snapshots.gauge(
        "modelreg_db_connections_in_use",
        "Database connections running a call, summed over worker processes "
        "(SQLite: the open per-thread connections).",
        ("dialect",),
        lambda: [((db.dialect,), float(db.pool_stats()[0]))],
    )
    snapshots.gauge(
        "modelreg_db_connections_open",
        "Database connections open, summed over worker processes.",
        ("dialect",),
        lambda: [((db.dialect,), float(db.pool_stats()[1]))],
    )
    snapshots.collectors.append(EventLogCollector(services))
    return snapshots


def bind_metrics(context: AppContext) -> RawEndpoint:
    enabled = context.settings.metrics
    snapshots = context.metrics

    async def serve_metrics(request: Request) -> Response:
        principal = principal_from_authorization(request.headers.get("authorization"))
        if snapshots is None or not metrics.allowed(principal, enabled):
            return JsonResponse(
                error_body(
                    "ENDPOINT_NOT_FOUND",
                    "Metrics are switched off on this server (modelreg server --metrics).",
                ),
                404,
            )
        # On the pool: the event-log query is a database round trip.
        body = await context.runner.run(metrics.render, snapshots)
        return Response(body, media_type=metrics.CONTENT_TYPE)

    return serve_metrics


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET",
        ("/metrics",),
        "metrics",
        "Prometheus metrics (requests, latency, database pool, event log); "
        "docs/operations.md lists them.",
        STRING,
        bind=bind_metrics,
        response_media_type="text/plain",
        tag="server",
    ),
)
