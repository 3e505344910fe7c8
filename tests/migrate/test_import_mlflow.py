"""`modelreg import-mlflow` against a real `mlflow server` 3.17.2, compared through the real client.

A live MLflow server (its own virtualenv) is filled with a realistic history by the
real client: runs with metric histories and datasets, sklearn models logged and
registered, stages, aliases, tags, descriptions, a deleted version, a deleted
experiment, a failed run. After the import, the same client reads both servers (MLflow
and a `modelreg server` on the imported database) and everything must be equal, the
models' predictions included.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

import tests.server.live
import tests.server.live_mlflow
from modelreg.cli import main
from modelreg.config import Settings
from modelreg.migrate.mlflow_import import MlflowImporter
from modelreg.migrate.mlflow_source import MlflowSource
from modelreg.migrate.progress import SilentProgress
from modelreg.service.assembly import build_services
from modelreg.service.imports import ImportService
from modelreg.store.database import Database
from modelreg.store.tables import events, import_state, model_versions, run_metrics, runs
from tests.migrate import mlflow_scripts
from tests.mlflow_env import require_mlflow_python
from tests.server.live import running_server
from tests.server.live_mlflow import mlflow_server

# Slow as well: a populated MLflow server and several model loads take minutes.
pytestmark = [pytest.mark.mlflow, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _patient_server_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # The import tests start several servers on a busy machine (mlflow's venv is heavy).
    monkeypatch.setattr(tests.server.live, "STARTUP_TIMEOUT", 180.0)


def _client_run(script: str, url: str, home: Path, *args: str) -> str:
    python = require_mlflow_python()
    path = home / "client_script.py"
    path.write_text(script)
    done = subprocess.run(
        [str(python), str(path), *args],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=home,
        env={
            "MLFLOW_TRACKING_URI": url,
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
            "PATH": "/usr/bin:/bin",
            "HOME": str(home),
            "GIT_PYTHON_REFRESH": "quiet",
        },
    )
    assert done.returncode == 0, done.stderr[-6000:]
    assert done.stdout.strip().endswith("OK"), done.stdout[-2000:]
    return done.stdout


def _dump(url: str, home: Path) -> dict[str, Any]:
    target = home / f"dump-{abs(hash(url))}.json"
    _client_run(mlflow_scripts.DUMP, url, home, str(target))
    found: dict[str, Any] = json.loads(target.read_text())
    return found


@pytest.fixture(scope="module")
def mlflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A populated MLflow server: its URL and its folder (mlflow.db, artifacts/)."""
    home = tmp_path_factory.mktemp("mlflow")
    # A loaded machine can take minutes to start mlflow's server (its jobs workers too).
    patient, tests.server.live_mlflow.START_TIMEOUT_S = (
        tests.server.live_mlflow.START_TIMEOUT_S,
        600,
    )
    try:
        with mlflow_server(home) as url:
            _client_run(mlflow_scripts.POPULATE, url, home)
            yield url, home
    finally:
        tests.server.live_mlflow.START_TIMEOUT_S = patient


@pytest.fixture(scope="module")
def mlflow_url(mlflow_home: tuple[str, Path]) -> str:
    return mlflow_home[0]


def _import(url: str, home: Path, *more: str) -> str:
    out = CliRunner().invoke(
        main,
        [
            "import-mlflow",
            "--from",
            url,
            "--backend-store-uri",
            f"sqlite:///{home / 'registry.db'}",
            "--artifacts-destination",
            str(home / "artifacts"),
            *more,
        ],
    )
    assert out.exit_code == 0, out.output
    return out.output


def _counts(uri: str) -> dict[str, int]:
    database = Database(uri)
    try:
        with database.read() as conn:
            return {
                table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (runs, run_metrics, model_versions, events, import_state)
            }
    finally:
        database.dispose()


def test_everything_arrives_as_the_real_client_sees_it(mlflow_url: str, tmp_path: Path) -> None:
    output = _import(mlflow_url, tmp_path)
    assert "runs: 5 new" in output and "model versions: 3 new" in output, output
    uri = f"sqlite:///{tmp_path / 'registry.db'}"
    first = _counts(uri)

    # A rerun imports nothing new and duplicates nothing.
    again = _import(mlflow_url, tmp_path)
    assert "runs: 0 new, 0 updated, 5 unchanged" in again, again
    assert "model versions: 0 new, 0 updated, 3 unchanged" in again, again
    assert _counts(uri) == first

    with running_server(tmp_path) as modelreg:
        expected = _dump(mlflow_url, tmp_path)
        actual = _dump(modelreg.url, tmp_path)
        for section in ("experiments", "runs", "logged_models", "models", "predictions"):
            assert actual[section] == expected[section], section
        assert len(expected["runs"]) == 5 and len(expected["predictions"]) == 4
        histories = [r["history"].get("loss", []) for r in expected["runs"]]
        assert max(len(h) for h in histories) == 40

        # Numbering continues after the imported versions (3 was deleted in MLflow).
        run_id = next(r["info"][0] for r in expected["runs"] if r["info"][2] == "run0")
        number = tmp_path / "number.txt"
        _client_run(mlflow_scripts.NEW_VERSION, modelreg.url, tmp_path, str(number), run_id)
        assert number.read_text() == "5"

    # Changes on the MLflow side since: only they are imported.
    _client_run(mlflow_scripts.CHANGE, mlflow_url, tmp_path)
    changed = _import(mlflow_url, tmp_path)
    assert "runs: 1 new, 1 updated, 4 unchanged" in changed, changed
    with running_server(tmp_path) as modelreg:
        expected = _dump(mlflow_url, tmp_path)
        actual = _dump(modelreg.url, tmp_path)
    assert actual["runs"] == expected["runs"]
    champion = {m[0]: m[3] for m in actual["models"]}["iris-clf"]
    assert champion["champion"] == "4"


