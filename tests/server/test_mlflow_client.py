"""The real ``mlflow.MlflowClient`` (its own virtualenv) against the server's registry API.

The server runs in a thread (uvicorn, a real socket); the MLflow client runs in a
subprocess of the mlflow virtualenv (tests/mlflow_env.py) and asserts what it sees.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from modelreg.config import Settings
from modelreg.filters import Comparison, comparisons
from modelreg.store.registry import RegistryStore
from tests.mlflow_env import require_mlflow_python

pytestmark = pytest.mark.mlflow

# Every client script starts here: the client for the server named by argv[1], and
# error(call) -> (error code, message) of the MlflowException the call raises.
PRELUDE = r"""
import sys, warnings
warnings.simplefilter("ignore")
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

def error(call):
    try:
        call()
    except MlflowException as error:
        return error.error_code, error.message
    raise AssertionError("no error")

def error_code(call):
    return error(call)[0]

c = MlflowClient(tracking_uri=sys.argv[1], registry_uri=sys.argv[1])
"""

SCRIPT = (
    PRELUDE
    + r"""
rm = c.create_registered_model("churn", tags={"team": "ds"}, description="d")
assert (rm.name, rm.tags, rm.description) == ("churn", {"team": "ds"}, "d")
assert error_code(lambda: c.create_registered_model("churn")) == "RESOURCE_ALREADY_EXISTS"
mv = c.create_model_version("churn", "s3://bucket/churn/1", tags={"b": "1"}, await_creation_for=0)
assert (mv.version, mv.status, mv.current_stage, mv.tags) == ("1", "READY", "None", {"b": "1"})
c.create_model_version("churn", "s3://bucket/churn/2")
c.set_registered_model_alias("churn", "champ", "1")
champ = c.get_model_version_by_alias("churn", "champ")
assert (champ.version, champ.aliases) == ("1", ["champ"])
moved = c.transition_model_version_stage("churn", "2", "production", archive_existing_versions=True)
assert moved.current_stage == "Production"
assert [v.version for v in c.get_latest_versions("churn", ["Production"])] == ["2"]
got = c.get_registered_model("churn")
assert got.aliases == {"champ": "1"}
assert sorted(v.version for v in got.latest_versions) == ["1", "2"]
assert [m.name for m in c.search_registered_models("name LIKE 'ch%'")] == ["churn"]
found = c.search_model_versions("name='churn'", order_by=["version_number DESC"])
assert [v.version for v in found] == ["2", "1"]
assert c.get_model_version_download_uri("churn", "1") == "s3://bucket/churn/1"
c.set_model_version_tag("churn", "1", "k", "v")
c.delete_model_version_tag("churn", "1", "k")
c.set_registered_model_tag("churn", "k", "v")
c.delete_registered_model_tag("churn", "k")
assert c.update_model_version("churn", "1", "new").description == "new"
c.update_registered_model("churn", "rm")
c.rename_registered_model("churn", "churn2")
c.delete_registered_model_alias("churn2", "champ")
assert error_code(lambda: c.get_model_version_by_alias("churn2", "champ")) == (
    "INVALID_PARAMETER_VALUE"
)
c.copy_model_version("models:/churn2/1", "copy")
assert c.get_model_version("copy", "1").source == "models:/churn2/1"
c.delete_model_version("churn2", "1")
assert error_code(lambda: c.get_model_version("churn2", "1")) == "RESOURCE_DOES_NOT_EXIST"
c.delete_registered_model("churn2")
assert error_code(lambda: c.get_registered_model("churn2")) == "RESOURCE_DOES_NOT_EXIST"
print("OK")
"""
)


@pytest.fixture
def mlflow_python() -> Path:
    python = require_mlflow_python()
    return python


def test_mlflow_client_registry_workflow(
    mlflow_python: Path, live_server: str, tmp_path: Path
) -> None:
    run_client_script(mlflow_python, SCRIPT, live_server, tmp_path / "client.py")


def run_client_script(python: Path, text: str, server: str, path: Path) -> None:
    """Run ``text`` with the mlflow virtualenv's Python against ``server``; it prints OK."""
    path.write_text(text)
    done = subprocess.run(
        [str(python), str(path), server],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.strip().endswith("OK")


# ------------------------------------- OR and parentheses, limits and timeouts

SEARCH_SCRIPT = (
    PRELUDE
    + r"""
# The registry searches: the client passes the filter through untouched, except that
# it appends " AND <not a prompt>" to model searches, which applies to all of it.
names = lambda page: sorted(m.name for m in page)
assert names(c.search_registered_models("tag.team = 'b' OR name = 'alpha'")) == ["alpha", "gamma"]
both = "(name = 'alpha' OR name = 'beta') AND tag.team = 'a'"
assert names(c.search_registered_models(both)) == ["alpha", "beta"]
found = c.search_model_versions("(name = 'alpha' OR name = 'gamma') AND version_number = 1")
assert sorted((v.name, v.version) for v in found) == [("alpha", "1"), ("gamma", "1")]

# The tracking searches share the parser.
e1 = c.create_experiment("e1", tags={"t": "x"})
e2 = c.create_experiment("e2")
found = c.search_experiments(filter_string="name = 'e2' OR tags.t = 'x'")
assert sorted(e.name for e in found) == ["e1", "e2"]
runs = []
for lr, acc in (("0.1", 0.5), ("0.2", 0.95), ("0.3", 0.7)):
    run = c.create_run(e1)
    c.log_param(run.info.run_id, "lr", lr)
    c.log_metric(run.info.run_id, "acc", acc)
    runs.append(run.info.run_id)
found = c.search_runs([e1], "params.lr = '0.1' OR metrics.acc > 0.9")
assert sorted(r.info.run_id for r in found) == sorted(runs[:2])
found = c.search_runs([e1], "(params.lr = '0.1' OR params.lr = '0.3') AND metrics.acc > 0.6")
assert [r.info.run_id for r in found] == [runs[2]]
m1 = c.create_logged_model(e1, name="m1", params={"p": "v"})
m2 = c.create_logged_model(e1, name="m2")
c.create_logged_model(e1, name="m3")
found = c.search_logged_models([e1], filter_string="name = 'm2' OR params.p = 'v'")
assert sorted(m.model_id for m in found) == sorted([m1.model_id, m2.model_id])

# Limits: a 400 that says the limit, which the client does not retry.
code, message = error(lambda: c.search_model_versions(" OR ".join(["name = 'x'"] * 101)))
assert code == "INVALID_PARAMETER_VALUE" and "at most 100 per filter" in message, message
code, message = error(lambda: c.search_runs([e1], "params.p = '" + "x" * 20000 + "'"))
assert code == "INVALID_PARAMETER_VALUE" and "at most 16,384 characters" in message, message

# A search cancelled by the statement timeout: DEADLINE_EXCEEDED, never retried.
code, message = error(lambda: c.search_model_versions("name = 'slow'"))
assert code == "DEADLINE_EXCEEDED" and "statement timeout" in message, message
print("OK")
"""
)


@pytest.fixture
def slow_search_calls(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Version searches for name 'slow' run an endless statement (1 s limit)."""
    calls: list[object] = []
    original = RegistryStore.search_versions

    def search_versions(self: RegistryStore, filters: Any, *args: Any) -> Any:
        if comparisons(filters) == [Comparison("attribute", "name", "=", "slow")]:
            calls.append(filters)
            self.conn.exec_driver_sql(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                "SELECT max(x) FROM c"
            ).all()
        return original(self, filters, *args)

    monkeypatch.setattr(RegistryStore, "search_versions", search_versions)
    return calls


@pytest.fixture
def settings(sqlite_uri: str, tmp_path: Path) -> Settings:
    # This module's server: a short statement timeout for the timeout check.
    return Settings(
        tracking_uri=sqlite_uri,
        artifact_root=str(tmp_path / "artifacts"),
        statement_timeout_ms=1000,
        # The versions are s3:// references, stored only where allowed.
        allowed_source_schemes=frozenset({"s3"}),
    )


def test_mlflow_client_passes_or_filters_through(
    mlflow_python: Path,
    app: Starlette,
    live_server: str,
    tmp_path: Path,
    slow_search_calls: list[object],
) -> None:
    registry = app.state.services.registry
    for name, team in (("alpha", "a"), ("beta", "a"), ("gamma", "b")):
        registry.create_registered_model(name, tags={"team": team})
        registry.create_model_version(name, f"s3://bucket/{name}/1")
    # A prompt in the first OR branch: the client's appended clause must exclude it.
    registry.create_registered_model(
        "prompt", tags={"team": "b", "mlflow.prompt.is_prompt": "true"}
    )
    run_client_script(mlflow_python, SEARCH_SCRIPT, live_server, tmp_path / "search.py")
    assert len(slow_search_calls) == 1  # the 400 was not retried
