"""Row → entity mapping for registry reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelreg.entities import ModelVersion, RegisteredModel


def version_from_row(
    row: Any,
    tags: Mapping[str, str] | None = None,
    aliases: Sequence[str] = (),
) -> ModelVersion:
    return ModelVersion(
        name=row.name,
        version=row.version,
        creation_timestamp=row.creation_timestamp,
        last_updated_timestamp=row.last_updated_timestamp,
        current_stage=row.current_stage,
        description=row.description or "",
        source=row.source,
        run_id=row.run_id,
        run_link=row.run_link or "",
        status=row.status,
        status_message=row.status_message,
        user_id=row.user_id,
        model_id=row.model_id_ref,
        tags=dict(tags or {}),
        aliases=tuple(sorted(aliases)),
        storage_location=row.storage_location,
    )


def model_from_row(
    row: Any,
    tags: Mapping[str, str],
    aliases: Mapping[str, int],
    latest: Sequence[ModelVersion],
) -> RegisteredModel:
    return RegisteredModel(
        name=row.name,
        creation_timestamp=row.creation_timestamp,
        last_updated_timestamp=row.last_updated_timestamp,
        description=row.description or "",
        user_id=row.user_id,
        tags=dict(tags),
        aliases=dict(sorted(aliases.items())),
        latest_versions=tuple(sorted(latest, key=lambda mv: mv.version)),
    )
