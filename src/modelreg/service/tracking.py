"""Tracking use cases: experiments, runs, params, metrics, tags, datasets, logged models.

Each public method is one transaction and records its events in it (what is and is
not recorded: docs/events.md). :class:`TrackingService` implements
:class:`~modelreg.protocols.Tracking`.
"""

from __future__ import annotations

import math
import posixpath
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Self

from sqlalchemy import Connection

from modelreg import events, filters, validation
from modelreg.artifacts import ArtifactStore, open_artifact_store, safe_relative_path
from modelreg.entities import PagedList
from modelreg.errors import InvalidArgument, NotFound
from modelreg.limits import (
    BULK_INTERVAL_RESULTS_MAX,
    BULK_INTERVAL_RUNS_MAX,
    LOG_BATCH_ENTITIES_MAX,
    LOG_BATCH_METRICS_MAX,
    LOG_BATCH_PARAMS_TAGS_MAX,
    METRIC_HISTORY_MAX,
    SEARCH_EXPERIMENTS_DEFAULT,
    SEARCH_EXPERIMENTS_MAX,
    SEARCH_LOGGED_MODELS_DEFAULT,
    SEARCH_LOGGED_MODELS_MAX,
    SEARCH_RUNS_DEFAULT,
    SEARCH_RUNS_MAX,
)
from modelreg.principal import Principal, as_principal
from modelreg.protocols import Tracking
from modelreg.service import event_log
from modelreg.service.artifact_locations import ArtifactLocations, is_absolute_location
from modelreg.service.auth.policy import GrantPolicy
from modelreg.service.clock import Clock, now_ms
from modelreg.service.paging import fetch_page
from modelreg.store.database import Database
from modelreg.store.tracking import TrackingStore
from modelreg.tracking_entities import (
    LIFECYCLE_ACTIVE,
    LIFECYCLE_DELETED,
    LOGGED_MODEL_PENDING,
    LOGGED_MODEL_STATUSES,
    RUN_STATUSES,
    TERMINAL_RUN_STATUSES,
    ArtifactListing,
    Dataset,
    DatasetInput,
    Experiment,
    FileInfo,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
    Run,
)

MAX_PARAM_VALUE_LENGTH = 6000
MAX_RUN_NAME_LENGTH = 250
RUN_NAME_TAG = "mlflow.runName"
_EXPERIMENT_ID = re.compile(r"^\d{1,18}$")


def parse_experiment_id(experiment_id: object) -> int:
    text = str(experiment_id) if isinstance(experiment_id, int | str) else ""
    if isinstance(experiment_id, bool) or not _EXPERIMENT_ID.match(text):
        raise InvalidArgument(
            f"Invalid experiment ID {experiment_id!r}: experiment IDs are decimal integers."
        )
    return int(text)


def _run_not_found(run_id: str) -> NotFound:
    return NotFound(f"Run with id={run_id} not found")


