"""Every webhook event name, in ONE place: modelreg's own, MLflow's and Databricks'.

A subscription is stored as modelreg event types (the ``TYPE`` of the catalogue in
modelreg.events). The MLflow webhook API names events ``entity.action``; the Databricks
registry-webhook API names them ``MODEL_VERSION_TRANSITIONED_TO_PRODUCTION`` and so
on. This module maps both onto modelreg's types, and back for rendering.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from modelreg.events import CATALOGUE


def known_types() -> frozenset[str]:
    """Every event type a subscription may name: the catalogue's (docs/events.md)."""
    return frozenset(CATALOGUE)


# ------------------------------------------------------------------ MLflow 3
# MLflow's (entity, action) pairs for model registry events (mlflow.entities.webhook
# VALID_ENTITY_ACTIONS; its prompt and budget events have no counterpart here).
MLFLOW_TO_TYPE: Final[dict[tuple[str, str], str]] = {
    ("registered_model", "created"): "registered_model.created",
    ("model_version", "created"): "model_version.created",
    ("model_version_tag", "set"): "model_version_tag.set",
    ("model_version_tag", "deleted"): "model_version_tag.deleted",
    # MLflow fires "alias created" whenever an alias is set, moved or not.
    ("model_version_alias", "created"): "alias.set",
    ("model_version_alias", "deleted"): "alias.deleted",
}
TYPE_TO_MLFLOW: Final[dict[str, tuple[str, str]]] = {t: ea for ea, t in MLFLOW_TO_TYPE.items()}


def mlflow_entity_action(event_type: str) -> tuple[str, str]:
    """The ``entity`` and ``action`` of a payload for ``event_type``.

    MLflow's own events get MLflow's names; every other type is split at its last dot
    (``model_version.stage_transitioned`` → ``model_version``, ``stage_transitioned``).
    """
    found = TYPE_TO_MLFLOW.get(event_type)
    if found is not None:
        return found
    entity, _, action = event_type.rpartition(".")
    return entity, action


# ------------------------------------------------------------------ Databricks
@dataclass(frozen=True, slots=True)
class DatabricksEvent:
    """A Databricks registry-webhook event: the modelreg type, and the target stage if
    the name implies one (``…_TO_PRODUCTION``)."""

    name: str
    type: str
    to_stage: str | None = None


_DATABRICKS: Final[tuple[DatabricksEvent, ...]] = (
    DatabricksEvent("MODEL_VERSION_CREATED", "model_version.created"),
    DatabricksEvent("MODEL_VERSION_TAG_SET", "model_version_tag.set"),
    DatabricksEvent("MODEL_VERSION_TRANSITIONED_STAGE", "model_version.stage_transitioned"),
    DatabricksEvent(
        "MODEL_VERSION_TRANSITIONED_TO_STAGING", "model_version.stage_transitioned", "Staging"
    ),
    DatabricksEvent(
        "MODEL_VERSION_TRANSITIONED_TO_PRODUCTION",
        "model_version.stage_transitioned",
        "Production",
    ),
    DatabricksEvent(
        "MODEL_VERSION_TRANSITIONED_TO_ARCHIVED", "model_version.stage_transitioned", "Archived"
    ),
    DatabricksEvent("REGISTERED_MODEL_CREATED", "registered_model.created"),
    DatabricksEvent("COMMENT_CREATED", "comment.created"),
    DatabricksEvent("TRANSITION_REQUEST_CREATED", "transition_request.created"),
    DatabricksEvent(
        "TRANSITION_REQUEST_TO_STAGING_CREATED", "transition_request.created", "Staging"
    ),
    DatabricksEvent(
        "TRANSITION_REQUEST_TO_PRODUCTION_CREATED", "transition_request.created", "Production"
    ),
    DatabricksEvent(
        "TRANSITION_REQUEST_TO_ARCHIVED_CREATED", "transition_request.created", "Archived"
    ),
)
DATABRICKS_EVENTS: Final[dict[str, DatabricksEvent]] = {e.name: e for e in _DATABRICKS}
# Databricks allows REGISTERED_MODEL_CREATED only on registry-wide webhooks.
DATABRICKS_REGISTRY_WIDE_ONLY: Final = frozenset({"REGISTERED_MODEL_CREATED"})
