"""Row → entity mapping for registry reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelreg.entities import ModelVersion, RegisteredModel

# The column order of every version read (RegistryStore selects exactly these); rows
# are unpacked by position because attribute lookups on rows cost more than the query.
VERSION_COLUMN_NAMES = (
    "name",
    "version",
    "creation_timestamp",
    "last_updated_timestamp",
    "current_stage",
    "description",
    "source",
    "run_id",
    "run_link",
    "status",
    "status_message",
    "user_id",
    "model_id_ref",
    "storage_location",
    "manifest",
    "model_id",
)


def version_from_row(
    row: Any,
    tags: Mapping[str, str] | None = None,
    aliases: Sequence[str] = (),
) -> ModelVersion:
    (
        name,
        version,
        created,
        updated,
        stage,
        description,
        source,
        run_id,
        run_link,
        status,
        status_message,
        user_id,
        logged_model_id,
        storage_location,
        _manifest,
        _model_id,
    ) = row
    # The one place stored versions become entities: numbers become MLflow's strings,
    # unset texts MLflow's "" (see modelreg.entities).
    return ModelVersion(
        name,
        str(version),
        created,
        updated,
        stage,
        description or "",
        source,
        run_id or "",
        run_link or "",
        status,
        status_message,
        user_id or "",
        logged_model_id,
        dict(tags) if tags else {},
        sorted(aliases) if aliases else [],
        storage_location,
    )


# The column order of every registered-model read (the table's own order).
MODEL_COLUMN_NAMES = (
    "id",
    "name",
    "creation_timestamp",
    "last_updated_timestamp",
    "description",
    "user_id",
    "last_version",
)


def model_from_row(
    row: Any,
    tags: Mapping[str, str],
    aliases: Mapping[str, int],
    latest: Sequence[ModelVersion],
) -> RegisteredModel:
    _id, name, created, updated, description, user_id, _last_version = row
    return RegisteredModel(
        name=name,
        creation_timestamp=created,
        last_updated_timestamp=updated,
        description=description or "",
        user_id=user_id or "",
        tags=dict(tags),
        aliases={alias: str(version) for alias, version in sorted(aliases.items())},
        latest_versions=sorted(latest, key=lambda mv: mv.number),
    )
