"""The module-level tracking API: ``modelreg.start_run()``, ``log_param``, ``register_model``.

Mirrors MLflow's fluent API. The active-run stack is per thread; every call goes through
an :class:`~modelreg.client.MlflowClient` for the tracking URI in force.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from modelreg import _git
from modelreg.client import MlflowClient
from modelreg.client.logged_models import logged_model_for_run
from modelreg.config import current_actor, get_tracking_uri
from modelreg.entities import ModelVersion
from modelreg.errors import AlreadyExists, InvalidArgument, NotFound
from modelreg.tracking_entities import (
    DEFAULT_EXPERIMENT_ID,
    Dataset,
    DatasetInput,
    Experiment,
    LoggedModelOutput,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunTag,
)

PARENT_RUN_TAG = "mlflow.parentRunId"
DATASET_CONTEXT_TAG = "mlflow.data.context"

_state = threading.local()
_experiment_id: str | None = None
_last_run_id: str | None = None


def _stack() -> list[ActiveRun]:
    stack: list[ActiveRun] | None = getattr(_state, "stack", None)
    if stack is None:
        stack = _state.stack = []
    return stack


def client() -> MlflowClient:
    """The client for the tracking URI in force (cheap: databases are shared)."""
    return MlflowClient(tracking_uri=get_tracking_uri())


class ActiveRun:
    """The run ``start_run`` returned; ends the run when its ``with`` block exits."""

    def __init__(self, run: Run) -> None:
        self._run = run

    @property
    def info(self) -> RunInfo:
        return self._run.info

    @property
    def data(self) -> RunData:
        return client().get_run(self._run.info.run_id).data

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        status = "FINISHED" if exc_type is None else "FAILED"
        if exc_type is KeyboardInterrupt:
            status = "KILLED"
        end_run(status)


# ---------------------------------------------------------------- experiments
def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment the default for new runs, creating it by name if needed."""
    global _experiment_id
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidArgument("Give exactly one of experiment_name and experiment_id.")
    c = client()
    if experiment_id is not None:
        experiment = c.get_experiment(experiment_id)
    else:
        found = c.get_experiment_by_name(str(experiment_name))
        if found is None:
            with contextlib.suppress(AlreadyExists):
                c.create_experiment(str(experiment_name))
            found = c.get_experiment_by_name(str(experiment_name))
        if found is None:  # pragma: no cover - created just above
            raise NotFound(f"Experiment {experiment_name!r} could not be created.")
        experiment = found
    if experiment.lifecycle_stage != "active":
        raise InvalidArgument(
            f"Experiment {experiment.name!r} is deleted; restore it before using it."
        )
    _experiment_id = experiment.experiment_id
    return experiment


def create_experiment(
    name: str, artifact_location: str | None = None, tags: Mapping[str, Any] | None = None
) -> str:
    return client().create_experiment(name, artifact_location, dict(tags or {}))


def get_experiment(experiment_id: str) -> Experiment:
    return client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    return client().get_experiment_by_name(name)


def current_experiment_id() -> str:
    return (
        _experiment_id
        or os.environ.get("MODELREG_EXPERIMENT_ID")
        or os.environ.get("MLFLOW_EXPERIMENT_ID")
        or DEFAULT_EXPERIMENT_ID
    )