class TrackingService(Tracking):
    """Experiments, runs and logged models over one database and one artifact root.

    Acts for one actor, as :class:`~modelreg.service.RegistryService` does.
    """

    def __init__(
        self,
        db: Database,
        locations: ArtifactLocations,
        *,
        actor: str | Principal = "unknown",
        clock: Clock = now_ms,
        artifacts: ArtifactStore | None = None,
        grants: GrantPolicy | None = None,
    ) -> None:
        self.db = db
        # Set with ``--auth``: searches keep only what the principal may read.
        self.grants = grants
        self.locations = locations
        self.principal = as_principal(actor)
        self.actor = self.principal.name
        self.clock = clock
        # The store under the artifact root (the server's artifacts destination), which
        # holds every run's and logged model's files unless an experiment chose another
        # location (embedded only); opened from the root on first use when not given.
        self._artifacts = artifacts

    def as_actor(self, actor: str | Principal) -> Self:
        """The same service acting for ``actor`` (the server passes the caller in)."""
        return type(self)(
            self.db,
            self.locations,
            actor=actor,
            clock=self.clock,
            artifacts=self._artifacts,
            grants=self.grants,
        )

    def _record(self, conn: Connection, now: int, *recorded: events.DomainEvent) -> None:
        event_log.record(conn, self.actor, now, *recorded)

    # ----------------------------------------------------------- experiments
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> str:
        if not isinstance(name, str) or not name.strip():
            raise InvalidArgument("Experiment name must be a non-empty string.")
        if len(name) > 256:
            raise InvalidArgument("Experiment name is longer than 256 characters.")
        clean_tags = validation.validate_tags(tags)
        now = self.clock()
        with self.db.write() as conn:
            store = TrackingStore(conn)
            experiment_id = store.next_counter("experiment_id")
            location = self.locations.experiment_location(artifact_location, experiment_id)
            store.insert_experiment(experiment_id, name, location, now)
            store.set_experiment_tags(experiment_id, clean_tags)
            self._record(
                conn,
                now,
                events.ExperimentCreated(
                    experiment_id=str(experiment_id),
                    name=name,
                    artifact_location=location,
                    tags=clean_tags,
                ),
            )
        return str(experiment_id)

    def get_experiment(self, experiment_id: str | int) -> Experiment:
        number = parse_experiment_id(experiment_id)
        with self.db.read() as conn:
            found = TrackingStore(conn).get_experiment(experiment_id=number)
        if found is None:
            raise NotFound(f"No Experiment with id={experiment_id} exists")
        return self._located(found)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        with self.db.read() as conn:
            found = TrackingStore(conn).get_experiment(name=name)
        return None if found is None else self._located(found)

    def search_experiments(
        self,
        view_type: str = "ACTIVE_ONLY",
        max_results: int = SEARCH_EXPERIMENTS_DEFAULT,
        filter_string: str | None = None,
        page_token: str | None = None,
        order_by: Sequence[str] | None = None,
    ) -> PagedList[Experiment]:
        stages = _view_stages(view_type)
        limit = _page_size(
            max_results, maximum=SEARCH_EXPERIMENTS_MAX, default=SEARCH_EXPERIMENTS_DEFAULT
        )
        parsed = filters.parse_experiment_filter(filter_string, self.db.filter_limits)
        order = filters.parse_experiment_order_by(order_by)
        visible = None if self.grants is None else self.grants.visibility(self.principal)

        def fetch(offset: int, count: int) -> list[Experiment]:
            with self.db.read() as conn:
                store = TrackingStore(conn)
                found = store.search_experiments(stages, parsed, order, offset, count, visible)
            return [self._located(e) for e in found]

        return fetch_page(fetch, page_token, limit)

    def set_experiment_tag(self, experiment_id: str | int, key: str, value: Any) -> None:
        number = parse_experiment_id(experiment_id)
        key = validation.validate_tag_key(key)
        text = validation.validate_tag_value(key, value)
        with self.db.write() as conn:
            store = TrackingStore(conn)
            self._require_experiment(store, number)
            store.set_experiment_tags(number, {key: text})
            self._record(
                conn,
                self.clock(),
                events.ExperimentTagSet(experiment_id=str(number), key=key, value=text),
            )

    def delete_experiment_tag(self, experiment_id: str | int, key: str) -> None:
        number = parse_experiment_id(experiment_id)
        key = validation.validate_tag_key(key)
        with self.db.write() as conn:
            store = TrackingStore(conn)
            self._require_experiment(store, number)
            if not store.delete_experiment_tag(number, key):
                raise NotFound(f"No tag with name: {key} in experiment with id {number}")
            self._record(
                conn, self.clock(), events.ExperimentTagDeleted(experiment_id=str(number), key=key)
            )

    def rename_experiment(self, experiment_id: str | int, new_name: str) -> None:
        number = parse_experiment_id(experiment_id)
        if not isinstance(new_name, str) or not new_name.strip():
            raise InvalidArgument("Experiment name must be a non-empty string.")
        now = self.clock()
        with self.db.write() as conn:
            store = TrackingStore(conn)
            row = self._require_experiment(store, number)
            if store.get_experiment(name=new_name) is not None:
                raise InvalidArgument(f"Experiment(name={new_name}) already exists.")
            store.update_experiment(number, now, name=new_name)
            self._record(
                conn,
                now,
                events.ExperimentRenamed(
                    experiment_id=str(number), name=new_name, old_name=row.name
                ),
            )

    def delete_experiment(self, experiment_id: str | int) -> None:
        self._set_experiment_stage(experiment_id, LIFECYCLE_DELETED)

    def restore_experiment(self, experiment_id: str | int) -> None:
        self._set_experiment_stage(experiment_id, LIFECYCLE_ACTIVE)

    def _set_experiment_stage(self, experiment_id: str | int, stage: str) -> None:
        number = parse_experiment_id(experiment_id)
        if number == 0 and stage == LIFECYCLE_DELETED:
            raise InvalidArgument("The default experiment (ID 0) cannot be deleted.")
        now = self.clock()
        with self.db.write() as conn:
            store = TrackingStore(conn)
            self._require_experiment(store, number)
            store.update_experiment(number, now, lifecycle_stage=stage)
            changed: events.DomainEvent = (
                events.ExperimentDeleted(experiment_id=str(number))
                if stage == LIFECYCLE_DELETED
                else events.ExperimentRestored(experiment_id=str(number))
            )
            self._record(conn, now, changed)

    @staticmethod
    def _require_experiment(store: TrackingStore, number: int) -> Any:
        row = store.experiment_row(experiment_id=number)
        if row is None:
            raise NotFound(f"No Experiment with id={number} exists")
        return row

    def _located(self, experiment: Experiment) -> Experiment:
        return replace(
            experiment, artifact_location=self.locations.resolve(experiment.artifact_location)
        )

    # ------------------------------------------------------------------ runs
    def create_run(
        self,
        experiment_id: str | int | None = None,
        start_time: int | None = None,
        tags: Mapping[str, Any] | None = None,
        run_name: str | None = None,
        user_id: str | None = None,
    ) -> Run:
        number = parse_experiment_id("0" if experiment_id is None else experiment_id)
        clean_tags = validation.validate_tags(tags)
        name = run_name or clean_tags.get(RUN_NAME_TAG) or _generated_run_name()
        if len(name) > MAX_RUN_NAME_LENGTH:
            raise InvalidArgument(f"Run name is longer than {MAX_RUN_NAME_LENGTH} characters.")
        clean_tags[RUN_NAME_TAG] = name
        run_id = uuid.uuid4().hex
        started = start_time if start_time is not None else self.clock()
        with self.db.write() as conn:
            store = TrackingStore(conn)
            experiment = self._require_experiment(store, number)
            if experiment.lifecycle_stage != LIFECYCLE_ACTIVE:
                raise InvalidArgument(
                    f"Experiment {number} is deleted; restore it before creating runs in it."
                )
            store.insert_run(
                run_id=run_id,
                experiment_id=number,
                run_name=name,
                user_id=user_id or self.actor,
                status="RUNNING",
                start_time=started,
                end_time=None,
                lifecycle_stage=LIFECYCLE_ACTIVE,
                artifact_uri=ArtifactLocations.child(
                    experiment.artifact_location, run_id, "artifacts"
                ),
            )
            store.set_run_tags(run_id, clean_tags)
            (run,) = store.get_runs([_required(store.run_row(run_id), run_id)])
            self._record(
                conn,
                self.clock(),
                events.RunCreated(
                    run_id=run_id,
                    experiment_id=str(number),
                    run_name=name,
                    user_id=run.info.user_id or "",
                    status=run.info.status,
                    start_time=started,
                    tags=clean_tags,
                ),
            )
        return self._located_run(run)

    def get_run(self, run_id: str) -> Run:
        run_id = _check_run_id(run_id)
        with self.db.read() as conn:
            store = TrackingStore(conn)
            row = store.run_row(run_id)
            if row is None:
                raise _run_not_found(run_id)
            (run,) = store.get_runs([row])
        return self._located_run(run)

    def update_run(
        self,
        run_id: str,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> Run:
        run_id = _check_run_id(run_id)
        values: dict[str, Any] = {}
        if status is not None:
            if status not in RUN_STATUSES:
                raise InvalidArgument(
                    f"Invalid run status {status!r}; must be one of {', '.join(RUN_STATUSES)}."
                )
            values["status"] = status
            if status in TERMINAL_RUN_STATUSES:
                values["end_time"] = end_time if end_time is not None else self.clock()
        elif end_time is not None:
            values["end_time"] = end_time
        if run_name:
            values["run_name"] = run_name
        with self.db.write() as conn:
            store = TrackingStore(conn)
            self._require_active_run(store, run_id)
            if values:
                store.update_run(run_id, **values)
            if run_name:
                store.set_run_tags(run_id, {RUN_NAME_TAG: run_name})
            (run,) = store.get_runs([_required(store.run_row(run_id), run_id)])
            if values:
                self._record(
                    conn,
                    self.clock(),
                    events.RunUpdated(
                        run_id=run_id,
                        status=run.info.status,
                        end_time=run.info.end_time,
                        run_name=run.info.run_name,
                    ),
                )
        return self._located_run(run)

    def delete_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LIFECYCLE_DELETED)

    def restore_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LIFECYCLE_ACTIVE)

    def _set_run_stage(self, run_id: str, stage: str) -> None:
        run_id = _check_run_id(run_id)
        with self.db.write() as conn:
            store = TrackingStore(conn)
            if store.run_row(run_id) is None:
                raise _run_not_found(run_id)
            store.update_run(run_id, lifecycle_stage=stage)
            changed: events.DomainEvent = (
                events.RunDeleted(run_id=run_id)
                if stage == LIFECYCLE_DELETED
                else events.RunRestored(run_id=run_id)
            )
            self._record(conn, self.clock(), changed)

    def search_runs(
        self,
        experiment_ids: Sequence[str | int],
        filter_string: str = "",
        run_view_type: str = "ACTIVE_ONLY",
        max_results: int = SEARCH_RUNS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        ids = [parse_experiment_id(e) for e in experiment_ids]
        limit = _page_size(max_results, maximum=SEARCH_RUNS_MAX, default=SEARCH_RUNS_DEFAULT)
        stages = _view_stages(run_view_type)
        parsed = filters.parse_run_filter(filter_string, self.db.filter_limits)
        order = filters.parse_run_order_by(order_by)

        def fetch(offset: int, count: int) -> list[Run]:
            with self.db.read() as conn:
                store = TrackingStore(conn)
                rows = store.search_run_rows(ids, stages, parsed, order, offset, count)
                # Batched reads: the one run past the page costs no extra statement.
                found = store.get_runs(rows)
            return [self._located_run(r) for r in found]

        return fetch_page(fetch, page_token, limit)

    def _located_run(self, run: Run) -> Run:
        info = replace(run.info, artifact_uri=self.locations.resolve(run.info.artifact_uri))
        return replace(run, info=info)

    @staticmethod
    def _require_active_run(store: TrackingStore, run_id: str) -> Any:
        row = store.run_row(run_id)
        if row is None:
            raise _run_not_found(run_id)
        if row.lifecycle_stage != LIFECYCLE_ACTIVE:
            raise InvalidArgument(
                f"The run {run_id} must be in the 'active' state. Current state is "
                f"{row.lifecycle_stage}."
            )
        return row

    # ------------------------------------------------ params, metrics, tags
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        self._log(run_id, metrics, params, tags, metric_paths=True)

    def _log(
        self,
        run_id: str,
        metrics: Sequence[Metric],
        params: Mapping[str, Any] | None,
        tags: Mapping[str, Any] | None,
        *,
        metric_paths: bool,
    ) -> None:
        """``log_batch`` and the single-value calls. MLflow names a bad metric field
        ``metrics[i].x`` in a batch and ``x`` in ``log_metric``; ``metric_paths`` says which."""
        run_id = _check_run_id(run_id)
        clean_params = {
            validation.validate_tag_key(k): _param_value(k, v) for k, v in (params or {}).items()
        }
        clean_tags = validation.validate_tags(tags)
        clean_metrics = [
            _check_metric(m, f"metrics[{i}]." if metric_paths else "")
            for i, m in enumerate(metrics)
        ]
        _check_batch_limits(len(clean_metrics), len(clean_params), len(clean_tags))
        with self.db.write() as conn:
            store = TrackingStore(conn)
            self._require_active_run(store, run_id)
            existing = store.param_values(run_id, clean_params)
            for key, value in existing.items():
                if value != clean_params[key]:
                    raise InvalidArgument(
                        f"Changing param values is not allowed. Param with key='{key}' was "
                        f"already logged with value='{value}' for run ID='{run_id}'. "
                        f"Attempted logging new value '{clean_params[key]}'."
                    )
            new_params = {k: v for k, v in clean_params.items() if k not in existing}
            store.insert_params(run_id, new_params)
            store.insert_metrics(run_id, clean_metrics)
            store.set_run_tags(run_id, clean_tags)
            if RUN_NAME_TAG in clean_tags:
                store.update_run(run_id, run_name=clean_tags[RUN_NAME_TAG])
            # Metric data points are not events (docs/events.md says why).
            recorded: list[events.DomainEvent] = [
                events.RunTagSet(run_id=run_id, key=key, value=value)
                for key, value in clean_tags.items()
            ]
            if new_params:
                recorded.insert(0, events.RunParamsLogged(run_id=run_id, params=new_params))
            if recorded:
                self._record(conn, self.clock(), *recorded)

    def log_param(self, run_id: str, key: str, value: Any) -> None:
        self._log(run_id, (), {key: value}, None, metric_paths=False)

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
        metric = Metric(
            key=key,
            value=value,
            timestamp=timestamp if timestamp is not None else self.clock(),
            step=step or 0,
            model_id=model_id,
            dataset_name=dataset_name,
            dataset_digest=dataset_digest,
        )
        self._log(run_id, [metric], None, None, metric_paths=False)

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        self._log(run_id, (), None, {key: value}, metric_paths=False)

    def delete_tag(self, run_id: str, key: str) -> None:
        run_id = _check_run_id(run_id)
        with self.db.write() as conn:
            store = TrackingStore(conn)
            self._require_active_run(store, run_id)
            if not store.delete_run_tag(run_id, key):
                raise NotFound(f"No tag with name: {key} in run with id {run_id}")
            self._record(conn, self.clock(), events.RunTagDeleted(run_id=run_id, key=key))

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        run_id = _check_run_id(run_id)
        if max_results is not None and (
            isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1
        ):
            raise InvalidArgument(
                f"Invalid value {max_results} for parameter 'max_results' supplied. "
                "It must be a positive integer."
            )
        if max_results is not None and max_results > METRIC_HISTORY_MAX:
            # An int32 in MLflow's proto; beyond it the page size overflows the database's
            # LIMIT (a 500 on every backend) instead of meaning "everything".
            raise InvalidArgument(
                f"Invalid value {max_results} for parameter 'max_results' supplied. "
                f"It must be at most {METRIC_HISTORY_MAX}."
            )
        offset = filters.decode_page_token(page_token)
        with self.db.read() as conn:
            store = TrackingStore(conn)
            if store.run_row(run_id) is None:
                raise _run_not_found(run_id)
            if max_results is None:  # the whole history (from the token's offset on)
                return PagedList(store.metric_history(run_id, key, offset), None)
            found = store.metric_history(run_id, key, offset, max_results + 1)
        more = len(found) > max_results
        token = filters.encode_page_token(offset + max_results) if more else None
        return PagedList(found[:max_results], token)

    def get_metric_history_bulk_interval(
        self,
        run_ids: Sequence[str],
        metric_key: str,
        max_results: int = BULK_INTERVAL_RESULTS_MAX,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[Metric]:
        if not run_ids:
            raise InvalidArgument("Missing value for required parameter 'run_ids'.")
        if len(run_ids) > BULK_INTERVAL_RUNS_MAX:
            raise InvalidArgument(
                "GetMetricHistoryBulkInterval request must specify at most "
                f"{BULK_INTERVAL_RUNS_MAX} run_ids. Received {len(run_ids)} run_ids."
            )
        ids = [_check_run_id(r) for r in run_ids]
        if not metric_key or not isinstance(metric_key, str):
            raise InvalidArgument("Missing value for required parameter 'metric_key'.")
        if (
            isinstance(max_results, bool)
            or not isinstance(max_results, int)
            or not 1 <= max_results <= BULK_INTERVAL_RESULTS_MAX
        ):
            raise InvalidArgument(f"max_results must be between 1 and {BULK_INTERVAL_RESULTS_MAX}.")
        steps: tuple[int, int] | None = None
        if start_step is not None and end_step is not None:
            if start_step > end_step:
                raise InvalidArgument(
                    "end_step must be greater than start_step. "
                    f"Found start_step={start_step} and end_step={end_step}."
                )
            steps = (start_step, end_step)
        elif start_step is not None or end_step is not None:
            raise InvalidArgument(
                "If either start step or end step are specified, both must be specified."
            )
        with self.db.read() as conn:
            store = TrackingStore(conn)
            missing = set(ids) - store.existing_run_ids(ids)
            if missing:
                raise _run_not_found(next(r for r in ids if r in missing))
            sampled = store.sample_metric_history(ids, metric_key, max_results, steps)
        # In the order asked, as MLflow answers (a run asked twice is answered twice).
        return [metric for run_id in ids for metric in sampled.get(run_id, ())]

    def log_inputs(
        self,
        run_id: str,
        dataset_inputs: Sequence[DatasetInput] = (),
        models: Sequence[LoggedModelInput] | None = None,
    ) -> None:
        run_id = _check_run_id(run_id)
        for item in dataset_inputs:
            _check_dataset(item.dataset)
        model_ids = list(dict.fromkeys(m.model_id for m in models or ()))
        with self.db.write() as conn:
            store = TrackingStore(conn)
            row = self._require_active_run(store, run_id)
            for item in dataset_inputs:
                store.link_dataset(
                    row.experiment_id, run_id, item.dataset, item.tags, str(uuid.uuid4())
                )
            for model_id in model_ids:
                if store.logged_model_row(model_id) is None:
                    raise NotFound(f"Logged model with ID '{model_id}' not found.")
            store.add_run_model_inputs(run_id, model_ids)
            recorded: list[events.DomainEvent] = []
            if dataset_inputs:
                named = [f"{i.dataset.name}@{i.dataset.digest}" for i in dataset_inputs]
                recorded.append(events.RunInputsLogged(run_id=run_id, datasets=named))
            if model_ids:
                recorded.append(events.RunModelInputsLogged(run_id=run_id, model_ids=model_ids))
            if recorded:
                self._record(conn, self.clock(), *recorded)

    def list_artifacts(self, run_id: str, path: str | None = None) -> ArtifactListing:
        run_id = _check_run_id(run_id)
        rel = _listing_path(path)
        with self.db.read() as conn:
            row = TrackingStore(conn).run_row(run_id)
        if row is None:
            raise _run_not_found(run_id)
        return self._list(row.artifact_uri, rel)

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        run_id = _check_run_id(run_id)
        with self.db.write() as conn:
            store = TrackingStore(conn)
            self._require_active_run(store, run_id)
            for output in models:
                if store.logged_model_row(output.model_id) is None:
                    raise NotFound(f"Logged model with ID '{output.model_id}' not found.")
            store.add_run_outputs(run_id, models)
            if models:
                model_ids = [m.model_id for m in models]
                self._record(
                    conn, self.clock(), events.RunOutputsLogged(run_id=run_id, model_ids=model_ids)
                )

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
        number = parse_experiment_id(experiment_id)
        model_name = name or _generated_run_name()
        clean_tags = validation.validate_tags(tags)
        clean_params = {
            validation.validate_tag_key(k): _param_value(k, v) for k, v in (params or {}).items()
        }
        model_id = f"m-{uuid.uuid4().hex}"
        now = self.clock()
        with self.db.write() as conn:
            store = TrackingStore(conn)
            experiment = self._require_experiment(store, number)
            if source_run_id is not None and store.run_row(source_run_id) is None:
                raise _run_not_found(source_run_id)
            store.insert_logged_model(
                model_id=model_id,
                experiment_id=number,
                name=model_name,
                artifact_location=ArtifactLocations.child(
                    experiment.artifact_location, "models", model_id, "artifacts"
                ),
                creation_timestamp_ms=now,
                last_updated_timestamp_ms=now,
                status=LOGGED_MODEL_PENDING,
                status_message=None,
                model_type=model_type,
                source_run_id=source_run_id,
            )
            store.set_logged_model_params(model_id, clean_params)
            store.set_logged_model_tags(model_id, clean_tags)
            (model,) = store.logged_models_for(
                [_required(store.logged_model_row(model_id), model_id)]
            )
            self._record(
                conn,
                now,
                events.LoggedModelCreated(
                    model_id=model_id,
                    experiment_id=str(number),
                    name=model_name,
                    source_run_id=source_run_id,
                    model_type=model_type,
                    params=clean_params,
                    tags=clean_tags,
                ),
            )
        return self._located_model(model)

    def get_logged_model(self, model_id: str) -> LoggedModel:
        with self.db.read() as conn:
            store = TrackingStore(conn)
            row = store.logged_model_row(model_id)
            if row is None:
                raise NotFound(f"Logged model with ID '{model_id}' not found.")
            (model,) = store.logged_models_for([row])
        return self._located_model(model)

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        if status not in LOGGED_MODEL_STATUSES:
            raise InvalidArgument(
                f"Invalid logged model status {status!r}; must be one of "
                f"{', '.join(LOGGED_MODEL_STATUSES)}."
            )
        now = self.clock()
        with self.db.write() as conn:
            store = TrackingStore(conn)
            if store.logged_model_row(model_id) is None:
                raise NotFound(f"Logged model with ID '{model_id}' not found.")
            store.update_logged_model(model_id, status=status, last_updated_timestamp_ms=now)
            (model,) = store.logged_models_for(
                [_required(store.logged_model_row(model_id), model_id)]
            )
            self._record(
                conn,
                now,
                events.LoggedModelFinalized(model_id=model_id, status=str(model.status)),
            )
        return self._located_model(model)

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, Any]) -> None:
        clean = validation.validate_tags(tags)
        with self.db.write() as conn:
            store = TrackingStore(conn)
            if store.logged_model_row(model_id) is None:
                raise NotFound(f"Logged model with ID '{model_id}' not found.")
            store.set_logged_model_tags(model_id, clean)
            self._record(
                conn,
                self.clock(),
                *[
                    events.LoggedModelTagSet(model_id=model_id, key=key, value=value)
                    for key, value in clean.items()
                ],
            )

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        with self.db.write() as conn:
            store = TrackingStore(conn)
            if store.logged_model_row(model_id) is None:
                raise NotFound(f"Logged model with ID '{model_id}' not found.")
            if not store.delete_logged_model_tag(model_id, key):
                raise NotFound(f"No tag with key {key!r} found for model with ID {model_id!r}.")
            self._record(
                conn, self.clock(), events.LoggedModelTagDeleted(model_id=model_id, key=key)
            )

    def log_logged_model_params(self, model_id: str, params: Mapping[str, Any]) -> None:
        clean = {validation.validate_tag_key(k): _param_value(k, v) for k, v in params.items()}
        with self.db.write() as conn:
            store = TrackingStore(conn)
            if store.logged_model_row(model_id) is None:
                raise NotFound(f"Logged model with ID '{model_id}' not found.")
            store.set_logged_model_params(model_id, clean)
            if clean:
                self._record(
                    conn,
                    self.clock(),
                    events.LoggedModelParamsLogged(model_id=model_id, params=clean),
                )

    def delete_logged_model(self, model_id: str) -> None:
        with self.db.write() as conn:
            store = TrackingStore(conn)
            if store.logged_model_row(model_id) is None:
                raise NotFound(f"Logged model with ID '{model_id}' not found.")
            store.delete_logged_model(model_id)
            self._record(conn, self.clock(), events.LoggedModelDeleted(model_id=model_id))

    def list_logged_model_artifacts(
        self, model_id: str, path: str | None = None
    ) -> ArtifactListing:
        rel = _listing_path(path)
        with self.db.read() as conn:
            row = TrackingStore(conn).logged_model_row(model_id)
        if row is None:
            raise NotFound(f"Logged model with ID '{model_id}' not found.")
        return self._list(row.artifact_location, rel)

    def _list(self, stored: str, rel: str) -> ArtifactListing:
        """One level of ``rel`` under a stored artifact location, paths relative to it."""
        if is_absolute_location(stored):
            if not self.locations.allow_external:
                raise InvalidArgument(
                    f"These artifacts are stored at {stored!r}, outside this server's "
                    "artifacts destination; the server does not list them."
                )
            store, under = open_artifact_store(stored), rel
        else:
            store, under = self._artifact_store(), ArtifactLocations.child(stored, rel)
        files = [
            FileInfo(posixpath.join(rel, posixpath.basename(f.path)), f.is_dir, f.file_size)
            for f in store.list_dir(under)
        ]
        return ArtifactListing(files, self.locations.resolve(stored))

    def _artifact_store(self) -> ArtifactStore:
        if self._artifacts is None:
            self._artifacts = open_artifact_store(self.locations.root)
        return self._artifacts

    def search_logged_models(
        self,
        experiment_ids: Sequence[str | int],
        filter_string: str | None = None,
        max_results: int = SEARCH_LOGGED_MODELS_DEFAULT,
        order_by: Sequence[Mapping[str, Any]] | None = None,
        page_token: str | None = None,
        datasets: Sequence[Mapping[str, Any]] | None = None,
    ) -> PagedList[LoggedModel]:
        ids = [parse_experiment_id(e) for e in experiment_ids]
        limit = _page_size(
            max_results, maximum=SEARCH_LOGGED_MODELS_MAX, default=SEARCH_LOGGED_MODELS_DEFAULT
        )
        parsed = filters.parse_logged_model_filter(filter_string, self.db.filter_limits)
        on = _dataset_filters(datasets)

        def fetch(offset: int, count: int) -> list[LoggedModel]:
            with self.db.read() as conn:
                store = TrackingStore(conn)
                rows = store.search_logged_model_rows(ids, parsed, order_by, offset, count, on)
                found = store.logged_models_for(rows)
            return [self._located_model(m) for m in found]

        return fetch_page(fetch, page_token, limit)

    def _located_model(self, model: LoggedModel) -> LoggedModel:
        return replace(model, artifact_location=self.locations.resolve(model.artifact_location))


