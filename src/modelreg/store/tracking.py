"""SQL for experiments, runs, params, metrics, datasets and logged models.

Bound to the transaction the service opened; reads are a fixed few statements.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from modelreg.errors import AlreadyExists
from modelreg.store import run_search
from modelreg.store.auth import Visibility
from modelreg.store.tables import (
    counters,
    datasets,
    experiment_tags,
    experiments,
    latest_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
    run_inputs,
    run_metrics,
    run_model_inputs,
    run_outputs,
    run_params,
    run_tags,
    runs,
)
from modelreg.store.upsert import delete_pair, upsert_pairs
from modelreg.tracking_entities import (
    Dataset,
    DatasetInput,
    Experiment,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    LoggedModelStatus,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
)

if TYPE_CHECKING:
    from modelreg.filters import Condition, OrderKey, RunOrderKey


DATASET_CONTEXT_TAG = "mlflow.data.context"


class TrackingStore:
    """Statements for the tracking tables; never commits."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ------------------------------------------------------------ counters
    def next_counter(self, name: str) -> int:
        """Increment a named counter under its row lock and return the new value."""
        self.conn.execute(
            update(counters).where(counters.c.name == name).values(value=counters.c.value + 1)
        )
        value = self.conn.execute(select(counters.c.value).where(counters.c.name == name)).scalar()
        if value is None:
            self.conn.execute(insert(counters).values(name=name, value=1))
            return 1
        return int(value)

    # --------------------------------------------------------- experiments
    def insert_experiment(
        self, experiment_id: int, name: str, artifact_location: str, now: int
    ) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(experiments).values(
                        experiment_id=experiment_id,
                        name=name,
                        artifact_location=artifact_location,
                        lifecycle_stage="active",
                        creation_time=now,
                        last_update_time=now,
                    )
                )
        except IntegrityError:
            raise AlreadyExists(f"Experiment(name={name}) already exists.") from None

    def experiment_row(self, experiment_id: int | None = None, name: str | None = None) -> Any:
        query = select(experiments)
        if experiment_id is not None:
            query = query.where(experiments.c.experiment_id == experiment_id)
        else:
            query = query.where(experiments.c.name == name)
        return self.conn.execute(query).first()

    def get_experiment(
        self, experiment_id: int | None = None, name: str | None = None
    ) -> Experiment | None:
        row = self.experiment_row(experiment_id, name)
        if row is None:
            return None
        tags = dict(
            self.conn.execute(
                select(experiment_tags.c.key, experiment_tags.c.value).where(
                    experiment_tags.c.experiment_id == row.experiment_id
                )
            ).all()
        )
        return _experiment(row, tags)

    def search_experiments(
        self,
        stages: Sequence[str],
        parsed: Sequence[Condition],
        order: Sequence[OrderKey],
        offset: int,
        limit: int,
        visible: Visibility | None = None,
    ) -> list[Experiment]:
        query = select(experiments).where(
            experiments.c.lifecycle_stage.in_(stages),
            *run_search.experiment_conditions(parsed),
        )
        if visible is not None:  # --auth: only what the caller may read, in SQL
            query = query.where(visible.experiments(experiments.c.experiment_id))
        query = query.order_by(
            *(
                experiments.c[key.key].asc() if key.ascending else experiments.c[key.key].desc()
                for key in order
            )
        )
        params = run_search.filter_params(parsed)
        if visible is not None:
            params.update(visible.params())
        rows = self.conn.execute(query.offset(offset).limit(limit), params).all()
        ids = [row.experiment_id for row in rows]
        tags: dict[int, dict[str, str]] = defaultdict(dict)
        if ids:
            for eid, key, value in self.conn.execute(
                select(experiment_tags).where(experiment_tags.c.experiment_id.in_(ids))
            ):
                tags[eid][key] = value
        return [_experiment(row, tags[row.experiment_id]) for row in rows]

    def update_experiment(self, experiment_id: int, now: int, **values: Any) -> None:
        self.conn.execute(
            update(experiments)
            .where(experiments.c.experiment_id == experiment_id)
            .values(last_update_time=now, **values)
        )

    def set_experiment_tags(self, experiment_id: int, tags: Mapping[str, str]) -> None:
        upsert_pairs(self.conn, experiment_tags, {"experiment_id": experiment_id}, tags)

    def delete_experiment_tag(self, experiment_id: int, key: str) -> bool:
        return delete_pair(self.conn, experiment_tags, {"experiment_id": experiment_id}, key)

    # ---------------------------------------------------------------- runs
    def insert_run(self, **values: Any) -> None:
        self.conn.execute(insert(runs).values(**values))

    def run_row(self, run_id: str) -> Row[Any] | None:
        return self.conn.execute(select(runs).where(runs.c.run_id == run_id)).first()

    def existing_run_ids(self, run_ids: Sequence[str]) -> set[str]:
        found = self.conn.execute(select(runs.c.run_id).where(runs.c.run_id.in_(run_ids)))
        return set(found.scalars())

    def update_run(self, run_id: str, **values: Any) -> None:
        self.conn.execute(update(runs).where(runs.c.run_id == run_id).values(**values))

    def get_runs(self, rows: Sequence[Row[Any]]) -> list[Run]:
        """Whole runs for ``rows``: params, latest metrics, tags, inputs and outputs."""
        ids = [row.run_id for row in rows]
        if not ids:
            return []
        params: dict[str, dict[str, str]] = defaultdict(dict)
        for run_id, key, value in self.conn.execute(
            select(run_params.c.run_id, run_params.c.key, run_params.c.value).where(
                run_params.c.run_id.in_(ids)
            )
        ):
            params[run_id][key] = value
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        for run_id, key, value in self.conn.execute(
            select(run_tags.c.run_id, run_tags.c.key, run_tags.c.value).where(
                run_tags.c.run_id.in_(ids)
            )
        ):
            tags[run_id][key] = value
        metrics: dict[str, list[Metric]] = defaultdict(list)
        lm = latest_metrics
        for row in self.conn.execute(
            select(lm).where(lm.c.run_id.in_(ids)).order_by(lm.c.run_id, lm.c.key)
        ):
            metrics[row.run_id].append(_metric(row))
        inputs = self._dataset_inputs(ids)
        model_inputs: dict[str, list[LoggedModelInput]] = defaultdict(list)
        for run_id, model_id in self.conn.execute(
            select(run_model_inputs.c.run_id, run_model_inputs.c.model_id)
            .where(run_model_inputs.c.run_id.in_(ids))
            .order_by(run_model_inputs.c.run_id, run_model_inputs.c.model_id)
        ):
            model_inputs[run_id].append(LoggedModelInput(model_id=model_id))
        outputs: dict[str, list[LoggedModelOutput]] = defaultdict(list)
        for run_id, model_id, step in self.conn.execute(
            select(run_outputs.c.run_id, run_outputs.c.model_id, run_outputs.c.step).where(
                run_outputs.c.run_id.in_(ids)
            )
        ):
            outputs[run_id].append(LoggedModelOutput(model_id=model_id, step=step))
        return [
            Run(
                info=_run_info(row),
                data=RunData(
                    metrics={m.key: m.value for m in metrics[row.run_id]},
                    params=params[row.run_id],
                    tags=tags[row.run_id],
                    metric_objects=tuple(metrics[row.run_id]),
                ),
                inputs=RunInputs(
                    dataset_inputs=list(inputs[row.run_id]),
                    model_inputs=model_inputs[row.run_id],
                ),
                outputs=RunOutputs(model_outputs=list(outputs[row.run_id])),
            )
            for row in rows
        ]

    def search_run_rows(
        self,
        experiment_ids: Sequence[int],
        stages: Sequence[str],
        parsed: Sequence[Condition],
        order: Sequence[RunOrderKey],
        offset: int,
        limit: int,
    ) -> list[Row[Any]]:
        query = (
            select(runs)
            .where(*run_search.run_conditions(experiment_ids, stages, parsed))
            .order_by(*run_search.run_order(order))
            .offset(offset)
            .limit(limit)
        )
        return list(self.conn.execute(query, run_search.filter_params(parsed)).all())

    def _dataset_inputs(self, run_ids: Sequence[str]) -> dict[str, list[DatasetInput]]:
        found: dict[str, list[DatasetInput]] = defaultdict(list)
        query = (
            select(run_inputs.c.run_id, run_inputs.c.tags, datasets)
            .select_from(run_inputs.join(datasets))
            .where(run_inputs.c.run_id.in_(run_ids))
            .order_by(run_inputs.c.run_id, datasets.c.name)
        )
        for row in self.conn.execute(query):
            dataset = Dataset(
                name=row.name,
                digest=row.digest,
                source_type=row.source_type,
                source=row.source,
                schema=row.schema,
                profile=row.profile,
            )
            found[row.run_id].append(DatasetInput(dataset=dataset, tags=json.loads(row.tags)))
        return found

    # --------------------------------------------------- params, tags, metrics
    def param_values(self, run_id: str, keys: Iterable[str]) -> dict[str, str]:
        query = select(run_params.c.key, run_params.c.value).where(
            run_params.c.run_id == run_id, run_params.c.key.in_(list(keys))
        )
        return dict(self.conn.execute(query).all())

    def insert_params(self, run_id: str, params: Mapping[str, str]) -> None:
        if params:
            self.conn.execute(
                insert(run_params),
                [{"run_id": run_id, "key": k, "value": v} for k, v in params.items()],
            )

    def set_run_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        upsert_pairs(self.conn, run_tags, {"run_id": run_id}, tags)

    def delete_run_tag(self, run_id: str, key: str) -> bool:
        return delete_pair(self.conn, run_tags, {"run_id": run_id}, key)

    def insert_metrics(self, run_id: str, metrics: Sequence[Metric]) -> None:
        if not metrics:
            return
        self.conn.execute(
            insert(run_metrics),
            [
                {
                    "run_id": run_id,
                    "key": m.key,
                    "value": None if math.isnan(m.value) else m.value,
                    "is_nan": math.isnan(m.value),
                    "timestamp": m.timestamp,
                    "step": m.step,
                    "model_id": m.model_id,
                    "dataset_name": m.dataset_name,
                    "dataset_digest": m.dataset_digest,
                }
                for m in metrics
            ],
        )
        self._update_latest(run_id, metrics)

    def _update_latest(self, run_id: str, metrics: Sequence[Metric]) -> None:
        # The latest value is the one with the highest (step, timestamp, value), as MLflow.
        newest: dict[str, Metric] = {}
        for m in metrics:
            if m.key not in newest or _metric_rank(m) > _metric_rank(newest[m.key]):
                newest[m.key] = m
        lm = latest_metrics
        current = {
            row.key: _metric(row)
            for row in self.conn.execute(
                select(lm).where(lm.c.run_id == run_id, lm.c.key.in_(list(newest)))
            )
        }
        changed = [
            m
            for key, m in newest.items()
            if key not in current or _metric_rank(m) >= _metric_rank(current[key])
        ]
        if not changed:
            return
        self.conn.execute(
            delete(lm).where(lm.c.run_id == run_id, lm.c.key.in_([m.key for m in changed]))
        )
        self.conn.execute(
            insert(lm),
            [
                {
                    "run_id": run_id,
                    "key": m.key,
                    "value": None if math.isnan(m.value) else m.value,
                    "is_nan": math.isnan(m.value),
                    "timestamp": m.timestamp,
                    "step": m.step,
                }
                for m in changed
            ],
        )

    def metric_history(
        self, run_id: str, key: str, offset: int = 0, limit: int | None = None
    ) -> list[Metric]:
        """Every value of one metric in MLflow's order: timestamp, step, value.

        MLflow stores NaN as 0 (with a flag) and orders by the stored value; NaN is NULL
        here, so it is ordered as 0 too, the same on every database.
        """
        m = run_metrics
        query = (
            select(m)
            .where(m.c.run_id == run_id, m.c.key == key)
            .order_by(m.c.timestamp, m.c.step, func.coalesce(m.c.value, 0.0), m.c.id)
            .offset(offset)
        )
        if limit is not None:
            query = query.limit(limit)
        return [_metric(row, run_id=run_id) for row in self.conn.execute(query)]

    def sample_metric_history(
        self,
        run_ids: Sequence[str],
        key: str,
        max_results: int,
        steps: tuple[int, int] | None = None,
    ) -> dict[str, list[Metric]]:
        """Up to ``max_results`` values of ``key`` per run, evenly sampled, in one statement.

        MLflow's SQL store, window for window: the values (within ``steps``, inclusive)
        in (step, timestamp, value) order go into ``max_results`` NTILE buckets per run
        and the first of each bucket is kept; the run's last value is kept too, in
        place of the last sample when there are already ``max_results``. The database
        returns at most ``max_results + 1`` rows per run, whatever the history holds.
        """
        m = run_metrics
        order = [m.c.step, m.c.timestamp, func.coalesce(m.c.value, 0.0), m.c.is_nan]
        backwards = [column.desc() for column in order]
        conditions = [m.c.run_id.in_(list(dict.fromkeys(run_ids))), m.c.key == key]
        if steps is not None:
            conditions += [m.c.step >= steps[0], m.c.step <= steps[1]]
        bucketed = (
            select(
                m.c.run_id,
                m.c.value,
                m.c.is_nan,
                m.c.timestamp,
                m.c.step,
                func.ntile(max_results)
                .over(partition_by=m.c.run_id, order_by=order)
                .label("bucket"),
                func.row_number()
                .over(partition_by=m.c.run_id, order_by=backwards)
                .label("from_end"),
            )
            .where(*conditions)
            .subquery()
        )
        b = bucketed.c
        b_order = [b.step, b.timestamp, func.coalesce(b.value, 0.0), b.is_nan]
        ranked = select(
            bucketed,
            func.row_number().over(partition_by=[b.run_id, b.bucket], order_by=b_order).label("rn"),
        ).subquery()
        r = ranked.c
        query = (
            select(r.run_id, r.value, r.is_nan, r.timestamp, r.step, r.rn, r.from_end)
            .where(or_(r.rn == 1, r.from_end == 1))
            .order_by(r.run_id, r.step, r.timestamp, func.coalesce(r.value, 0.0), r.is_nan)
        )
        samples: dict[str, list[Metric]] = defaultdict(list)
        last: dict[str, Metric] = {}
        for row in self.conn.execute(query):
            metric = Metric(
                key=key,
                value=math.nan if row.is_nan else float(row.value),
                timestamp=row.timestamp,
                step=row.step,
                run_id=row.run_id,
            )
            if row.rn == 1:
                samples[row.run_id].append(metric)
            if row.from_end == 1:
                last[row.run_id] = metric
        for run_id, final in last.items():
            kept = samples[run_id]
            if kept and _sample_key(kept[-1]) == _sample_key(final):
                continue
            if len(kept) >= max_results:
                kept[-1] = final
            else:
                kept.append(final)
        return dict(samples)

    # ------------------------------------------------------------ datasets
    def add_run_model_inputs(self, run_id: str, model_ids: Sequence[str]) -> None:
        """Link logged models to a run as inputs (linking one twice keeps one link)."""
        unique = list(dict.fromkeys(model_ids))
        if not unique:
            return
        mi = run_model_inputs
        self.conn.execute(delete(mi).where(mi.c.run_id == run_id, mi.c.model_id.in_(unique)))
        self.conn.execute(insert(mi), [{"run_id": run_id, "model_id": m} for m in unique])

    def link_dataset(
        self,
        experiment_id: int,
        run_id: str,
        dataset: Dataset,
        tags: Mapping[str, str],
        new_id: str,
    ) -> None:
        existing = self.conn.execute(
            select(datasets.c.dataset_id).where(
                datasets.c.experiment_id == experiment_id,
                datasets.c.name == dataset.name,
                datasets.c.digest == dataset.digest,
            )
        ).scalar()
        dataset_id = existing or new_id
        if existing is None:
            self.conn.execute(
                insert(datasets).values(
                    dataset_id=dataset_id,
                    experiment_id=experiment_id,
                    name=dataset.name,
                    digest=dataset.digest,
                    source_type=dataset.source_type,
                    source=dataset.source,
                    schema=dataset.schema,
                    profile=dataset.profile,
                )
            )
        ri = run_inputs
        self.conn.execute(delete(ri).where(ri.c.run_id == run_id, ri.c.dataset_id == dataset_id))
        self.conn.execute(
            insert(ri).values(
                run_id=run_id,
                dataset_id=dataset_id,
                tags=json.dumps(dict(tags)),
                context=tags.get(DATASET_CONTEXT_TAG),
            )
        )

    # ------------------------------------------------------- logged models
    def insert_logged_model(self, **values: Any) -> None:
        self.conn.execute(insert(logged_models).values(**values))

    def logged_model_row(self, model_id: str) -> Row[Any] | None:
        return self.conn.execute(
            select(logged_models).where(logged_models.c.model_id == model_id)
        ).first()

    def lock_logged_model(self, model_id: str) -> Row[Any] | None:
        """The logged model's row, locked for this transaction (None if there is none).

        A no-op UPDATE takes the row lock on every backend (SQLite's writer holds the
        database lock already), so read-modify-writes of its tags serialise.
        """
        lm = logged_models
        self.conn.execute(
            update(lm).where(lm.c.model_id == model_id).values(model_id=lm.c.model_id)
        )
        return self.logged_model_row(model_id)

    def logged_model_tag(self, model_id: str, key: str) -> str | None:
        tags = logged_model_tags
        found: str | None = self.conn.execute(
            select(tags.c.value).where(tags.c.model_id == model_id, tags.c.key == key)
        ).scalar()
        return found

    def update_logged_model(self, model_id: str, **values: Any) -> None:
        self.conn.execute(
            update(logged_models).where(logged_models.c.model_id == model_id).values(**values)
        )

    def set_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None:
        upsert_pairs(self.conn, logged_model_params, {"model_id": model_id}, params)

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        upsert_pairs(self.conn, logged_model_tags, {"model_id": model_id}, tags)

    def delete_logged_model_tag(self, model_id: str, key: str) -> bool:
        return delete_pair(self.conn, logged_model_tags, {"model_id": model_id}, key)

    def delete_logged_model(self, model_id: str) -> None:
        for table in (logged_model_params, logged_model_tags, run_outputs, run_model_inputs):
            self.conn.execute(delete(table).where(table.c.model_id == model_id))
        self.conn.execute(delete(logged_models).where(logged_models.c.model_id == model_id))

    def logged_models_for(self, rows: Sequence[Row[Any]]) -> list[LoggedModel]:
        ids = [row.model_id for row in rows]
        if not ids:
            return []
        params: dict[str, dict[str, str]] = defaultdict(dict)
        for model_id, key, value in self.conn.execute(
            select(logged_model_params).where(logged_model_params.c.model_id.in_(ids))
        ):
            params[model_id][key] = value
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        for model_id, key, value in self.conn.execute(
            select(logged_model_tags).where(logged_model_tags.c.model_id.in_(ids))
        ):
            tags[model_id][key] = value
        metrics: dict[str, list[Metric]] = defaultdict(list)
        m = run_metrics
        for row in self.conn.execute(
            select(m).where(m.c.model_id.in_(ids)).order_by(m.c.key, m.c.step, m.c.timestamp)
        ):
            metrics[row.model_id].append(_metric(row, run_id=row.run_id))
        return [
            LoggedModel(
                model_id=row.model_id,
                experiment_id=str(row.experiment_id),
                name=row.name,
                artifact_location=row.artifact_location,
                creation_timestamp=row.creation_timestamp_ms,
                last_updated_timestamp=row.last_updated_timestamp_ms,
                status=LoggedModelStatus.from_wire(row.status),
                status_message=row.status_message or "",
                model_type=row.model_type or "",
                source_run_id=row.source_run_id or "",
                params=params[row.model_id],
                tags=tags[row.model_id],
                metrics=metrics[row.model_id],
            )
            for row in rows
        ]

    def search_logged_model_rows(
        self,
        experiment_ids: Sequence[int],
        parsed: Sequence[Condition],
        order_by: Sequence[Mapping[str, Any]] | None,
        offset: int,
        limit: int,
        datasets: Sequence[tuple[str, str | None]] = (),
    ) -> list[Row[Any]]:
        query = (
            select(logged_models)
            .where(*run_search.logged_model_conditions(experiment_ids, parsed, datasets))
            .order_by(*run_search.logged_model_order(order_by))
            .offset(offset)
            .limit(limit)
        )
        return list(self.conn.execute(query, run_search.filter_params(parsed)).all())

    def add_run_outputs(self, run_id: str, outputs: Sequence[LoggedModelOutput]) -> None:
        for output in outputs:
            self.conn.execute(
                delete(run_outputs).where(
                    run_outputs.c.run_id == run_id, run_outputs.c.model_id == output.model_id
                )
            )
        if outputs:
            self.conn.execute(
                insert(run_outputs),
                [{"run_id": run_id, "model_id": o.model_id, "step": o.step} for o in outputs],
            )


