"""``log_model`` for every flavor: save to a temporary folder, upload, finalize, register.

Follows MLflow 3: a model is a *logged model* (``m-<id>``) with its own artifact
location, linked to the run that produced it; ``registered_model_name`` then creates
the next registered version from ``models:/m-<id>``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelreg import fluent
from modelreg.client.artifact_repos import repository_for
from modelreg.entities import ModelVersion
from modelreg.errors import InvalidArgument
from modelreg.models.mlmodel import Model
from modelreg.tracking_entities import (
    LOGGED_MODEL_FAILED,
    LOGGED_MODEL_READY,
    LoggedModelOutput,
)

SaveFunction = Callable[[Path, Model], Model]


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What ``log_model`` returns, named as MLflow's ``ModelInfo``."""

    model_id: str
    model_uri: str
    artifact_path: str
    run_id: str | None
    flavors: Mapping[str, Any]
    signature: Any
    saved_input_example_info: Mapping[str, Any] | None
    registered_model_version: str | None  # "3", as mlflow has it over REST
    model_version: ModelVersion | None

    @property
    def name(self) -> str:
        return self.artifact_path


def log_model(
    save: SaveFunction,
    *,
    name: str | None,
    artifact_path: str | None,
    registered_model_name: str | None = None,
    model_type: str | None = None,
    tags: Mapping[str, Any] | None = None,
    step: int = 0,
) -> ModelInfo:
    """Save with ``save(folder, prefilled_mlmodel)`` and publish the result as a logged model."""
    if name and artifact_path and name != artifact_path:
        raise InvalidArgument("Give either name or artifact_path (the older spelling), not both.")
    model_name = name or artifact_path or "model"
    client = fluent.client()
    active = fluent.active_run()
    run_id = active.info.run_id if active else None
    experiment_id = active.info.experiment_id if active else fluent.current_experiment_id()
    params = dict(client.get_run(run_id).data.params) if run_id else {}
    all_tags = {**fluent.source_tags(), **dict(tags or {})}
    logged = client.create_logged_model(
        experiment_id, model_name, run_id, tags=all_tags, params=params, model_type=model_type
    )
    prefilled = Model(
        artifact_path=logged.artifact_location,
        run_id=run_id,
        model_id=logged.model_id,
        model_uuid=logged.model_id,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="modelreg-") as scratch:
            folder = Path(scratch) / "model"
            saved = save(folder, prefilled)
            repository_for(logged.artifact_location, client.tracking_uri).upload_tree(folder, "")
    except BaseException:
        client.finalize_logged_model(logged.model_id, LOGGED_MODEL_FAILED)
        raise
    client.finalize_logged_model(logged.model_id, LOGGED_MODEL_READY)
    if run_id is not None:
        client.log_outputs(run_id, [LoggedModelOutput(model_id=logged.model_id, step=step)])
    version = (
        fluent.register_model(f"models:/{logged.model_id}", registered_model_name)
        if registered_model_name
        else None
    )
    return ModelInfo(
        model_id=logged.model_id,
        model_uri=f"models:/{logged.model_id}",
        artifact_path=model_name,
        run_id=run_id,
        flavors=saved.flavors,
        signature=saved.signature,
        saved_input_example_info=saved.saved_input_example_info,
        registered_model_version=version.version if version else None,
        model_version=version,
    )
