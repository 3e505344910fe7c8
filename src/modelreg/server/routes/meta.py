"""Routes about the server itself: health, version, server-info and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import orjson
from starlette.requests import Request
from starlette.responses import Response

from modelreg._version import __version__
from modelreg.server.authz import AUTHENTICATED, OPEN
from modelreg.server.context import AppContext
from modelreg.server.errors import JsonResponse
from modelreg.server.routing import Endpoint, RawEndpoint, api_paths
from modelreg.server.schemas import BOOLEAN, STRING, obj

# mlflow-wire.md §3.5. Multipart and presigned transfers are off, so the MLflow client
# uses plain PUT/GET through the artifact proxy.
SERVER_INFO: Final = {
    "store_type": "SqlStore",
    "workspaces_enabled": False,
    "trace_archival_enabled": False,
    "multipart_uploads_enabled": False,
    "multipart_downloads_enabled": False,
    "artifact_serving_enabled": True,
    "artifacts_presigned_only": False,
}
_SERVER_INFO_BODY: Final = orjson.dumps(SERVER_INFO)


def bind_health(context: AppContext) -> RawEndpoint:
    """200 ``OK`` while the server can serve; 503 when its threads or database cannot.

    The probe is what a write or a search needs: a thread of the pool, and a database
    that answers ``SELECT 1`` on it, within the health timeout. A server whose threads
    are all stuck (a database that stopped answering, calls that never finish) answers
    503 here, so a load balancer takes it out of rotation.
    """
    runner, db = context.runner, context.services.db
    timeout = context.settings.health_timeout_seconds

    async def health(request: Request) -> Response:
        if await runner.responsive(db.ping, timeout):
            return Response("OK", media_type="text/plain")
        return Response(
            f"UNAVAILABLE: no worker thread and database answer within {timeout:g} s",
            status_code=503,
            media_type="text/plain",
            headers={"Retry-After": "1"},
        )

    return health


async def version(request: Request) -> Response:
    return Response(__version__, media_type="text/plain")


async def server_info(request: Request) -> Response:
    return JsonResponse(_SERVER_INFO_BODY)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET",
        ("/health",),
        "health",
        "Health check: 200 OK while the server can serve, 503 when its threads or "
        "database do not answer within the health timeout.",
        STRING,
        bind=bind_health,
        response_media_type="text/plain",
        tag="server",
        permission=OPEN,
    ),
    Endpoint(
        "GET",
        ("/version",),
        "version",
        "The modelreg version.",
        STRING,
        raw=version,
        response_media_type="text/plain",
        tag="server",
        permission=OPEN,
    ),
    Endpoint(
        "GET",
        api_paths("/mlflow/server-info", since="3.0"),
        "serverInfo",
        "Server capabilities the MLflow client asks for (transfer features are off).",
        obj({key: (STRING if key == "store_type" else BOOLEAN) for key in SERVER_INFO}),
        raw=server_info,
        tag="server",
        permission=AUTHENTICATED,
    ),
)


def openapi_endpoint(render: Callable[[], bytes]) -> Endpoint:
    """``GET /openapi.json`` (and under /api/2.0/mlflow), serving ``render()``."""

    async def openapi(request: Request) -> Response:
        return JsonResponse(render())

    return Endpoint(
        "GET",
        ("/openapi.json", "/api/2.0/mlflow/openapi.json"),
        "openapi",
        "This OpenAPI 3.1 document.",
        {"type": "object"},
        raw=openapi,
        tag="server",
        permission=AUTHENTICATED,
    )