def _sample_key(metric: Metric) -> tuple[int, int, float, bool]:
    # MLflow compares sampled rows by (step, timestamp, value, is_nan), NaN stored as 0.
    is_nan = math.isnan(metric.value)
    return (metric.step, metric.timestamp, 0.0 if is_nan else metric.value, is_nan)


def _metric_rank(metric: Metric) -> tuple[int, int, float]:
    value = metric.value
    return (metric.step, metric.timestamp, -math.inf if math.isnan(value) else value)


def _metric(row: Any, run_id: str | None = None) -> Metric:
    value = math.nan if row.is_nan else float(row.value)
    # latest_metrics rows have no model or dataset: they are the run's view.
    return Metric(
        key=row.key,
        value=value,
        timestamp=row.timestamp,
        step=row.step,
        model_id=getattr(row, "model_id", None),
        dataset_name=getattr(row, "dataset_name", None),
        dataset_digest=getattr(row, "dataset_digest", None),
        run_id=run_id,
    )


def _experiment(row: Any, tags: Mapping[str, str]) -> Experiment:
    return Experiment(
        experiment_id=str(row.experiment_id),
        name=row.name,
        artifact_location=row.artifact_location,
        lifecycle_stage=row.lifecycle_stage,
        creation_time=row.creation_time,
        last_update_time=row.last_update_time,
        tags=dict(tags),
    )


def _run_info(row: Any) -> RunInfo:
    return RunInfo(
        run_id=row.run_id,
        experiment_id=str(row.experiment_id),
        run_name=row.run_name,
        user_id=row.user_id,
        status=row.status,
        start_time=row.start_time,
        end_time=row.end_time,
        lifecycle_stage=row.lifecycle_stage,
        artifact_uri=row.artifact_uri,
    )
