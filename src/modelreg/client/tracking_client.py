"""The tracking half of ``MlflowClient``: experiments, runs, metrics and logged models."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from itertools import zip_longest
from typing import Any

from modelreg import validation
from modelreg.entities import PagedList
from modelreg.errors import InvalidArgument
from modelreg.limits import (
    LOG_BATCH_ENTITIES_MAX,
    LOG_BATCH_METRICS_MAX,
    LOG_BATCH_PARAMS_TAGS_MAX,
    METRIC_HISTORY_PAGE,
    SEARCH_EXPERIMENTS_DEFAULT,
    SEARCH_LOGGED_MODELS_DEFAULT,
    SEARCH_RUNS_DEFAULT,
)
from modelreg.protocols import Tracking
from modelreg.tracking_entities import (
    DatasetInput,
    Experiment,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
    Param,
    Run,
    RunTag,
)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class TrackingMethods:
    """MlflowClient's tracking methods; mixed into :class:`~modelreg.client.MlflowClient`."""

    # In-process (embedded) or over HTTP: the same methods, arguments and results.
    _tracking: Tracking

    # ----------------------------------------------------------- experiments
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: dict[str, Any] | None = None,
    ) -> str:
        return self._tracking.create_experiment(name, artifact_location, tags)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self._tracking.get_experiment(experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self._tracking.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: int | str = "ACTIVE_ONLY",
        max_results: int | None = SEARCH_EXPERIMENTS_DEFAULT,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        return self._tracking.search_experiments(
            _view_type(view_type),
            max_results or SEARCH_EXPERIMENTS_DEFAULT,
            filter_string,
            page_token,
            order_by,
        )

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        self._tracking.set_experiment_tag(experiment_id, key, value)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self._tracking.delete_experiment_tag(experiment_id, key)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._tracking.rename_experiment(experiment_id, new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        self._tracking.delete_experiment(experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        self._tracking.restore_experiment(experiment_id)

    # ------------------------------------------------------------------ runs
    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: dict[str, Any] | None = None,
        run_name: str | None = None,
    ) -> Run:
        return self._tracking.create_run(experiment_id, start_time, tags, run_name)

    def get_run(self, run_id: str) -> Run:
        return self._tracking.get_run(run_id)

    def get_parent_run(self, run_id: str) -> Run | None:
        parent = self.get_run(run_id).data.tags.get("mlflow.parentRunId")
        return self.get_run(parent) if parent else None

    def search_runs(
        self,
        experiment_ids: str | list[str],
        filter_string: str = "",
        run_view_type: int | str = "ACTIVE_ONLY",
        max_results: int = SEARCH_RUNS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        ids = [experiment_ids] if isinstance(experiment_ids, str) else list(experiment_ids)
        return self._tracking.search_runs(
            ids, filter_string, _view_type(run_view_type), max_results, order_by, page_token
        )

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        self._tracking.update_run(run_id, status=status, run_name=name)

    def set_terminated(
        self, run_id: str, status: str | None = None, end_time: int | None = None
    ) -> None:
        self._tracking.update_run(run_id, status=status or "FINISHED", end_time=end_time)

    def delete_run(self, run_id: str) -> None:
        self._tracking.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        self._tracking.restore_run(run_id)

    # ------------------------------------------------ params, metrics, tags
    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        self._tracking.log_param(run_id, key, value)
        return value

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
        model_id: str | None = None,
    ) -> None:
        self._tracking.log_metric(
            run_id,
            key,
            value,
            timestamp or _now_ms(),
            step,
            model_id,
            dataset_name,
            dataset_digest,
        )

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
    ) -> None:
        """Log them in as many calls as the per-call limits need, as mlflow's client does
        (params and tags 100 at a time with metrics filling up to 1000, then the
        remaining metrics 1000 at a time); a param key given twice is refused first."""
        unique = validation.unique_params((p.key, p.value) for p in params)
        for chunk_metrics, chunk_params, chunk_tags in _batches(
            list(metrics), list(unique.items()), [(t.key, t.value) for t in tags]
        ):
            self._tracking.log_batch(
                run_id, metrics=chunk_metrics, params=dict(chunk_params), tags=dict(chunk_tags)
            )

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        self._tracking.set_tag(run_id, key, value)

    def delete_tag(self, run_id: str, key: str) -> None:
        self._tracking.delete_tag(run_id, key)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every value of the metric, read in pages of ``METRIC_HISTORY_PAGE`` as MLflow does."""
        history = self._tracking.get_metric_history(run_id, key, METRIC_HISTORY_PAGE)
        token = history.token
        while token:
            page = self._tracking.get_metric_history(run_id, key, METRIC_HISTORY_PAGE, token)
            history.extend(page)
            token = page.token
        return history

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] | None = None,
        models: Sequence[LoggedModelInput] | None = None,
    ) -> None:
        if datasets or models:
            self._tracking.log_inputs(run_id, list(datasets or ()), list(models or ()))

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        self._tracking.log_outputs(run_id, list(models))

    # ---------------------------------------------------------- logged models
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        return self._tracking.create_logged_model(
            experiment_id, name, source_run_id, tags, params, model_type
        )

    def get_logged_model(self, model_id: str) -> LoggedModel:
        return self._tracking.get_logged_model(model_id)

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        return self._tracking.finalize_logged_model(model_id, _logged_model_status(status))

    def set_logged_model_tags(self, model_id: str, tags: dict[str, Any]) -> None:
        self._tracking.set_logged_model_tags(model_id, tags)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self._tracking.delete_logged_model_tag(model_id, key)

    def log_model_params(self, model_id: str, params: dict[str, str]) -> None:
        self._tracking.log_logged_model_params(model_id, params)

    def delete_logged_model(self, model_id: str) -> None:
        self._tracking.delete_logged_model(model_id)

    def search_logged_models(
        self,
        experiment_ids: list[str],
        filter_string: str | None = None,
        datasets: list[dict[str, Any]] | None = None,
        max_results: int | None = None,
        order_by: list[dict[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        return self._tracking.search_logged_models(
            experiment_ids,
            filter_string,
            max_results or SEARCH_LOGGED_MODELS_DEFAULT,
            order_by,
            page_token,
            datasets,
        )


def _batches(
    metrics: list[Metric], params: list[tuple[str, Any]], tags: list[tuple[str, Any]]
) -> Iterator[tuple[list[Metric], list[tuple[str, Any]], list[tuple[str, Any]]]]:
    """mlflow's chunking of a log_batch into calls within MLflow's per-call limits."""
    size = LOG_BATCH_PARAMS_TAGS_MAX
    param_chunks = [params[i : i + size] for i in range(0, len(params), size)]
    tag_chunks = [tags[i : i + size] for i in range(0, len(tags), size)]
    none: list[tuple[str, Any]] = []
    for chunk_params, chunk_tags in zip_longest(param_chunks, tag_chunks, fillvalue=none):
        room = LOG_BATCH_ENTITIES_MAX - len(chunk_params) - len(chunk_tags)
        room = max(min(room, LOG_BATCH_METRICS_MAX), 0)
        yield metrics[:room], chunk_params, chunk_tags
        metrics = metrics[room:]
    for start in range(0, len(metrics), LOG_BATCH_METRICS_MAX):
        yield metrics[start : start + LOG_BATCH_METRICS_MAX], [], []


def _view_type(value: int | str) -> str:
    # MLflow's ViewType is an int enum (1 active, 2 deleted, 3 all); accept both forms.
    if isinstance(value, int):
        names = {1: "ACTIVE_ONLY", 2: "DELETED_ONLY", 3: "ALL"}
        if value not in names:
            raise InvalidArgument(f"Invalid view type {value!r}; use 1, 2 or 3.")
        return names[value]
    return value


def _logged_model_status(status: Any) -> str:
    text = getattr(status, "name", None) or str(status)
    short = {"READY": "LOGGED_MODEL_READY", "FAILED": "LOGGED_MODEL_UPLOAD_FAILED"}
    return short.get(text.upper(), text.upper())


__all__ = ["TrackingMethods"]