def _required(row: Any, what: str) -> Any:
    if row is None:  # pragma: no cover - written in the same transaction
        raise NotFound(f"{what} vanished inside its own transaction")
    return row


def _listing_path(path: str | None) -> str:
    """MLflow's ``validate_path_is_safe``: a relative path without traversal, else 400
    "Invalid path"; ``None`` or ``""`` is the root."""
    return safe_relative_path(path or "").rstrip("/")


def _check_run_id(run_id: object) -> str:
    if not isinstance(run_id, str) or not re.fullmatch(r"[0-9a-zA-Z_\-]{1,32}", run_id):
        raise InvalidArgument(f"Invalid run ID {run_id!r}: expected up to 32 letters or digits.")
    return run_id


def _param_value(key: object, value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_PARAM_VALUE_LENGTH:
        raise InvalidArgument(
            f"Param value for key {key!r} is {len(text)} characters long; "
            f"at most {MAX_PARAM_VALUE_LENGTH} are allowed."
        )
    return text


def _check_metric(metric: Metric, path: str = "") -> Metric:
    """A metric as MLflow validates it; ``path`` (``metrics[3].``) prefixes field names."""
    validation.validate_tag_key(metric.key)
    if isinstance(metric.value, bool) or not isinstance(metric.value, int | float):
        raise InvalidArgument(
            f"Got invalid value {metric.value!r} for metric {metric.key!r}: metric values must "
            "be numbers."
        )
    value = float(metric.value)
    if math.isinf(value):
        value = math.copysign(1.7976931348623157e308, value)
    if not isinstance(metric.timestamp, int) or not isinstance(metric.step, int):
        raise InvalidArgument(f"Metric {metric.key!r} needs integer timestamp and step.")
    if metric.timestamp < 0:
        raise InvalidArgument(
            f"Invalid value {metric.timestamp} for parameter '{path}timestamp' supplied: "
            f"metric '{metric.key}' (value={value}). "
            "Timestamp must be a nonnegative long (64-bit integer) "
        )
    _check_metric_dataset(metric)
    return replace(metric, value=value)


def _check_batch_limits(metrics: int, params: int, tags: int) -> None:
    """MLflow's log_batch limits, with its messages (``_validate_batch_log_limits``)."""
    for what, limit, count in (
        ("metrics", LOG_BATCH_METRICS_MAX, metrics),
        ("params", LOG_BATCH_PARAMS_TAGS_MAX, params),
        ("tags", LOG_BATCH_PARAMS_TAGS_MAX, tags),
        ("metrics, params, and tags", LOG_BATCH_ENTITIES_MAX, metrics + params + tags),
    ):
        if count > limit:
            raise InvalidArgument(
                f"A batch logging request can contain at most {limit} {what}. Got {count} "
                f"{what}. Please split up {what} across multiple requests and try again."
            )


def _page_size(value: object, *, maximum: int, default: int) -> int:
    """``max_results`` of a tracking search, refused with MLflow's tracking-store words."""
    if value is None:
        return default
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,30}", value):
        number = int(value)
    shown = value if number is None else number
    if number is None or number < 1:
        raise InvalidArgument(
            f"Invalid value {shown} for parameter 'max_results' supplied. It must be a "
            "positive integer"
        )
    if number > maximum:
        raise InvalidArgument(
            f"Invalid value {number} for parameter 'max_results' supplied. It must be at most "
            f"{maximum}"
        )
    return number