class _Interrupt(SilentProgress):
    """Presses Ctrl-C after ``after`` units of work."""

    def __init__(self, after: int) -> None:
        self.left = after

    def advance(self, count: int = 1, nbytes: int = 0) -> None:
        self.left -= count
        if self.left <= 0:
            raise KeyboardInterrupt


def test_an_interrupted_import_is_finished_by_a_rerun(mlflow_url: str, tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    reference.mkdir()
    _import(mlflow_url, reference)
    settings = Settings(
        tracking_uri=f"sqlite:///{tmp_path / 'registry.db'}",
        artifact_root=str(tmp_path / "artifacts"),
    ).served()
    services = build_services(settings)
    assert services.registry.snapshotter is not None
    for after in (3, 7):  # in the logged models, then in the runs
        source = MlflowSource(mlflow_url)
        importer = MlflowImporter(
            source,
            ImportService(services.db, source.url),
            services.registry.snapshotter.store,
            services.registry.snapshotter,
            _Interrupt(after),
        )
        with pytest.raises(KeyboardInterrupt):
            importer.run()
        source.close()
    services.db.dispose()
    finished = _import(mlflow_url, tmp_path)
    assert "unchanged" in finished
    done, full = _counts(settings.tracking_uri), _counts(f"sqlite:///{reference / 'registry.db'}")
    assert {k: v for k, v in done.items() if k != "events"} == {
        k: v for k, v in full.items() if k != "events"
    }
    with running_server(tmp_path) as modelreg:
        assert _dump(modelreg.url, tmp_path)["runs"] == _dump(mlflow_url, tmp_path)["runs"]


def test_the_servers_database_read_directly_gives_the_same_registry(
    mlflow_home: tuple[str, Path], tmp_path: Path
) -> None:
    """``--from sqlite:///mlflow.db``: the database the real server wrote, read directly."""
    url, home = mlflow_home
    database = f"sqlite:///{home / 'mlflow.db'}"
    output = _import(database, tmp_path, "--artifacts-source-root", str(home / "artifacts"))
    assert "model versions: 3 new" in output and "skipped" not in output, output
    first = _counts(f"sqlite:///{tmp_path / 'registry.db'}")
    again = _import(database, tmp_path, "--artifacts-source-root", str(home / "artifacts"))
    assert "runs: 0 new, 0 updated" in again and "files: 0" in again, again
    assert _counts(f"sqlite:///{tmp_path / 'registry.db'}") == first

    with running_server(tmp_path) as modelreg:
        expected = _dump(url, tmp_path)
        actual = _dump(modelreg.url, tmp_path)
        for section in ("experiments", "runs", "logged_models", "models", "predictions"):
            assert actual[section] == expected[section], section
        # The database remembers the deleted version 3, so numbering goes on after it.
        run_id = next(r["info"][0] for r in expected["runs"] if r["info"][2] == "run0")
        number = tmp_path / "number.txt"
        _client_run(mlflow_scripts.NEW_VERSION, modelreg.url, tmp_path, str(number), run_id)
        assert number.read_text() == "5"


def test_a_local_mlflow_database_with_its_files_on_disk(tmp_path: Path) -> None:
    """A database the real client wrote without a server: files at local paths."""
    client_home = tmp_path / "client"
    client_home.mkdir()
    _client_run(mlflow_scripts.LOCAL, "sqlite:///mlflow.db", client_home)
    registry = tmp_path / "registry"
    output = _import(f"sqlite:///{client_home / 'mlflow.db'}", registry)
    assert "runs: 1 new" in output and "model versions: 1 new" in output, output
    assert "skipped" not in output, output
    with running_server(registry) as modelreg:
        predictions = registry / "predictions.json"
        printed = _client_run(mlflow_scripts.PREDICT, modelreg.url, registry, str(predictions))
    # The same model, loaded from modelreg's registry copy, predicts the same.
    assert json.loads(predictions.read_text()) == json.loads(
        (client_home / "predictions.json").read_text()
    )
    # MLflow deleted version 2, the highest: the database remembers it, so the next is 3.
    assert "next 3" in printed
