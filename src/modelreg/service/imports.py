"""Writing another registry's history in, as it was: ids, numbers and timestamps kept.

The public services allocate ids and stamp "now"; an import must not. These are the
import's own use cases (``modelreg import-mlflow``): each entity is written in one
transaction together with its events and its row in ``import_state`` (the
fingerprint of what was read), so an interrupted import is finished by a rerun, and a
rerun skips what is unchanged and replaces what changed. Events are recorded as the
public use cases record them, stamped with the time of the import.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from modelreg import events
from modelreg.entities import STAGE_NONE
from modelreg.errors import AlreadyExists, InvalidArgument, RegistryError
from modelreg.service import event_log
from modelreg.service.clock import Clock, now_ms
from modelreg.service.snapshots import Snapshot
from modelreg.store.database import Database
from modelreg.store.registry import RegistryStore
from modelreg.store.tables import (
    counters,
    experiment_tags,
    experiments,
    import_state,
    latest_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
    model_aliases,
    model_version_tags,
    model_versions,
    registered_model_tags,
    registered_models,
    run_inputs,
    run_metrics,
    run_model_inputs,
    run_outputs,
    run_params,
    run_tags,
    runs,
)
from modelreg.store.tracking import TrackingStore
from modelreg.tracking_entities import DatasetInput, LoggedModelOutput, Metric

EXPERIMENT = "experiment"
RUN = "run"
LOGGED_MODEL = "logged_model"
REGISTERED_MODEL = "registered_model"
MODEL_VERSION = "model_version"


@dataclass(frozen=True, slots=True)
class ExperimentRecord:
    experiment_id: int
    name: str
    artifact_location: str
    lifecycle_stage: str
    creation_time: int
    last_update_time: int
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    experiment_id: int
    run_name: str
    user_id: str | None
    status: str
    start_time: int
    end_time: int | None
    lifecycle_stage: str
    artifact_uri: str
    params: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    dataset_inputs: Sequence[DatasetInput] = ()
    model_inputs: Sequence[str] = ()
    outputs: Sequence[LoggedModelOutput] = ()


@dataclass(frozen=True, slots=True)
class LoggedModelRecord:
    model_id: str
    experiment_id: int
    name: str
    artifact_location: str
    creation_timestamp_ms: int
    last_updated_timestamp_ms: int
    status: str
    status_message: str | None
    model_type: str | None
    source_run_id: str | None
    params: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RegisteredModelRecord:
    name: str
    description: str
    creation_timestamp: int
    last_updated_timestamp: int
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModelVersionRecord:
    name: str
    version: int
    creation_timestamp: int
    last_updated_timestamp: int
    current_stage: str
    description: str
    source: str
    run_id: str | None
    run_link: str | None
    status: str
    status_message: str | None
    user_id: str | None
    model_id: str | None
    tags: Mapping[str, str] = field(default_factory=dict)


def fingerprint(data: Any) -> str:
    """A stable digest of what was read for one entity (JSON, keys sorted)."""
    import hashlib

    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class ImportService:
    """Inserts entities with their original ids, numbers and timestamps."""

    def __init__(
        self, db: Database, source: str, *, actor: str = "import", clock: Clock = now_ms
    ) -> None:
        if len(source) > 255:
            raise InvalidArgument("The import source URI is longer than 255 characters.")
        self.db = db
        self.source = source
        self.actor = actor
        self.clock = clock

    # ------------------------------------------------------------- state
    def imported(self, kind: str) -> dict[str, str]:
        """Fingerprints of what this source already brought over, by key."""
        s = import_state
        with self.db.read() as conn:
            rows = conn.execute(
                select(s.c.key, s.c.fingerprint).where(s.c.source == self.source, s.c.kind == kind)
            ).all()
        return {row.key: row.fingerprint for row in rows}

    def _done(self, conn: Connection, kind: str, key: str, digest: str) -> None:
        s = import_state
        where = (s.c.source == self.source, s.c.kind == kind, s.c.key == key)
        conn.execute(delete(s).where(*where))
        conn.execute(
            insert(s).values(
                source=self.source,
                kind=kind,
                key=key,
                fingerprint=digest,
                imported_at=self.clock(),
            )
        )

    def _record(self, conn: Connection, *recorded: events.DomainEvent) -> None:
        event_log.record(conn, self.actor, self.clock(), *recorded)

    # -------------------------------------------------------- experiments
    def import_experiment(self, record: ExperimentRecord, digest: str) -> None:
        """Insert or update an experiment under its own id (the counter moves past it)."""
        e = experiments
        with self.db.write() as conn:
            existing = conn.execute(
                select(e.c.name).where(e.c.experiment_id == record.experiment_id)
            ).first()
            clash = conn.execute(
                select(e.c.experiment_id).where(
                    e.c.name == record.name, e.c.experiment_id != record.experiment_id
                )
            ).first()
            if clash is not None:
                raise AlreadyExists(
                    f"Experiment {record.name!r} already exists here with ID "
                    f"{clash.experiment_id}, not {record.experiment_id}: import into a fresh "
                    "database, or rename one of them."
                )
            values = {
                "name": record.name,
                "artifact_location": record.artifact_location,
                "lifecycle_stage": record.lifecycle_stage,
                "creation_time": record.creation_time,
                "last_update_time": record.last_update_time,
            }
            if existing is None:
                conn.execute(insert(e).values(experiment_id=record.experiment_id, **values))
                self._record(
                    conn,
                    events.ExperimentCreated(
                        experiment_id=str(record.experiment_id),
                        name=record.name,
                        artifact_location=record.artifact_location,
                        tags=dict(record.tags),
                    ),
                )
            else:
                conn.execute(
                    update(e).where(e.c.experiment_id == record.experiment_id).values(**values)
                )
            conn.execute(
                delete(experiment_tags).where(
                    experiment_tags.c.experiment_id == record.experiment_id
                )
            )
            TrackingStore(conn).set_experiment_tags(record.experiment_id, record.tags)
            _raise_counter(conn, "experiment_id", record.experiment_id)
            self._done(conn, EXPERIMENT, str(record.experiment_id), digest)

    # --------------------------------------------------------------- runs
    def import_run(self, record: RunRecord, metrics: Sequence[Metric], digest: str) -> None:
        """Insert a run (replacing an earlier import of it) with its whole history."""
        with self.db.write() as conn:
            store = TrackingStore(conn)
            replaced = store.run_row(record.run_id) is not None
            if replaced:
                _delete_run(conn, record.run_id)
            store.insert_run(
                run_id=record.run_id,
                experiment_id=record.experiment_id,
                run_name=record.run_name,
                user_id=record.user_id,
                status=record.status,
                start_time=record.start_time,
                end_time=record.end_time,
                lifecycle_stage=record.lifecycle_stage,
                artifact_uri=record.artifact_uri,
            )
            store.insert_params(record.run_id, record.params)
            store.set_run_tags(record.run_id, record.tags)
            for start in range(0, len(metrics), 5_000):
                store.insert_metrics(record.run_id, metrics[start : start + 5_000])
            for item in record.dataset_inputs:
                store.link_dataset(
                    record.experiment_id, record.run_id, item.dataset, item.tags, str(uuid.uuid4())
                )
            # Logged models are imported before runs; one the source lost is left out.
            wanted = [*record.model_inputs, *(o.model_id for o in record.outputs)]
            present = set(
                conn.execute(
                    select(logged_models.c.model_id).where(logged_models.c.model_id.in_(wanted))
                ).scalars()
            )
            store.add_run_model_inputs(
                record.run_id, [m for m in record.model_inputs if m in present]
            )
            store.add_run_outputs(
                record.run_id, [o for o in record.outputs if o.model_id in present]
            )
            self._done(conn, RUN, record.run_id, digest)
            if replaced:
                self._record(
                    conn,
                    events.RunUpdated(
                        run_id=record.run_id,
                        status=record.status,
                        end_time=record.end_time,
                        run_name=record.run_name,
                    ),
                )
                return
            self._record(
                conn,
                events.RunCreated(
                    run_id=record.run_id,
                    experiment_id=str(record.experiment_id),
                    run_name=record.run_name,
                    user_id=record.user_id or "",
                    status=record.status,
                    start_time=record.start_time,
                    tags=dict(record.tags),
                ),
                *(
                    [events.RunParamsLogged(run_id=record.run_id, params=dict(record.params))]
                    if record.params
                    else []
                ),
            )

    # ------------------------------------------------------ logged models
    def import_logged_model(self, record: LoggedModelRecord, digest: str) -> None:
        with self.db.write() as conn:
            store = TrackingStore(conn)
            existed = store.logged_model_row(record.model_id) is not None
            values = {
                "experiment_id": record.experiment_id,
                "name": record.name,
                "artifact_location": record.artifact_location,
                "creation_timestamp_ms": record.creation_timestamp_ms,
                "last_updated_timestamp_ms": record.last_updated_timestamp_ms,
                "status": record.status,
                "status_message": record.status_message,
                "model_type": record.model_type,
                "source_run_id": record.source_run_id,
            }
            if existed:
                store.update_logged_model(record.model_id, **values)
                for table in (logged_model_params, logged_model_tags):
                    conn.execute(delete(table).where(table.c.model_id == record.model_id))
            else:
                store.insert_logged_model(model_id=record.model_id, **values)
            store.set_logged_model_params(record.model_id, record.params)
            store.set_logged_model_tags(record.model_id, record.tags)
            if not existed:
                self._record(
                    conn,
                    events.LoggedModelCreated(
                        model_id=record.model_id,
                        experiment_id=str(record.experiment_id),
                        name=record.name,
                        source_run_id=record.source_run_id,
                        model_type=record.model_type,
                        params=dict(record.params),
                        tags=dict(record.tags),
                    ),
                )
            self._done(conn, LOGGED_MODEL, record.model_id, digest)

    # --------------------------------------------------- registered models
    def import_registered_model(self, record: RegisteredModelRecord, digest: str) -> None:
        rm = registered_models
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = store.model_id(record.name)
            if model_id is None:
                conn.execute(
                    insert(rm).values(
                        name=record.name,
                        creation_timestamp=record.creation_timestamp,
                        last_updated_timestamp=record.last_updated_timestamp,
                        description=record.description,
                        user_id=None,
                        last_version=0,
                    )
                )
                model_id = store.model_id(record.name)
                self._record(
                    conn,
                    events.RegisteredModelCreated(
                        name=record.name, description=record.description, tags=dict(record.tags)
                    ),
                )
            else:
                conn.execute(
                    update(rm)
                    .where(rm.c.id == model_id)
                    .values(
                        description=record.description,
                        creation_timestamp=record.creation_timestamp,
                        last_updated_timestamp=record.last_updated_timestamp,
                    )
                )
            if model_id is None:  # pragma: no cover - inserted just above
                raise RegistryError(f"Registered model {record.name!r} vanished while imported.")
            conn.execute(
                delete(registered_model_tags).where(registered_model_tags.c.model_id == model_id)
            )
            store.set_model_tags(model_id, record.tags)
            self._done(conn, REGISTERED_MODEL, record.name, digest)

    def import_model_version(
        self, record: ModelVersionRecord, snapshot: Snapshot | None, digest: str
    ) -> None:
        """Insert or update a version under its own number; the counter moves past it."""
        rm = registered_models
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = store.lock_model(record.name)
            if model_id is None:
                raise InvalidArgument(f"Registered model {record.name!r} was not imported.")
            existing = store.version_row(record.name, record.version)
            if existing is None:
                store.insert_version(
                    model_id,
                    record.version,
                    creation_timestamp=record.creation_timestamp,
                    last_updated_timestamp=record.last_updated_timestamp,
                    current_stage=record.current_stage,
                    description=record.description,
                    source=record.source,
                    run_id=record.run_id,
                    run_link=record.run_link,
                    status=record.status,
                    status_message=record.status_message,
                    user_id=record.user_id,
                    model_id_ref=record.model_id,
                    storage_location=snapshot.location if snapshot else None,
                    manifest=json.dumps(snapshot.manifest, sort_keys=True) if snapshot else None,
                )
                recorded: list[events.DomainEvent] = [
                    events.ModelVersionCreated(
                        name=record.name,
                        version=record.version,
                        source=record.source,
                        run_id=record.run_id,
                        model_id=record.model_id,
                        tags=dict(record.tags),
                        description=record.description,
                    )
                ]
                if record.current_stage != STAGE_NONE:
                    recorded.append(
                        events.ModelVersionStageTransitioned(
                            name=record.name,
                            version=record.version,
                            from_stage=STAGE_NONE,
                            to_stage=record.current_stage,
                            archived_versions=[],
                        )
                    )
                self._record(conn, *recorded)
            else:
                store.update_version(
                    model_id,
                    record.version,
                    current_stage=record.current_stage,
                    description=record.description,
                    status=record.status,
                    status_message=record.status_message,
                    last_updated_timestamp=record.last_updated_timestamp,
                )
            conn.execute(
                delete(model_version_tags).where(
                    model_version_tags.c.model_id == model_id,
                    model_version_tags.c.version == record.version,
                )
            )
            store.set_version_tags(model_id, record.version, record.tags, new=True)
            conn.execute(
                update(rm)
                .where(rm.c.id == model_id, rm.c.last_version < record.version)
                .values(last_version=record.version)
            )
            self._done(conn, MODEL_VERSION, f"{record.name}/{record.version}", digest)

    def set_aliases(self, name: str, aliases: Mapping[str, int], last_updated: int) -> None:
        """Make the model's aliases exactly ``aliases`` (those whose version exists)."""
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = store.lock_model(name)
            if model_id is None:
                return
            current = dict(
                conn.execute(
                    select(model_aliases.c.alias, model_aliases.c.version).where(
                        model_aliases.c.model_id == model_id
                    )
                ).all()
            )
            numbers = set(
                conn.execute(
                    select(model_versions.c.version).where(model_versions.c.model_id == model_id)
                ).scalars()
            )
            recorded: list[events.DomainEvent] = []
            for alias in set(current) - set(aliases):
                store.delete_alias(model_id, alias)
                recorded.append(events.AliasDeleted(name=name, version=current[alias], alias=alias))
            for alias, version in aliases.items():
                if current.get(alias) != version and version in numbers:
                    store.set_alias(model_id, alias, version)
                    recorded.append(
                        events.AliasSet(
                            name=name,
                            version=version,
                            alias=alias,
                            previous_version=current.get(alias),
                        )
                    )
            conn.execute(
                update(registered_models)
                .where(registered_models.c.id == model_id)
                .values(last_updated_timestamp=last_updated)
            )
            if recorded:
                self._record(conn, *recorded)

    def last_version(self, name: str) -> int:
        with self.db.read() as conn:
            found = conn.execute(
                select(registered_models.c.last_version).where(registered_models.c.name == name)
            ).scalar()
        return int(found or 0)

    def raise_last_version(self, name: str, number: int) -> None:
        """Continue numbering after ``number`` (versions the source deleted count too)."""
        rm = registered_models
        with self.db.write() as conn:
            conn.execute(
                update(rm)
                .where(rm.c.name == name, rm.c.last_version < number)
                .values(last_version=number)
            )


def _raise_counter(conn: Connection, name: str, at_least: int) -> None:
    current = conn.execute(select(counters.c.value).where(counters.c.name == name)).scalar()
    if current is None:
        conn.execute(insert(counters).values(name=name, value=at_least))
    elif current < at_least:
        conn.execute(update(counters).where(counters.c.name == name).values(value=at_least))


def _delete_run(conn: Connection, run_id: str) -> None:
    """Remove a run's rows before it is imported again (logged models stay)."""
    for table in (
        run_params,
        run_tags,
        run_metrics,
        latest_metrics,
        run_inputs,
        run_model_inputs,
        run_outputs,
    ):
        conn.execute(delete(table).where(table.c.run_id == run_id))
    conn.execute(delete(runs).where(runs.c.run_id == run_id))


def metric_value(raw: Any) -> float:
    """A metric value as MLflow's JSON carries it (a number, or "NaN"/"Infinity")."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, str):
        try:
            return float(raw)
        except ValueError:
            pass
    if raw is None:
        return 0.0
    return math.nan


__all__ = [
    "ExperimentRecord",
    "ImportService",
    "LoggedModelRecord",
    "ModelVersionRecord",
    "RegisteredModelRecord",
    "RunRecord",
    "fingerprint",
]
