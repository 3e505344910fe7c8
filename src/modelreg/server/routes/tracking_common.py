"""What the tracking route modules share: paths, fields and the endpoint helper.

The tracking API is served by three routers, one per resource (experiments, runs,
logged models), under /api/2.0/mlflow and /ajax-api/2.0/mlflow.
"""

from __future__ import annotations

from typing import Any, Final

from modelreg.server.authz import Requirement
from modelreg.server.routing import Endpoint, Field, Handler, api_paths
from modelreg.server.schemas import STRING, Schema, page_size

Body = dict[str, Any]
OK: Final[Body] = {}
ACTIVE_ONLY: Final = "ACTIVE_ONLY"

EXPERIMENT_ID = Field("experiment_id", STRING, required=True)
RUN_ID = Field("run_id", STRING, required=True, description="Also accepted as run_uuid.")
RUN_UUID = Field("run_uuid", STRING, description="Older spelling of run_id.")
KEY = Field("key", STRING, required=True)
VALUE = Field("value", STRING)
MODEL_ID = Field("model_id", STRING, required=True, description="Logged model id (m-…).")


def search_page(maximum: int, default: int) -> tuple[Field, ...]:
    """A search's filter and paging fields, with its page size limits."""
    return (
        Field("filter", STRING),
        Field("max_results", page_size(maximum, default)),
        Field("page_token", STRING),
    )


def mlflow_paths(path: str) -> tuple[str, ...]:
    return api_paths(f"/mlflow/{path}")


def tracking_endpoint(
    method: str,
    path: str,
    operation_id: str,
    summary: str,
    response: Schema,
    fields: tuple[Field, ...],
    handler: Handler,
    *,
    bounded_read: bool = False,
    writes: bool | None = None,
    permission: Requirement | None = None,
) -> Endpoint:
    """An endpoint of MLflow's tracking API, documented under the ``tracking`` tag."""
    return Endpoint(
        method,
        mlflow_paths(path),
        operation_id,
        summary,
        response,
        fields,
        handler,
        bounded_read=bounded_read,
        writes=writes,
        tag="tracking",
        permission=permission,
    )
