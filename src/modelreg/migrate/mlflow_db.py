"""An MLflow tracking database, read directly (SQLAlchemy Core, read-only).

``modelreg import-mlflow --from sqlite:///mlflow.db`` (or ``postgresql://…``,
``mysql+pymysql://…``) reads the tables MLflow's SQL store keeps (experiments, runs,
params, metrics, tags, datasets and inputs, logged models, registered models,
versions, tags and aliases) and hands them to the importer in the shapes of MLflow's
REST API, so the import itself is the one a live server gets. The tables are
reflected, not declared: databases of older MLflow releases, without logged models
or dataset inputs, read as having none. Nothing is ever written to them (a SQLite
file is opened read-only).

Unlike the REST API, the database still holds the versions MLflow deleted (stage
``Deleted_Internal``), so numbering continues after the highest number MLflow ever
gave, a deleted top version included.

Files are read where the database says they are when that is a local path or a
``file://`` URI (under each experiment's artifact location, copied to
``<experiment>/...`` as the server import does). ``mlflow-artifacts:`` URIs are
relative to the artifact folder of the server that wrote them, which the database
does not record: ``artifacts_root`` (``--artifacts-source-root``) names it.
Anything else (``s3://``, ...) is skipped, with the reason, in the summary.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import (
    Engine,
    MetaData,
    Row,
    Table,
    create_engine,
    exc,
    func,
    pool,
    select,
)

from modelreg.config import redact_uri, sqlalchemy_url
from modelreg.errors import InvalidArgument, RegistryError
from modelreg.migrate.mlflow_source import proxy_path
from modelreg.migrate.source import Location

DELETED_VERSION_STAGE = "Deleted_Internal"
# MLflow stores a logged model's status as an integer (LoggedModelStatus.to_int).
_LOGGED_MODEL_STATUS = {
    0: "LOGGED_MODEL_STATUS_UNSPECIFIED",
    1: "LOGGED_MODEL_PENDING",
    2: "LOGGED_MODEL_READY",
    3: "LOGGED_MODEL_UPLOAD_FAILED",
}
_TABLES = (
    "experiments",
    "experiment_tags",
    "runs",
    "params",
    "tags",
    "metrics",
    "latest_metrics",
    "datasets",
    "inputs",
    "input_tags",
    "logged_models",
    "logged_model_params",
    "logged_model_tags",
    "registered_models",
    "registered_model_tags",
    "registered_model_aliases",
    "model_versions",
    "model_version_tags",
)
_LOGGED_MODEL_URI = re.compile(r"^models:/(m-[0-9a-f]{32})/?$")
_CHUNK = 1024 * 1024
_DRIVER_EXTRAS = {"psycopg": "postgres", "pymysql": "mysql"}


def is_database_uri(uri: str) -> bool:
    """Whether ``--from`` names a database (else it must be a server URL)."""
    scheme = urlsplit(uri).scheme.split("+")[0].lower()
    return scheme in ("sqlite", "postgresql", "postgres", "mysql", "mariadb")


def _engine(uri: str) -> Engine:
    url = sqlalchemy_url(uri)
    if url.startswith("sqlite"):
        path = url.partition(":///")[2]
        if not path or path == ":memory:" or not Path(path).is_file():
            raise InvalidArgument(f"--from {uri!r}: no MLflow database file at {path!r}.")
        target = f"file:{Path(path).resolve()}?mode=ro"
        # Read-only at the driver: the import can never change MLflow's file.
        return create_engine(
            "sqlite://",
            creator=lambda: sqlite3.connect(target, uri=True, check_same_thread=False),
            poolclass=pool.NullPool,
        )
    try:
        # One pooled connection, reused by every read (a metric history is one query).
        return create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=True)
    except ModuleNotFoundError as error:
        module = (error.name or "").partition(".")[0]
        extra = _DRIVER_EXTRAS.get(module)
        if extra is None:
            raise
        raise RegistryError(
            f"Reading a {uri.partition('://')[0]}:// database needs its driver ({module} "
            f"is not installed): pip install 'modelreg[{extra}]'"
        ) from None


def _local_path(uri: str) -> Path | None:
    """The local path of a plain path or ``file:`` URI, else None."""
    parts = urlsplit(uri)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            return None
        return Path(os.path.normpath(unquote(parts.path)))
    if parts.scheme:
        return None
    return Path(os.path.normpath(os.path.abspath(uri)))


def _tags(pairs: list[tuple[str, Any]]) -> list[dict[str, str]]:
    return [{"key": k, "value": "" if v is None else str(v)} for k, v in sorted(pairs)]


class MlflowDatabaseSource:
    """Reads one MLflow tracking database (``sqlite:///…``, ``postgresql://…``, …)."""

    def __init__(self, uri: str, *, artifacts_root: str | Path | None = None) -> None:
        self.uri = uri
        self._engine = _engine(uri)
        self._artifacts_root = Path(artifacts_root).resolve() if artifacts_root else None
        self._physical: dict[str, Path] = {}
        self._experiment_roots: dict[str, Path] = {}
        metadata = MetaData()
        try:
            metadata.reflect(self._engine, only=lambda name, _meta: name in _TABLES)
        except exc.SQLAlchemyError as error:
            self._engine.dispose()
            raise RegistryError(
                f"Cannot read the MLflow database {self.name}: {str(error).splitlines()[0]}"
            ) from None
        self._t = metadata.tables
        missing = {"experiments", "runs"} - set(self._t)
        if missing:
            self._engine.dispose()
            raise InvalidArgument(
                f"--from {self.name}: not an MLflow tracking database (no "
                f"{' or '.join(sorted(missing))} table)."
            )
        self._one_workspace()
        e = self._t["experiments"]
        for row in self._rows(select(e.c.experiment_id, e.c.artifact_location)):
            local = _local_path(row.artifact_location or "")
            if local is not None:
                self._experiment_roots[str(row.experiment_id)] = local

    @property
    def name(self) -> str:
        return redact_uri(self.uri)

    def _one_workspace(self) -> None:
        """Refuse a database with several MLflow workspaces: modelreg has one namespace,
        where two workspaces' experiments or models of the same name would merge."""
        found: set[str] = set()
        for name in ("experiments", "registered_models"):
            table = self._t.get(name)
            if table is not None and "workspace" in table.c:
                found |= {row[0] for row in self._rows(select(table.c.workspace).distinct())}
        if len(found) > 1:
            self._engine.dispose()
            raise InvalidArgument(
                f"--from {self.name}: the database holds several MLflow workspaces "
                f"({', '.join(sorted(found))}); modelreg imports one MLflow namespace."
            )

    def close(self) -> None:
        self._engine.dispose()

    def _table(self, name: str) -> Table | None:
        return self._t.get(name)

    def _rows(self, statement: Any) -> list[Any]:
        """Every row of one read (rows of reflected tables: their columns are untyped)."""
        with self._engine.connect() as conn:
            return list(conn.execute(statement).all())

    # ---------------------------------------------------------- experiments
    def experiments(self) -> Iterator[dict[str, Any]]:
        e = self._t["experiments"]
        tags: dict[int, list[tuple[str, Any]]] = defaultdict(list)
        et = self._table("experiment_tags")
        if et is not None:
            for row in self._rows(select(et.c.experiment_id, et.c.key, et.c.value)):
                tags[int(row.experiment_id)].append((row.key, row.value))
        found = []
        for row in self._rows(select(e).order_by(e.c.experiment_id)):
            key = str(row.experiment_id)
            found.append(
                {
                    "experiment_id": key,
                    "name": row.name,
                    "artifact_location": row.artifact_location,
                    "lifecycle_stage": row.lifecycle_stage or "active",
                    "creation_time": row.creation_time,
                    "last_update_time": row.last_update_time,
                    "tags": _tags(tags[int(row.experiment_id)]),
                }
            )
        return iter(found)

    # ----------------------------------------------------------------- runs
    def _by_run(
        self, table_name: str, experiment_id: int, *columns: str, run_column: str = "run_uuid"
    ) -> dict[str, list[Row[Any]]]:
        """Rows of a per-run table for every run of one experiment, by run id."""
        table = self._table(table_name)
        out: dict[str, list[Row[Any]]] = defaultdict(list)
        if table is None:
            return out
        r = self._t["runs"]
        statement = (
            select(table.c[run_column].label("run"), *(table.c[c] for c in columns))
            .join(r, r.c.run_uuid == table.c[run_column])
            .where(r.c.experiment_id == experiment_id)
        )
        for row in self._rows(statement):
            out[row.run].append(row)
        return out

    def runs(self, experiment_id: str) -> Iterator[dict[str, Any]]:
        exp = int(experiment_id)
        r = self._t["runs"]
        params = self._by_run("params", exp, "key", "value")
        tags = self._by_run("tags", exp, "key", "value")
        latest = self._by_run("latest_metrics", exp, "key", "value", "timestamp", "step", "is_nan")
        datasets = self._dataset_inputs(exp)
        model_inputs, outputs = self._model_links(exp)
        counts = self._metric_counts(exp)
        found = []
        rows = self._rows(select(r).where(r.c.experiment_id == exp).order_by(r.c.run_uuid))
        for row in rows:
            run_id = row.run_uuid
            run_tags = _tags([(t.key, t.value) for t in tags[run_id]])
            name = row.name or next(
                (t["value"] for t in run_tags if t["key"] == "mlflow.runName"), ""
            )
            found.append(
                {
                    "info": {
                        "run_id": run_id,
                        "run_uuid": run_id,
                        "run_name": name,
                        "experiment_id": experiment_id,
                        "user_id": row.user_id,
                        "status": row.status,
                        "start_time": row.start_time,
                        "end_time": row.end_time,
                        "artifact_uri": row.artifact_uri,
                        "lifecycle_stage": row.lifecycle_stage or "active",
                    },
                    "data": {
                        "metrics": [
                            {
                                "key": m.key,
                                "value": "NaN" if m.is_nan else m.value,
                                "timestamp": m.timestamp,
                                "step": m.step,
                            }
                            for m in sorted(latest[run_id], key=lambda m: str(m.key))
                        ],
                        "params": _tags([(p.key, p.value) for p in params[run_id]]),
                        "tags": run_tags,
                    },
                    "inputs": {
                        "dataset_inputs": datasets.get(run_id, []),
                        "model_inputs": [{"model_id": m} for m in sorted(model_inputs[run_id])],
                    },
                    "outputs": {
                        "model_outputs": [
                            {"model_id": m, "step": step} for m, step in sorted(outputs[run_id])
                        ]
                    },
                    # Not in MLflow's API: a value logged at an old step changes no latest
                    # metric, but it changes this, so a rerun sees the run changed.
                    "metric_values": counts.get(run_id, 0),
                }
            )
        return iter(found)

    def _metric_counts(self, experiment_id: int) -> dict[str, int]:
        m, r = self._t.get("metrics"), self._t["runs"]
        if m is None:
            return {}
        statement = (
            select(m.c.run_uuid, func.count())
            .join(r, r.c.run_uuid == m.c.run_uuid)
            .where(r.c.experiment_id == experiment_id)
            .group_by(m.c.run_uuid)
        )
        return {row[0]: int(row[1]) for row in self._rows(statement)}

    def _dataset_inputs(self, experiment_id: int) -> dict[str, list[dict[str, Any]]]:
        i, d, it = self._table("inputs"), self._table("datasets"), self._table("input_tags")
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        if i is None or d is None:
            return out
        r = self._t["runs"]
        tags: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        if it is not None:
            statement = (
                select(it.c.input_uuid, it.c.name, it.c.value)
                .join(i, i.c.input_uuid == it.c.input_uuid)
                .join(r, r.c.run_uuid == i.c.destination_id)
                .where(i.c.destination_type == "RUN", r.c.experiment_id == experiment_id)
            )
            for row in self._rows(statement):
                tags[row.input_uuid].append((row.name, row.value))
        statement = (
            select(i.c.input_uuid, i.c.destination_id, d)
            .join(d, d.c.dataset_uuid == i.c.source_id)
            .join(r, r.c.run_uuid == i.c.destination_id)
            .where(
                i.c.source_type == "DATASET",
                i.c.destination_type == "RUN",
                r.c.experiment_id == experiment_id,
            )
            .order_by(i.c.destination_id, d.c.name, d.c.digest)
        )
        for row in self._rows(statement):
            out[row.destination_id].append(
                {
                    "tags": _tags(tags[row.input_uuid]),
                    "dataset": {
                        "name": row.name,
                        "digest": row.digest,
                        "source_type": row.dataset_source_type,
                        "source": row.dataset_source,
                        "schema": row.dataset_schema,
                        "profile": row.dataset_profile,
                    },
                }
            )
        return out

    def _model_links(
        self, experiment_id: int
    ) -> tuple[dict[str, set[str]], dict[str, set[tuple[str, int]]]]:
        """Logged models each run used (``RUN_INPUT``) and produced (``RUN_OUTPUT``)."""
        inputs: dict[str, set[str]] = defaultdict(set)
        outputs: dict[str, set[tuple[str, int]]] = defaultdict(set)
        i = self._table("inputs")
        if i is None:
            return inputs, outputs
        r = self._t["runs"]
        has_step = "step" in i.c  # MLflow 2's inputs table has no step
        columns = [i.c.source_type, i.c.source_id, i.c.destination_id]
        statement = (
            select(*columns, *([i.c.step] if has_step else []))
            .join(r, r.c.run_uuid == i.c.source_id)
            .where(
                i.c.source_type.in_(("RUN_INPUT", "RUN_OUTPUT")),
                r.c.experiment_id == experiment_id,
            )
        )
        for row in self._rows(statement):
            if row.source_type == "RUN_INPUT":
                inputs[row.source_id].add(row.destination_id)
            else:
                step = int(row.step or 0) if has_step else 0
                outputs[row.source_id].add((row.destination_id, step))
        return inputs, outputs

    def metric_history(self, run_id: str, key: str) -> Iterator[dict[str, Any]]:
        m = self._t.get("metrics")
        if m is None:
            return iter(())
        statement = (
            select(m.c.key, m.c.value, m.c.timestamp, m.c.step, m.c.is_nan)
            .where(m.c.run_uuid == run_id, m.c.key == key)
            .order_by(m.c.step, m.c.timestamp, m.c.value)
        )
        return iter(
            [
                {
                    "key": row.key,
                    "value": "NaN" if row.is_nan else row.value,
                    "timestamp": row.timestamp,
                    "step": row.step,
                }
                for row in self._rows(statement)
            ]
        )

    # -------------------------------------------------------- logged models
    def _per_model(self, table_name: str, experiment_id: int) -> dict[str, list[tuple[str, Any]]]:
        table = self._table(table_name)
        out: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        if table is None:
            return out
        key, value = (
            ("param_key", "param_value") if "param_key" in table.c else ("tag_key", "tag_value")
        )
        statement = select(table.c.model_id, table.c[key], table.c[value]).where(
            table.c.experiment_id == experiment_id
        )
        for row in self._rows(statement):
            out[row[0]].append((row[1], row[2]))
        return out

    def logged_models(self, experiment_id: str) -> Iterator[dict[str, Any]]:
        lm = self._table("logged_models")
        if lm is None:
            return iter(())
        exp = int(experiment_id)
        params = self._per_model("logged_model_params", exp)
        tags = self._per_model("logged_model_tags", exp)
        statement = (
            select(lm)
            .where(lm.c.experiment_id == exp, lm.c.lifecycle_stage != "deleted")
            .order_by(lm.c.creation_timestamp_ms, lm.c.model_id)
        )
        found = []
        for row in self._rows(statement):
            found.append(
                {
                    "info": {
                        "model_id": row.model_id,
                        "experiment_id": experiment_id,
                        "name": row.name,
                        "artifact_uri": row.artifact_location,
                        "creation_timestamp_ms": row.creation_timestamp_ms,
                        "last_updated_timestamp_ms": row.last_updated_timestamp_ms,
                        "status": _LOGGED_MODEL_STATUS.get(
                            int(row.status or 0), "LOGGED_MODEL_STATUS_UNSPECIFIED"
                        ),
                        "status_message": row.status_message,
                        "model_type": row.model_type,
                        "source_run_id": row.source_run_id,
                        "tags": _tags(tags[row.model_id]),
                    },
                    "data": {"params": _tags(params[row.model_id])},
                }
            )
        return iter(found)

    # ------------------------------------------------------------- registry
    def registered_models(self) -> Iterator[dict[str, Any]]:
        rm = self._table("registered_models")
        if rm is None:
            return iter(())
        tags: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        rmt = self._table("registered_model_tags")
        if rmt is not None:
            for row in self._rows(select(rmt.c.name, rmt.c.key, rmt.c.value)):
                tags[row.name].append((row.key, row.value))
        aliases: dict[str, list[dict[str, str]]] = defaultdict(list)
        rma = self._table("registered_model_aliases")
        if rma is not None:
            statement = select(rma.c.name, rma.c.alias, rma.c.version).order_by(rma.c.alias)
            for row in self._rows(statement):
                aliases[row.name].append({"alias": row.alias, "version": str(row.version)})
        return iter(
            [
                {
                    "name": row.name,
                    "creation_timestamp": row.creation_time,
                    "last_updated_timestamp": row.last_updated_time,
                    "description": row.description or "",
                    "tags": _tags(tags[row.name]),
                    "aliases": aliases[row.name],
                }
                for row in self._rows(select(rm).order_by(rm.c.name))
            ]
        )

    def model_versions(self, name: str) -> Iterator[dict[str, Any]]:
        mv = self._table("model_versions")
        if mv is None:
            return iter(())
        tags: dict[int, list[tuple[str, Any]]] = defaultdict(list)
        mvt = self._table("model_version_tags")
        if mvt is not None:
            statement = select(mvt.c.version, mvt.c.key, mvt.c.value).where(mvt.c.name == name)
            for row in self._rows(statement):
                tags[int(row.version)].append((row.key, row.value))
        statement = (
            select(mv)
            .where(mv.c.name == name, mv.c.current_stage != DELETED_VERSION_STAGE)
            .order_by(mv.c.version)
        )
        found = []
        for row in self._rows(statement):
            # MLflow's SQL store keeps no model id for a version (its API answers none).
            model_id = row._mapping.get("model_id")
            found.append(
                {
                    "name": row.name,
                    "version": str(row.version),
                    "creation_timestamp": row.creation_time,
                    "last_updated_timestamp": row.last_updated_time,
                    "current_stage": row.current_stage or "None",
                    "description": row.description or "",
                    "source": row.source or "",
                    "run_id": row.run_id,
                    "run_link": row.run_link,
                    "status": row.status or "READY",
                    "status_message": row.status_message,
                    "user_id": row.user_id,
                    "model_id": model_id,
                    "tags": _tags(tags[int(row.version)]),
                }
            )
        return iter(found)

    def download_uri(self, name: str, version: str) -> str | None:
        mv = self._t["model_versions"]
        columns = [mv.c.source] + ([mv.c.storage_location] if "storage_location" in mv.c else [])
        rows = self._rows(select(*columns).where(mv.c.name == name, mv.c.version == int(version)))
        if not rows:
            return None
        values = rows[0]._mapping
        uri = values.get("storage_location") or values["source"]
        return self._resolve(str(uri)) if uri else None

    def _resolve(self, uri: str) -> str:
        """``models:/m-…`` and ``runs:/<id>/path`` sources, as the locations they name."""
        match = _LOGGED_MODEL_URI.match(uri)
        lm = self._table("logged_models")
        if match and lm is not None:
            rows = self._rows(select(lm.c.artifact_location).where(lm.c.model_id == match[1]))
            return str(rows[0][0]) if rows else uri
        if uri.startswith("runs:/"):
            run_id, _, path = uri.removeprefix("runs:/").strip("/").partition("/")
            r = self._t["runs"]
            rows = self._rows(select(r.c.artifact_uri).where(r.c.run_uuid == run_id))
            if rows and rows[0][0]:
                return f"{str(rows[0][0]).rstrip('/')}/{path}" if path else str(rows[0][0])
        return uri

    def last_version(self, name: str) -> int | None:
        mv = self._table("model_versions")
        if mv is None:
            return None
        rows = self._rows(select(func.max(mv.c.version)).where(mv.c.name == name))
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    # ---------------------------------------------------------------- files
    def locate(self, uri: str | None) -> Location:
        if not uri:
            return Location(None, "no artifact location is recorded")
        proxied = proxy_path(uri)
        if proxied is not None:
            if self._artifacts_root is None:
                return Location(
                    None,
                    f"files at {uri!r} are kept by the MLflow server that wrote them (its "
                    "--artifacts-destination, not recorded in the database); give that "
                    "folder with --artifacts-source-root to copy them",
                )
            return self._found(uri, proxied, self._artifacts_root / proxied)
        local = _local_path(uri)
        if local is None:
            return Location(
                None, f"files at {uri!r} are not on a local path or file:// URI this import reads"
            )
        # The deepest experiment folder wins (one may be nested in another's).
        roots = sorted(self._experiment_roots.items(), key=lambda item: -len(item[1].parts))
        for experiment_id, root in roots:
            if local == root or local.is_relative_to(root):
                relative = local.relative_to(root).as_posix()
                path = experiment_id if relative == "." else f"{experiment_id}/{relative}"
                return self._found(uri, path, local)
        return Location(None, f"files at {uri!r} are outside every experiment's artifact location")

    def _found(self, uri: str, path: str, physical: Path) -> Location:
        if ".." in Path(path).parts:
            return Location(None, f"artifact location {uri!r} leaves its folder")
        # A missing folder is a run or experiment that logged no files: nothing to copy.
        self._physical[path] = physical
        return Location(path)

    def _physical_path(self, path: str) -> Path:
        prefix, rest = path, ""
        while prefix not in self._physical:
            if "/" not in prefix:
                raise RegistryError(f"{path!r} is not under a located artifact folder.")
            prefix, _, tail = prefix.rpartition("/")
            rest = f"{tail}/{rest}" if rest else tail
        return self._physical[prefix] / rest if rest else self._physical[prefix]

    def list_files(self, path: str) -> Iterator[tuple[str, int]]:
        base = self._physical_path(path)
        if not base.exists():
            return
        if base.is_file():
            yield path, base.stat().st_size
            return
        for folder, dirs, files in os.walk(base):
            dirs.sort()
            relative = Path(folder).relative_to(base).as_posix()
            prefix = path if relative == "." else f"{path}/{relative}"
            for name in sorted(files):
                yield f"{prefix}/{name}", (Path(folder) / name).stat().st_size

    def download(self, path: str) -> Iterator[bytes]:
        with self._physical_path(path).open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                yield chunk