def _check_metric_dataset(metric: Metric) -> None:
    if (metric.dataset_name is None) != (metric.dataset_digest is None):
        raise InvalidArgument(
            "Both dataset_name and dataset_digest must be provided if one is provided"
        )
    if metric.dataset_name is not None and metric.dataset_digest is not None:
        _check_dataset_name_digest(metric.dataset_name, metric.dataset_digest)


def _dataset_filters(datasets: Sequence[Mapping[str, Any]] | None) -> list[tuple[str, str | None]]:
    """MLflow's ``datasets`` of a logged-model search: ``[{dataset_name, dataset_digest?}]``."""
    found: list[tuple[str, str | None]] = []
    for item in datasets or ():
        name = item.get("dataset_name") if isinstance(item, Mapping) else None
        if not name or not isinstance(name, str):
            raise InvalidArgument("`dataset_name` in the `datasets` clause must be specified.")
        digest = item.get("dataset_digest") or None
        if digest is not None and not isinstance(digest, str):
            raise InvalidArgument(f"`dataset_digest` must be a string, got {digest!r}.")
        found.append((name, digest))
    return found


def _check_dataset_name_digest(name: str, digest: str) -> None:
    if len(digest) > 64:
        raise InvalidArgument("Dataset digest is longer than 64 characters.")
    if len(name) > 500:
        raise InvalidArgument("Dataset name is longer than 500 characters.")


