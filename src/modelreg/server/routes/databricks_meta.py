"""``GET /.well-known/databricks-config``: what ``databricks-sdk`` probes at start-up.

The SDK reads host metadata from here (workspace id, OIDC endpoint, cloud) and falls
back to its explicit configuration when a field is empty. modelreg is no Databricks
workspace: every field is empty, so the SDK uses the host and token it was given.
Served unauthenticated, as on Databricks.
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from modelreg.server.errors import JsonResponse
from modelreg.server.routing import Endpoint
from modelreg.server.schemas import STRING, obj

_BODY = orjson.dumps({"oidc_endpoint": ""})


async def databricks_config(request: Request) -> Response:
    return JsonResponse(_BODY)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET",
        ("/.well-known/databricks-config",),
        "databricksConfig",
        "Host metadata for databricks-sdk (empty: use the configured host and token).",
        obj({"oidc_endpoint": STRING}),
        raw=databricks_config,
        tag="server",
    ),
)
