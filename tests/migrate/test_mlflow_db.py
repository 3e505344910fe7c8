"""``import-mlflow --from sqlite:///mlflow.db``: the database source, on a hand-made MLflow DB.

The database has MLflow 3's schema (tests/migrate/mlflow_schema.py) and a small history:
runs with metric histories (a NaN among them), datasets, logged models, a registered
model with stages, an alias and a version deleted at the top, and artifact locations
of every kind (a plain path, a file:// URI, mlflow-artifacts:, s3://). No mlflow
needed; test_import_mlflow_db.py does the same against a database the real mlflow made.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, create_engine, text

from modelreg.cli import main
from modelreg.config import Settings, sqlalchemy_url
from modelreg.errors import InvalidArgument
from modelreg.migrate.mlflow_db import MlflowDatabaseSource, is_database_uri
from modelreg.migrate.mlflow_import import ImportSummary, MlflowImporter
from modelreg.migrate.progress import Progress, SilentProgress
from modelreg.service.assembly import Services, build_services
from modelreg.service.imports import ImportService
from tests.backends import enabled_backends, temporary_database
from tests.migrate import mlflow_schema

RUN = "a" * 32
FAILED = "c" * 32
SERVED = "d" * 32
MODEL = "m-" + "b" * 32
GONE = "m-" + "e" * 32


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _mlflow_db(home: Path) -> Path:
    """An MLflow database as a local MLflow (and one served experiment) leaves it."""
    mlruns, served = home / "mlruns", home / "mlartifacts"
    _write(mlruns / "7" / RUN / "artifacts" / "notes.txt", b"hello")
    _write(mlruns / "7" / "models" / MODEL / "artifacts" / "MLmodel", b"flavors: {}\n")
    _write(mlruns / "7" / "models" / MODEL / "artifacts" / "model.pkl", b"\x00" * 1000)
    _write(served / "9" / SERVED / "artifacts" / "served.txt", b"from the proxy")
    path = home / "mlflow.db"
    conn = mlflow_schema.create(path)
    conn.executemany(
        "INSERT INTO experiments VALUES (?, ?, ?, 'active', ?, ?)",
        [
            (0, "Default", (mlruns / "0").as_uri(), 10, 11),
            (7, "fraud", str(mlruns / "7"), 20, 21),
            (9, "served", "mlflow-artifacts:/9", 30, 31),
        ],
    )
    conn.execute("INSERT INTO experiment_tags VALUES ('team', 'risk', 7)")
    local, proxied = (
        str(mlruns / "7" / RUN / "artifacts"),
        f"mlflow-artifacts:/9/{SERVED}/artifacts",
    )
    runs = [
        (RUN, "first", "ann", "FINISHED", 100, 200, "active", local, 7),
        (FAILED, None, None, "FAILED", 300, None, "deleted", "s3://other-bucket/x", 7),
        (SERVED, "proxied", "bob", "FINISHED", 400, 410, "active", proxied, 9),
    ]
    conn.executemany(
        "INSERT INTO runs (run_uuid, name, user_id, status, start_time, end_time, "
        "lifecycle_stage, artifact_uri, experiment_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        runs,
    )
    conn.executemany(
        "INSERT INTO params VALUES (?, ?, ?)", [("alpha", "1", RUN), ("lr", "0.1", SERVED)]
    )
    conn.executemany(
        "INSERT INTO tags VALUES (?, ?, ?)",
        [("mlflow.runName", "first", RUN), ("mlflow.runName", "elsewhere", FAILED)],
    )
    conn.executemany(
        "INSERT INTO metrics VALUES ('loss', ?, ?, ?, ?, ?)",
        [(1.0, 1, RUN, 0, 0), (0.0, 2, RUN, 1, 1), (0.5, 3, RUN, 2, 0)],
    )
    conn.execute("INSERT INTO latest_metrics VALUES ('loss', 0.5, 3, 2, 0, ?)", (RUN,))
    conn.execute("INSERT INTO datasets VALUES ('ds1', 7, 'iris', 'abc', 'local', '{}', NULL, NULL)")
    conn.executemany(
        "INSERT INTO inputs VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("in1", "DATASET", "ds1", "RUN", RUN, 0),
            ("in2", "RUN_OUTPUT", RUN, "MODEL_OUTPUT", MODEL, 3),
            ("in3", "RUN_INPUT", SERVED, "MODEL_INPUT", MODEL, 0),
        ],
    )
    conn.execute("INSERT INTO input_tags VALUES ('in1', 'mlflow.data.context', 'training')")
    model_location = str(mlruns / "7" / "models" / MODEL / "artifacts")
    conn.executemany(
        "INSERT INTO logged_models VALUES (?, 7, 'model', ?, 150, 160, ?, ?, NULL, ?, NULL)",
        [
            (MODEL, model_location, 2, "active", RUN),
            (GONE, str(mlruns / "7" / "models" / GONE / "artifacts"), 3, "deleted", RUN),
        ],
    )
    conn.execute("INSERT INTO logged_model_params VALUES (?, 7, 'alpha', '1')", (MODEL,))
    conn.execute("INSERT INTO logged_model_tags VALUES (?, 7, 'flavor', 'sklearn')", (MODEL,))
    conn.execute("INSERT INTO registered_models VALUES ('fraud-model', 400, 500, 'd')")
    conn.execute("INSERT INTO registered_model_tags VALUES ('owner', 'risk', 'fraud-model')")
    conn.execute("INSERT INTO registered_model_aliases VALUES ('champion', 2, 'fraud-model')")
    conn.executemany(
        "INSERT INTO model_versions VALUES ('fraud-model', ?, ?, ?, '', 'ann', ?, ?, ?, "
        "'READY', NULL, NULL, ?)",
        [
            (2, 410, 420, "Production", f"models:/{MODEL}", RUN, model_location),
            (5, 430, 430, "None", "s3://other-bucket/model", None, None),
            (6, 440, 450, "Deleted_Internal", f"models:/{MODEL}", RUN, model_location),
        ],
    )
    conn.execute("INSERT INTO model_version_tags VALUES ('validated', 'yes', 'fraud-model', 2)")
    conn.commit()
    conn.close()
    return path


@pytest.fixture
def services(sqlite_uri: str, tmp_path: Path) -> Services:
    return build_services(
        Settings(tracking_uri=sqlite_uri, artifact_root=str(tmp_path / "artifacts")).served()
    )


def _import(
    services: Services,
    database: Path,
    root: Path | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    snapshotter = services.registry.snapshotter
    assert snapshotter is not None
    source = MlflowDatabaseSource(f"sqlite:///{database}", artifacts_root=root)
    try:
        return MlflowImporter(
            source,
            ImportService(services.db, source.name),
            snapshotter.store,
            snapshotter,
            progress,
        ).run()
    finally:
        source.close()


def test_a_database_import_keeps_ids_numbers_times_and_files(
    services: Services, tmp_path: Path
) -> None:
    database = _mlflow_db(tmp_path / "mlflow")
    summary = _import(services, database)

    run = services.tracking.get_run(RUN)
    assert (run.info.start_time, run.info.end_time, run.info.status) == (100, 200, "FINISHED")
    assert run.info.artifact_uri.endswith(f"7/{RUN}/artifacts")
    assert run.data.params == {"alpha": "1"}
    history = services.tracking.get_metric_history(RUN, "loss")
    assert [(m.step, m.timestamp) for m in history] == [(0, 1), (1, 2), (2, 3)]
    assert str(history[1].value) == "nan"
    inputs = run.inputs.dataset_inputs
    assert [(d.dataset.name, d.tags) for d in inputs] == [
        ("iris", {"mlflow.data.context": "training"})
    ]
    assert [(o.model_id, o.step) for o in run.outputs.model_outputs] == [(MODEL, 3)]
    assert services.tracking.get_run(SERVED).inputs.model_inputs[0].model_id == MODEL
    failed = services.tracking.get_run(FAILED)
    assert (failed.info.run_name, failed.info.lifecycle_stage) == ("elsewhere", "deleted")
    assert services.tracking.get_experiment("7").tags == {"team": "risk"}
    assert services.tracking.create_experiment("next") == "10"
    logged = services.tracking.get_logged_model(MODEL)
    assert (logged.tags, logged.params, logged.status.value) == (
        {"flavor": "sklearn"},
        {"alpha": "1"},
        "READY",
    )

    version = services.registry.get_model_version("fraud-model", 2)
    assert (version.current_stage, version.creation_timestamp) == ("Production", 410)
    assert version.tags == {"validated": "yes"} and version.aliases == ["champion"]
    manifest = services.registry.get_model_version_manifest("fraud-model", 2)
    assert manifest is not None and set(manifest) == {"MLmodel", "model.pkl"}
    assert services.registry.get_model_version_manifest("fraud-model", 5) is None
    # MLflow deleted version 6 (its row stays in the database): the next one is 7.
    assert services.registry.create_model_version("fraud-model", f"models:/{MODEL}").version == "7"

    assert summary.counts["run"].new == 3 and summary.counts["logged_model"].new == 1
    assert summary.counts["model_version"].new == 2 and summary.metrics == 3
    assert summary.files == 3 and summary.bytes == 1017
    store = services.registry.snapshotter.store  # type: ignore[union-attr]
    assert store.exists(f"7/{RUN}/artifacts/notes.txt")
    skipped = "\n".join(summary.skipped)
    assert f"run {FAILED}" in skipped and "s3://other-bucket/x" in skipped
    assert f"run {SERVED}" in skipped and "--artifacts-source-root" in skipped
    assert "fraud-model/5" in skipped


def test_the_database_is_only_read(services: Services, tmp_path: Path) -> None:
    database = _mlflow_db(tmp_path / "mlflow")
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    _import(services, database)
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in database.parent.iterdir()) == [
        "mlartifacts",
        "mlflow.db",
        "mlruns",
    ]


def test_a_rerun_skips_the_unchanged_and_sees_new_values(
    services: Services, tmp_path: Path
) -> None:
    database = _mlflow_db(tmp_path / "mlflow")
    _import(services, database)
    again = _import(services, database)
    assert again.counts["run"].unchanged == 3 and again.counts["model_version"].unchanged == 2
    assert again.files == 0 and again.metrics == 0

    # A value logged at an old step leaves latest_metrics as it was; the run still changed.
    conn = sqlite3.connect(database)
    conn.execute("INSERT INTO metrics VALUES ('loss', 0.7, 5, ?, 1, 0)", (RUN,))
    conn.execute("UPDATE registered_model_aliases SET version = 5")
    conn.commit()
    conn.close()
    changed = _import(services, database)
    assert changed.counts["run"].updated == 1 and changed.counts["run"].unchanged == 2
    assert len(services.tracking.get_metric_history(RUN, "loss")) == 4
    assert services.registry.get_model_version_by_alias("fraud-model", "champion").version == "5"


class _Interrupt(SilentProgress):
    """Presses Ctrl-C after ``after`` units of work."""

    def __init__(self, after: int) -> None:
        self.left = after

    def advance(self, count: int = 1, nbytes: int = 0) -> None:
        self.left -= count
        if self.left <= 0:
            raise KeyboardInterrupt


@pytest.mark.parametrize("after", [2, 5, 7])  # in the experiments, the runs, the registry
def test_an_interrupted_database_import_is_finished_by_a_rerun(
    services: Services, tmp_path: Path, after: int
) -> None:
    database = _mlflow_db(tmp_path / "mlflow")
    with pytest.raises(KeyboardInterrupt):
        _import(services, database, progress=_Interrupt(after))
    finished = _import(services, database)
    done = {kind: tally.new + tally.unchanged for kind, tally in finished.counts.items()}
    assert done == {
        "experiment": 3,
        "logged_model": 1,
        "run": 3,
        "registered_model": 1,
        "model_version": 2,
    }
    assert services.registry.get_model_version_manifest("fraud-model", 2) is not None
    assert len(services.tracking.get_metric_history(RUN, "loss")) == 3


def test_the_cli_reads_served_files_from_the_artifacts_source_root(tmp_path: Path) -> None:
    database = _mlflow_db(tmp_path / "mlflow")
    registry = tmp_path / "registry"
    args = [
        "import-mlflow",
        "--from",
        f"sqlite:///{database}",
        "--backend-store-uri",
        f"sqlite:///{registry / 'registry.db'}",
        "--artifacts-destination",
        str(registry / "artifacts"),
        "--artifacts-source-root",
        str(tmp_path / "mlflow" / "mlartifacts"),
    ]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    assert f"Imported from sqlite:///{database}:" in out.output
    assert "runs: 3 new, 0 updated, 0 unchanged" in out.output
    copied = registry / "artifacts" / "9" / SERVED / "artifacts" / "served.txt"
    assert copied.read_bytes() == b"from the proxy"
    assert "--artifacts-source-root" not in out.output  # nothing skipped for want of it

    again = CliRunner().invoke(main, args)
    assert "runs: 0 new, 0 updated, 3 unchanged" in again.output, again.output


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda home: home / "missing.db", "no MLflow database file"),
        (lambda home: _plain_sqlite(home / "other.db"), "not an MLflow tracking database"),
    ],
)
def test_a_database_that_is_not_mlflow_is_refused_in_one_line(
    tmp_path: Path, make: object, message: str
) -> None:
    database = make(tmp_path)  # type: ignore[operator]
    out = CliRunner().invoke(
        main,
        [
            "import-mlflow",
            "--from",
            f"sqlite:///{database}",
            "--backend-store-uri",
            f"sqlite:///{tmp_path / 'registry.db'}",
        ],
    )
    assert out.exit_code != 0 and message in out.output, out.output
    assert "Traceback" not in out.output
    assert not (tmp_path / "missing.db").exists()  # never created by the attempt


def _plain_sqlite(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (id INTEGER)")
    conn.close()
    return path


def test_the_artifacts_source_root_goes_with_a_database_only(tmp_path: Path) -> None:
    out = CliRunner().invoke(
        main,
        ["import-mlflow", "--from", "http://mlflow:5000", "--artifacts-source-root", str(tmp_path)],
    )
    assert out.exit_code == 2 and "goes with a database URI" in out.output


@pytest.mark.parametrize(
    ("uri", "database"),
    [
        ("sqlite:///mlflow.db", True),
        ("postgresql://u:p@db/mlflow", True),
        ("mysql+pymysql://u@db/mlflow", True),
        ("http://mlflow:5000", False),
        ("https://mlflow.example.com", False),
    ],
)
def test_database_uris_are_told_from_server_urls(uri: str, database: bool) -> None:
    assert is_database_uri(uri) is database


def test_locations_map_under_their_experiment(tmp_path: Path) -> None:
    database = _mlflow_db(tmp_path / "mlflow")
    source = MlflowDatabaseSource(f"sqlite:///{database}")
    try:
        mlruns = tmp_path / "mlflow" / "mlruns"
        run_files = mlruns / "7" / RUN / "artifacts"
        assert source.locate(str(run_files)).path == f"7/{RUN}/artifacts"
        assert source.locate(run_files.as_uri()).path == f"7/{RUN}/artifacts"
        assert source.locate(str(mlruns / "7")).path == "7"
        assert list(source.list_files(f"7/{RUN}/artifacts")) == [
            (f"7/{RUN}/artifacts/notes.txt", 5)
        ]
        assert b"".join(source.download(f"7/{RUN}/artifacts/notes.txt")) == b"hello"
        assert source.locate(str(mlruns / "7" / "nothing")).path == "7/nothing"
        assert list(source.list_files("7/nothing")) == []  # a run that logged no files
        assert "outside every experiment" in source.locate(str(tmp_path)).why_not
        assert "local path" in source.locate("s3://bucket/x").why_not
        assert source.locate(str(mlruns / "7" / ".." / "7")).path == "7"
    finally:
        source.close()


def test_several_mlflow_workspaces_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "mlflow.db"
    conn = mlflow_schema.create(path)
    conn.execute("ALTER TABLE experiments ADD COLUMN workspace VARCHAR(63) DEFAULT 'default'")
    conn.execute("INSERT INTO experiments VALUES (0, 'Default', '/x/0', 'active', 1, 1, 'default')")
    conn.execute("INSERT INTO experiments VALUES (1, 'team', '/x/1', 'active', 1, 1, 'team-a')")
    conn.commit()
    conn.close()
    with pytest.raises(InvalidArgument, match="several MLflow workspaces \\(default, team-a\\)"):
        MlflowDatabaseSource(f"sqlite:///{path}")


def _copy_to(database: Path, uri: str) -> None:
    """The hand-made MLflow database, copied table by table into ``uri``'s database."""
    source = create_engine(f"sqlite:///{database}")
    target = create_engine(sqlalchemy_url(uri))
    metadata = MetaData()
    metadata.reflect(source)
    try:
        metadata.create_all(target)
        with source.connect() as read, target.begin() as write:
            if target.dialect.name == "mysql":
                # Experiment 0 stays 0 (MLflow creates its Default experiment this way).
                write.execute(text("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'"))
            for table in metadata.sorted_tables:
                rows = [dict(row._mapping) for row in read.execute(table.select())]
                if rows:
                    write.execute(table.insert(), rows)
    finally:
        source.dispose()
        target.dispose()


@pytest.mark.backend
@pytest.mark.parametrize("backend", enabled_backends() or ["postgresql"])
def test_a_postgresql_or_mariadb_mlflow_database(
    services: Services, tmp_path: Path, backend: str
) -> None:
    if backend not in enabled_backends():
        pytest.skip("MODELREG_TEST_BACKENDS does not name it")
    database = _mlflow_db(tmp_path / "mlflow")
    with temporary_database(backend) as uri:
        _copy_to(database, uri)
        snapshotter = services.registry.snapshotter
        assert snapshotter is not None
        source = MlflowDatabaseSource(uri)
        try:
            summary = MlflowImporter(
                source, ImportService(services.db, source.name), snapshotter.store, snapshotter
            ).run()
        finally:
            source.close()
    assert summary.counts["run"].new == 3 and summary.counts["model_version"].new == 2
    assert summary.files == 3 and summary.metrics == 3
    assert str(services.tracking.get_metric_history(RUN, "loss")[1].value) == "nan"
    assert services.registry.create_model_version("fraud-model", f"models:/{MODEL}").version == "7"
