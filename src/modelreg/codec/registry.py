"""Registered models and model versions as MLflow's JSON (mlflow-wire.md §1, §4).

Out: versions and ids are strings (the client's proto parser rejects numbers there),
timestamps numbers, and empty fields are omitted where MLflow omits them.
In: the entities the real ``mlflow`` client builds from the same JSON, field by field
(``version`` a ``str``, an unset ``run_id`` ``""``, aliases a list, tags a dict).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelreg.entities import STAGE_NONE, ModelVersion, RegisteredModel


def tag_pairs(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in tags.items()]


def tags_from_pairs(items: Any) -> dict[str, str]:
    return {item["key"]: item.get("value", "") for item in items or ()}


# ------------------------------------------------------------------ entities out
def model_version_json(mv: ModelVersion) -> dict[str, Any]:
    """A ``ModelVersion`` message, keys in proto field order."""
    out: dict[str, Any] = {
        "name": mv.name,
        "version": str(mv.version),
        "creation_timestamp": mv.creation_timestamp,
        "last_updated_timestamp": mv.last_updated_timestamp,
    }
    # MLflow never fills user_id or model_id, so its server never sends them; both are
    # proto fields the client accepts, and without them the HTTP client could not return
    # the same entity as the embedded one.
    if mv.user_id:
        out["user_id"] = mv.user_id
    out["current_stage"] = mv.current_stage
    # description, run_id and run_link are always present on the real server ("" if unset).
    out["description"] = mv.description
    out["source"] = mv.source
    out["run_id"] = mv.run_id
    out["status"] = mv.status
    if mv.status_message:
        out["status_message"] = mv.status_message
    if mv.tags:
        out["tags"] = tag_pairs(mv.tags)
    out["run_link"] = mv.run_link
    if mv.aliases:
        out["aliases"] = list(mv.aliases)
    if mv.model_id:
        out["model_id"] = mv.model_id
    return out


def registered_model_json(rm: RegisteredModel) -> dict[str, Any]:
    """A ``RegisteredModel`` message; empty description, tags, aliases are omitted."""
    out: dict[str, Any] = {
        "name": rm.name,
        "creation_timestamp": rm.creation_timestamp,
        "last_updated_timestamp": rm.last_updated_timestamp,
    }
    if rm.user_id:
        out["user_id"] = rm.user_id
    if rm.description:
        out["description"] = rm.description
    if rm.latest_versions:
        out["latest_versions"] = [model_version_json(mv) for mv in rm.latest_versions]
    if rm.tags:
        out["tags"] = tag_pairs(rm.tags)
    if rm.aliases:
        out["aliases"] = [
            {"alias": alias, "version": str(version)} for alias, version in rm.aliases.items()
        ]
    return out


def model_versions_json(versions: Sequence[ModelVersion]) -> list[dict[str, Any]]:
    return [model_version_json(mv) for mv in versions]


# ------------------------------------------------------------------ entities in
def model_version_from_json(data: Mapping[str, Any]) -> ModelVersion:
    return ModelVersion(
        name=data["name"],
        version=str(int(data["version"])),
        creation_timestamp=int(data.get("creation_timestamp", 0)),
        last_updated_timestamp=int(data.get("last_updated_timestamp", 0)),
        current_stage=data.get("current_stage") or STAGE_NONE,
        description=data.get("description") or "",
        source=data.get("source") or "",
        run_id=data.get("run_id") or "",
        run_link=data.get("run_link") or "",
        # Absent means the proto2 default, the first enum value.
        status=data.get("status") or "PENDING_REGISTRATION",
        status_message=data.get("status_message") or None,
        user_id=data.get("user_id") or "",
        model_id=data.get("model_id") or None,
        tags=tags_from_pairs(data.get("tags")),
        aliases=list(data.get("aliases") or ()),
    )


def registered_model_from_json(data: Mapping[str, Any]) -> RegisteredModel:
    return RegisteredModel(
        name=data["name"],
        creation_timestamp=int(data.get("creation_timestamp", 0)),
        last_updated_timestamp=int(data.get("last_updated_timestamp", 0)),
        description=data.get("description") or "",
        user_id=data.get("user_id") or "",
        tags=tags_from_pairs(data.get("tags")),
        aliases={item["alias"]: str(int(item["version"])) for item in data.get("aliases") or ()},
        latest_versions=[model_version_from_json(mv) for mv in data.get("latest_versions") or ()],
    )
