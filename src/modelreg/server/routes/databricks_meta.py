"""``GET /.well-known/databricks-config``: what ``databricks-sdk`` probes at start-up.

The SDK reads host metadata from here (workspace id, OIDC endpoint, cloud) and keeps
its explicit configuration for whatever is missing. modelreg is no Databricks
workspace: an empty object says there is nothing to discover, so the SDK uses the host
and token it was given, without the warning a 404 makes databricks-sdk 0.167.0 log.
Served unauthenticated, as on Databricks.
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from modelreg.server.errors import JsonResponse
from modelreg.server.routing import Endpoint
from modelreg.server.schemas import obj

_BODY = orjson.dumps({})


async def databricks_config(request: Request) -> Response:
    return JsonResponse(_BODY)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET",
        ("/.well-known/databricks-config",),
        "databricksConfig",
        "Host metadata for databricks-sdk (empty: use the configured host and token).",
        obj({}),
        raw=databricks_config,
        tag="server",
    ),
)