def _check_dataset(dataset: Dataset) -> None:
    if not dataset.name or not dataset.digest:
        raise InvalidArgument("A dataset input needs a name and a digest.")
    _check_dataset_name_digest(dataset.name, dataset.digest)


def _view_stages(view_type: str) -> list[str]:
    stages = {
        "ACTIVE_ONLY": [LIFECYCLE_ACTIVE],
        "DELETED_ONLY": [LIFECYCLE_DELETED],
        "ALL": [LIFECYCLE_ACTIVE, LIFECYCLE_DELETED],
    }.get(str(view_type).upper().removeprefix("VIEWTYPE."))
    if stages is None:
        raise InvalidArgument(
            f"Invalid view type {view_type!r}; must be ACTIVE_ONLY, DELETED_ONLY or ALL."
        )
    return stages


_ADJECTIVES = (
    "amber",
    "brave",
    "calm",
    "deft",
    "eager",
    "fleet",
    "gentle",
    "keen",
    "lucid",
    "noble",
)
_NOUNS = ("otter", "falcon", "lynx", "heron", "panda", "wren", "bison", "koala", "gecko", "ibis")


def _generated_run_name() -> str:
    token = uuid.uuid4().int
    return f"{_ADJECTIVES[token % 10]}-{_NOUNS[(token // 10) % 10]}-{token % 1000}"