# ----------------------------------------------------------------------- runs
def source_tags() -> dict[str, str]:
    script = sys.argv[0] if sys.argv and sys.argv[0] else ""
    tags = {
        "mlflow.user": current_actor(),
        "mlflow.source.type": "LOCAL",
        "mlflow.source.name": str(Path(script).resolve()) if script else "<console>",
    }
    commit = _git.head_commit(Path(script).resolve().parent if script else Path.cwd())
    if commit:
        tags["mlflow.source.git.commit"] = commit
    return tags


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a run (or resume ``run_id``) and make it active in this thread."""
    global _last_run_id
    stack = _stack()
    if stack and not nested and parent_run_id is None:
        raise InvalidArgument(
            f"Run with UUID {stack[-1].info.run_id} is already active. To start a nested "
            "run, call start_run with nested=True; to start a new run, end the current one "
            "with modelreg.end_run() first."
        )
    c = client()
    if run_id is not None:
        run = c.get_run(run_id)
        if run.info.status != "RUNNING":
            c.update_run(run_id, status="RUNNING")
            run = c.get_run(run_id)
    else:
        all_tags: dict[str, Any] = {**source_tags(), **dict(tags or {})}
        parent = parent_run_id or (stack[-1].info.run_id if stack and nested else None)
        if parent:
            all_tags[PARENT_RUN_TAG] = parent
        if description:
            all_tags["mlflow.note.content"] = description
        run = c.create_run(
            experiment_id or current_experiment_id(), tags=all_tags, run_name=run_name
        )
    active = ActiveRun(run)
    stack.append(active)
    _last_run_id = run.info.run_id
    return active


def end_run(status: str = "FINISHED") -> None:
    """End the active run of this thread (a no-op when there is none)."""
    stack = _stack()
    if stack:
        run = stack.pop()
        client().set_terminated(run.info.run_id, status)


def active_run() -> ActiveRun | None:
    stack = _stack()
    return stack[-1] if stack else None


def last_active_run() -> Run | None:
    current = active_run()
    run_id = current.info.run_id if current else _last_run_id
    return client().get_run(run_id) if run_id else None


def get_run(run_id: str) -> Run:
    return client().get_run(run_id)


def _active_run_id() -> str:
    """The active run, starting one (as MLflow does) when logging outside ``with``."""
    current = active_run()
    return (current or start_run()).info.run_id


# ------------------------------------------------------------------- logging
def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    client().log_param(_active_run_id(), key, value)
    return value


def log_params(params: Mapping[str, Any], synchronous: bool | None = None) -> None:
    items = [Param(str(k), str(v)) for k, v in params.items()]
    client().log_batch(_active_run_id(), params=items)


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
    model_id: str | None = None,
    **_ignored: Any,
) -> None:
    client().log_metric(run_id or _active_run_id(), key, value, timestamp, step, model_id=model_id)


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
    model_id: str | None = None,
    **_ignored: Any,
) -> None:
    now = timestamp or time.time_ns() // 1_000_000
    batch = [Metric(k, v, now, step or 0, model_id=model_id) for k, v in metrics.items()]
    client().log_batch(run_id or _active_run_id(), metrics=batch)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> None:
    client().set_tag(_active_run_id(), key, value)


def set_tags(tags: Mapping[str, Any], synchronous: bool | None = None) -> None:
    client().log_batch(_active_run_id(), tags=[RunTag(str(k), str(v)) for k, v in tags.items()])


def delete_tag(key: str) -> None:
    client().delete_tag(_active_run_id(), key)


def log_input(
    dataset: Dataset,
    context: str | None = None,
    tags: Mapping[str, str] | None = None,
    model: Any = None,
) -> None:
    """Record that the active run used ``dataset`` (see :mod:`modelreg.data`)."""
    input_tags = dict(tags or {})
    if context:
        input_tags[DATASET_CONTEXT_TAG] = context
    client().log_inputs(_active_run_id(), [DatasetInput(dataset=dataset, tags=input_tags)])


def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    client().log_artifact(_active_run_id(), local_path, artifact_path)


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    client().log_artifacts(_active_run_id(), local_dir, artifact_path)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    base: str = client().get_run(_active_run_id()).info.artifact_uri
    return f"{base.rstrip('/')}/{artifact_path.lstrip('/')}" if artifact_path else base


# ------------------------------------------------------------------ registry
def register_model(
    model_uri: str,
    name: str,
    await_registration_for: int = 300,
    *,
    tags: Mapping[str, Any] | None = None,
) -> ModelVersion:
    """Create (if needed) the registered model ``name`` and its next version from ``model_uri``.

    ``runs:/<run_id>/<path>`` names either files under the run (MLflow 2 style) or the
    model logged in that run under ``<path>`` (MLflow 3 style); ``models:/m-<id>`` names
    a logged model.
    """
    c = client()
    with contextlib.suppress(AlreadyExists):
        c.create_registered_model(name)
    source, run_id, model_id = resolve_registration_source(c, model_uri)
    # The server (or the embedded service) records the version on the logged model's
    # mlflow.modelVersions tag, in the same transaction, as MLflow's server does.
    return c.create_model_version(
        name, source, run_id=run_id, tags=dict(tags or {}), model_id=model_id
    )


def resolve_registration_source(
    c: MlflowClient, model_uri: str
) -> tuple[str, str | None, str | None]:
    """(source, run_id, model_id) for a model URI given to ``register_model``."""
    if model_uri.startswith("models:/m-"):
        model_id = model_uri.removeprefix("models:/").strip("/")
        logged = c.get_logged_model(model_id)
        return model_uri, logged.source_run_id, model_id
    if not model_uri.startswith("runs:/"):
        return model_uri, None, None
    run_id, _, path = model_uri.removeprefix("runs:/").strip("/").partition("/")
    run = c.get_run(run_id)
    path = path.strip("/")
    has_files = any(f.path.endswith("MLmodel") for f in c.list_artifacts(run_id, path or None))
    if has_files or not path:
        return model_uri, run_id, None
    found_id = logged_model_for_run(c, run, path)
    return f"models:/{found_id}", run_id, found_id


def log_model_output(run_id: str, model_id: str, step: int = 0) -> None:
    client().log_outputs(run_id, [LoggedModelOutput(model_id=model_id, step=step)])
