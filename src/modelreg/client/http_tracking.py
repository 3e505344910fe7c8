"""The HTTP transport for tracking: experiments, runs and logged models over MLflow's REST API.

:class:`HttpTracking` implements :class:`~modelreg.protocols.Tracking`, as the
in-process service does, so ``MlflowClient`` and the fluent API work the same against
a server as embedded. Values are converted to
their wire types the way the service would convert them (parameter values and tag
values are ``str()``-ed), so the server's rules give the same outcome as in-process.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from modelreg.client.http import JsonApi
from modelreg.codec import tracking as tc
from modelreg.entities import PagedList
from modelreg.errors import NotFound
from modelreg.limits import (
    BULK_INTERVAL_RESULTS_MAX,
    SEARCH_EXPERIMENTS_DEFAULT,
    SEARCH_LOGGED_MODELS_DEFAULT,
    SEARCH_RUNS_DEFAULT,
)
from modelreg.protocols import Tracking
from modelreg.tracking_entities import (
    ArtifactListing,
    DatasetInput,
    Experiment,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
    Run,
)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _text(value: Any) -> Any:
    # What the service does to a param or tag value; None travels as null so the
    # server applies the same "cannot be null" rule it applies in-process.
    return value if value is None or isinstance(value, str) else str(value)


def _pairs(items: Mapping[str, Any] | None) -> list[dict[str, Any]] | None:
    if items is None:
        return None
    return [{"key": key, "value": _text(value)} for key, value in items.items()]


def _param_pairs(items: Mapping[str, Any] | None) -> list[dict[str, Any]] | None:
    # The service str()-s every param value, None included ("None"), as MLflow does.
    if items is None:
        return None
    return [{"key": key, "value": v if isinstance(v, str) else str(v)} for key, v in items.items()]


def _metric(m: Metric) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": m.key,
        "value": tc.float_value(m.value) if isinstance(m.value, float) else m.value,
        "timestamp": m.timestamp,
        "step": m.step,
    }
    if m.model_id:
        out["model_id"] = m.model_id
    if m.dataset_name is not None:
        out["dataset_name"] = m.dataset_name
    if m.dataset_digest is not None:
        out["dataset_digest"] = m.dataset_digest
    return out


def _dataset_input(item: DatasetInput) -> dict[str, Any]:
    dataset = {
        "name": item.dataset.name,
        "digest": item.dataset.digest,
        "source_type": item.dataset.source_type,
        "source": item.dataset.source,
        "schema": item.dataset.schema,
        "profile": item.dataset.profile,
    }
    return {
        "tags": _pairs(item.tags) or [],
        "dataset": {k: v for k, v in dataset.items() if v is not None},
    }


def _segment(value: str) -> str:
    # A path parameter: every reserved character escaped, so it stays one segment.
    return quote(value, safe="")


class HttpTracking(JsonApi, Tracking):
    """The tracking use cases, served by a modelreg (or MLflow) server at ``base_url``.

    Same constructor as :class:`~modelreg.client.http.JsonApi`.
    """

    # ----------------------------------------------------------- experiments
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> str:
        fields = {"name": name, "artifact_location": artifact_location, "tags": _pairs(tags)}
        data = self._call("POST", "mlflow/experiments/create", fields)
        return self._parse(lambda d: str(d["experiment_id"]), data)

    def get_experiment(self, experiment_id: str | int) -> Experiment:
        data = self._call("GET", "mlflow/experiments/get", {"experiment_id": str(experiment_id)})
        return self._parse(tc.experiment_from_json, data.get("experiment"))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            data = self._call("GET", "mlflow/experiments/get-by-name", {"experiment_name": name})
        except NotFound as error:
            if error.error_code == NotFound.error_code:
                return None
            raise
        return self._parse(tc.experiment_from_json, data.get("experiment"))

    def search_experiments(
        self,
        view_type: str = "ACTIVE_ONLY",
        max_results: int = SEARCH_EXPERIMENTS_DEFAULT,
        filter_string: str | None = None,
        page_token: str | None = None,
        order_by: Sequence[str] | None = None,
    ) -> PagedList[Experiment]:
        fields = {
            "view_type": view_type,
            "max_results": max_results,
            "filter": filter_string,
            "page_token": page_token,
            "order_by": None if order_by is None else list(order_by),
        }
        data = self._call("POST", "mlflow/experiments/search", fields)
        found = self._parse(
            lambda d: [tc.experiment_from_json(e) for e in d or ()], data.get("experiments")
        )
        return PagedList(found, data.get("next_page_token") or None)

    def set_experiment_tag(self, experiment_id: str | int, key: str, value: Any) -> None:
        fields = {"experiment_id": str(experiment_id), "key": key, "value": _text(value)}
        self._call("POST", "mlflow/experiments/set-experiment-tag", fields, keep_null=("value",))

    def delete_experiment_tag(self, experiment_id: str | int, key: str) -> None:
        fields = {"experiment_id": str(experiment_id), "key": key}
        self._call("POST", "mlflow/experiments/delete-experiment-tag", fields)

    def rename_experiment(self, experiment_id: str | int, new_name: str) -> None:
        fields = {"experiment_id": str(experiment_id), "new_name": new_name}
        self._call("POST", "mlflow/experiments/update", fields)

    def delete_experiment(self, experiment_id: str | int) -> None:
        self._call("POST", "mlflow/experiments/delete", {"experiment_id": str(experiment_id)})

    def restore_experiment(self, experiment_id: str | int) -> None:
        self._call("POST", "mlflow/experiments/restore", {"experiment_id": str(experiment_id)})

    # ------------------------------------------------------------------ runs
    def create_run(
        self,
        experiment_id: str | int | None = None,
        start_time: int | None = None,
        tags: Mapping[str, Any] | None = None,
        run_name: str | None = None,
        user_id: str | None = None,
    ) -> Run:
        fields = {
            "experiment_id": None if experiment_id is None else str(experiment_id),
            "user_id": user_id,
            "run_name": run_name,
            "start_time": start_time,
            "tags": _pairs(tags),
        }
        return self._run(self._call("POST", "mlflow/runs/create", fields))

    def get_run(self, run_id: str) -> Run:
        return self._run(self._call("GET", "mlflow/runs/get", {"run_id": run_id}))

    def _run(self, data: dict[str, Any]) -> Run:
        return self._parse(tc.run_from_json, data.get("run"))

    def update_run(
        self,
        run_id: str,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> Run:
        fields = {
            "run_id": run_id,
            "run_uuid": run_id,
            "status": status,
            "end_time": end_time,
            "run_name": run_name,
        }
        self._call("POST", "mlflow/runs/update", fields)
        # The wire answers with run_info only; the service returns the whole run.
        return self.get_run(run_id)

    def delete_run(self, run_id: str) -> None:
        self._call("POST", "mlflow/runs/delete", {"run_id": run_id})

    def restore_run(self, run_id: str) -> None:
        self._call("POST", "mlflow/runs/restore", {"run_id": run_id})

    def search_runs(
        self,
        experiment_ids: Sequence[str | int],
        filter_string: str = "",
        run_view_type: str = "ACTIVE_ONLY",
        max_results: int = SEARCH_RUNS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        fields = {
            "experiment_ids": [str(e) for e in experiment_ids],
            "filter": filter_string or None,
            "run_view_type": run_view_type,
            "max_results": max_results,
            "order_by": None if order_by is None else list(order_by),
            "page_token": page_token,
        }
        data = self._call("POST", "mlflow/runs/search", fields)
        found = self._parse(lambda d: [tc.run_from_json(r) for r in d or ()], data.get("runs"))
        return PagedList(found, data.get("next_page_token") or None)

    # ------------------------------------------------ params, metrics, tags
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        fields = {
            "run_id": run_id,
            "metrics": [_metric(m) for m in metrics] or None,
            "params": _param_pairs(params) or None,
            "tags": _pairs(tags) or None,
        }
        self._call("POST", "mlflow/runs/log-batch", fields)

    def log_param(self, run_id: str, key: str, value: Any) -> None:
        self.log_batch(run_id, params={key: value})

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        model_id: str | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
    ) -> None:
        fields = {
            "run_id": run_id,
            "run_uuid": run_id,
            "key": key,
            "value": tc.float_value(value) if isinstance(value, float) else value,
            "timestamp": timestamp if timestamp is not None else _now_ms(),
            "step": step or 0,
            "model_id": model_id,
            "dataset_name": dataset_name,
            "dataset_digest": dataset_digest,
        }
        self._call("POST", "mlflow/runs/log-metric", fields)

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        fields = {"run_id": run_id, "run_uuid": run_id, "key": key, "value": _text(value)}
        self._call("POST", "mlflow/runs/set-tag", fields, keep_null=("value",))

    def delete_tag(self, run_id: str, key: str) -> None:
        self._call("POST", "mlflow/runs/delete-tag", {"run_id": run_id, "key": key})

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        fields = {
            "run_id": run_id,
            "metric_key": key,
            "max_results": max_results,
            "page_token": page_token,
        }
        data = self._call("GET", "mlflow/metrics/get-history", fields)
        found = self._parse(
            lambda d: [tc.metric_from_json(m) for m in d or ()], data.get("metrics")
        )
        return PagedList(found, data.get("next_page_token") or None)

    def get_metric_history_bulk_interval(
        self,
        run_ids: Sequence[str],
        metric_key: str,
        max_results: int = BULK_INTERVAL_RESULTS_MAX,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[Metric]:
        fields = {
            "run_ids": list(run_ids),
            "metric_key": metric_key,
            "max_results": max_results,
            "start_step": start_step,
            "end_step": end_step,
        }
        data = self._call("GET", "mlflow/metrics/get-history-bulk-interval", fields)
        return self._parse(lambda d: [tc.metric_from_json(m) for m in d or ()], data.get("metrics"))

    def log_inputs(
        self,
        run_id: str,
        dataset_inputs: Sequence[DatasetInput] = (),
        models: Sequence[LoggedModelInput] | None = None,
    ) -> None:
        fields = {
            "run_id": run_id,
            "datasets": [_dataset_input(i) for i in dataset_inputs],
            "models": [{"model_id": m.model_id} for m in models or ()] or None,
        }
        self._call("POST", "mlflow/runs/log-inputs", fields)

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        fields = {
            "run_id": run_id,
            "models": [{"model_id": m.model_id, "step": m.step} for m in models],
        }
        self._call("POST", "mlflow/runs/outputs", fields)

    def list_artifacts(self, run_id: str, path: str | None = None) -> ArtifactListing:
        fields = {"run_id": run_id, "path": path}
        data = self._call("GET", "mlflow/artifacts/list", fields)
        return self._parse(tc.artifact_listing_from_json, data)

    # ---------------------------------------------------------- logged models
    def create_logged_model(
        self,
        experiment_id: str | int,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        fields = {
            "experiment_id": str(experiment_id),
            "name": name,
            "model_type": model_type,
            "source_run_id": source_run_id,
            "params": _param_pairs(params),
            "tags": _pairs(tags),
        }
        return self._model(self._call("POST", "mlflow/logged-models", fields))

    def _model(self, data: dict[str, Any]) -> LoggedModel:
        return self._parse(tc.logged_model_from_json, data.get("model"))

    def _model_path(self, model_id: str, suffix: str = "") -> str:
        return f"mlflow/logged-models/{_segment(model_id)}{suffix}"

    def get_logged_model(self, model_id: str) -> LoggedModel:
        return self._model(self._call("GET", self._model_path(model_id), {}))

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        fields = {"model_id": model_id, "status": status}
        return self._model(self._call("PATCH", self._model_path(model_id), fields))

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, Any]) -> None:
        self._call("PATCH", self._model_path(model_id, "/tags"), {"tags": _pairs(tags)})

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self._call("DELETE", self._model_path(model_id, f"/tags/{_segment(key)}"), {})

    def log_logged_model_params(self, model_id: str, params: Mapping[str, Any]) -> None:
        fields = {"model_id": model_id, "params": _param_pairs(params)}
        self._call("POST", self._model_path(model_id, "/params"), fields)

    def delete_logged_model(self, model_id: str) -> None:
        self._call("DELETE", self._model_path(model_id), {})

    def list_logged_model_artifacts(
        self, model_id: str, path: str | None = None
    ) -> ArtifactListing:
        fields = {"artifact_directory_path": path}
        data = self._call("GET", self._model_path(model_id, "/artifacts/directories"), fields)
        return self._parse(tc.artifact_listing_from_json, data)

    def search_logged_models(
        self,
        experiment_ids: Sequence[str | int],
        filter_string: str | None = None,
        max_results: int = SEARCH_LOGGED_MODELS_DEFAULT,
        order_by: Sequence[Mapping[str, Any]] | None = None,
        page_token: str | None = None,
        datasets: Sequence[Mapping[str, Any]] | None = None,
    ) -> PagedList[LoggedModel]:
        fields = {
            "experiment_ids": [str(e) for e in experiment_ids],
            "filter": filter_string,
            "max_results": max_results,
            "order_by": None if order_by is None else [dict(o) for o in order_by],
            "page_token": page_token,
            "datasets": None if datasets is None else [dict(d) for d in datasets],
        }
        data = self._call("POST", "mlflow/logged-models/search", fields)
        found = self._parse(
            lambda d: [tc.logged_model_from_json(m) for m in d or ()], data.get("models")
        )
        return PagedList(found, data.get("next_page_token") or None)


__all__ = ["HttpTracking"]
