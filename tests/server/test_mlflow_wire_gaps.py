"""The MLflow wire gaps of issue 7, checked against a live ``mlflow server`` 3.17.2.

One probe (``mlflow_wire_gaps_probe.py``) makes the same calls with the real mlflow
client (its own virtualenv, a subprocess) against a live ``mlflow server`` and a live
``modelreg server`` (the CLI, as users run it), each on a fresh SQLite database; every
case's outcome (result, or error code and message) must be the same on both.

Three relaxations, each listed by case below, and nothing else:

* MLflow's request-schema errors end in " See the API docs for more information about
  request parameters."; modelreg's do not, and the rest of the message is the same.
* Where modelreg's message says more than MLflow's (``Invalid path '../x': '..'
  segments are not allowed`` for MLflow's ``Invalid path``), it starts with MLflow's
  message or with the part of it that code matches on (``PREFIXES``).
* The deliberate differences listed in docs/server.md ("Where modelreg differs from
  MLflow, on purpose") are asserted as such (``DIFFERENCES``), so a change on either
  side shows up here.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.mlflow_env import require_mlflow_python
from tests.server import live_mlflow
from tests.server.live import running_server

pytestmark = pytest.mark.mlflow

PROBE = Path(__file__).with_name("mlflow_wire_gaps_probe.py")
API_DOCS = " See the API docs for more information about request parameters."
Outcome = dict[str, Any]
Outcomes = dict[str, Outcome]

# Each gap of issue 7 and the probe's cases for it (by the start of the case's name).
GAPS: dict[str, tuple[str, ...]] = {
    "delete_experiment_tag": ("delete_experiment_tag",),
    "search_experiments order_by": ("search_experiments",),
    "metric history pages": ("get_metric_history", "get-history,"),
    "model inputs": ("log_inputs", "log_outputs"),
    "metric datasets and the logged-model datasets filter": (
        "logged model metrics",
        "search_logged_models",
        "logged-models/search",
        "log-metric",
    ),
    "versions recorded on logged models": ("create_model_version",),
    "deleting a logged-model tag": ("delete_logged_model_tag",),
    "artifacts/list and artifacts/directories": (
        "artifacts/list",
        "artifacts/directories",
        "list_logged_model_artifacts",
    ),
    "get-history-bulk-interval": ("get-history-bulk-interval",),
    "log-batch limits and wording": (
        "log-batch",
        "log_batch",
        "log_param",
        "set_tag",
        "search_runs",
    ),
    "ids that do not exist, artifact locations": ("create_experiment",),
}


# Messages compared by their start: (MLflow's, modelreg's). Where modelreg says more
# than MLflow (which path part is wrong, what is allowed), its message still begins
# with the words code matches on.
def _both(prefix: str) -> tuple[str, str]:
    return prefix, prefix


PREFIXES: dict[str, tuple[str, str]] = {
    **{
        f"{route}, path {path}": _both("Invalid path")
        for route in ("artifacts/list", "artifacts/directories")
        for path in ("../x", "/etc", "dir/../../x", "dir%2F..%2F..%2Fx", "a#b")
        if route == "artifacts/list" or path in ("../x", "/etc")
    },
    # MLflow's handler adds a type hint; modelreg says what was expected.
    "get-history-bulk-interval, max_results abc": _both(
        "Invalid value \"abc\" for parameter 'max_results' supplied:"
    ),
    # MLflow's handler words this one generically, its store as modelreg does.
    "search_runs, max_results 50001": _both(
        "Invalid value 50001 for parameter 'max_results' supplied"
    ),
    # MLflow names the entity; modelreg the clause and the keys it accepts.
    "search_experiments, tag order": (
        "Invalid order_by entity: tag",
        "Invalid order by key 'tags.x' specified in order_by clause 'tags.x'. Valid keys are",
    ),
}

# Fields modelreg's JSON has and MLflow's leaves out, where MLflow's proto has them too.
EXTRA_FIELDS: dict[str, set[str]] = {
    "get-history, token without max_results": {"run_id"},  # the run the value is of
}


def _error(outcome: Outcome) -> dict[str, str]:
    assert "error" in outcome, outcome
    return outcome["error"]  # type: ignore[no-any-return]


def _missing_is_404(mlflow: Outcome, modelreg: Outcome) -> None:
    assert "ok" in mlflow, mlflow
    assert _error(modelreg)["code"] == "RESOURCE_DOES_NOT_EXIST", modelreg


def _name_only_matches_any_digest(mlflow: Outcome, modelreg: Outcome) -> None:
    # MLflow compares the digest with NULL, so metrics logged with one never match.
    assert mlflow == {"ok": []}
    assert modelreg == {"ok": ["on-eval", "on-test"]}


def _long_param_refused(mlflow: Outcome, modelreg: Outcome) -> None:
    assert mlflow == {"ok": 6000}  # MLflow keeps the first 6000 characters
    error = _error(modelreg)
    assert error["code"] == "INVALID_PARAMETER_VALUE"
    assert error["message"].startswith("Param value for key 'long' is 6001 characters long")


def _long_tag_kept(mlflow: Outcome, modelreg: Outcome) -> None:
    assert (mlflow, modelreg) == ({"ok": 8000}, {"ok": 8001})


def _own_location_refused(mlflow: Outcome, modelreg: Outcome) -> None:
    assert mlflow == {"ok": True}
    error = _error(modelreg)
    assert error["code"] == "INVALID_PARAMETER_VALUE"
    assert "cannot choose their own artifact_location" in error["message"]


def _malformed_run_refused(mlflow: Outcome, modelreg: Outcome) -> None:
    assert mlflow == {"ok": {}}
    assert _error(modelreg)["code"] == "INVALID_PARAMETER_VALUE"


# The deliberate differences of docs/server.md, each checked as it stands.
DIFFERENCES: dict[str, Callable[[Outcome, Outcome], None]] = {
    "log_inputs, a model that does not exist": _missing_is_404,
    "log_outputs, a model that does not exist": _missing_is_404,
    "get-history-bulk-interval, a run that does not exist": _missing_is_404,
    "get-history-bulk-interval, a malformed run id": _malformed_run_refused,
    "create_experiment, its own artifact_location": _own_location_refused,
    "search_logged_models, a dataset name only": _name_only_matches_any_digest,
    "log_param, 6001 characters": _long_param_refused,
    "set_tag, 8001 characters": _long_tag_kept,
}


def _probe(python: Path, uri: str, scratch: Path) -> Outcomes:
    scratch.mkdir(parents=True)
    done = subprocess.run(
        [str(python), str(PROBE), uri, str(scratch)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=scratch,
        env={**os.environ, "PYTHONWARNINGS": "ignore", "MLFLOW_TRACKING_USERNAME": "alice"},
    )
    assert done.returncode == 0, done.stderr[-6000:]
    line = next(row for row in done.stdout.splitlines() if row.startswith("OUTCOMES "))
    found: Outcomes = json.loads(line.removeprefix("OUTCOMES "))
    return found


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Outcomes, Outcomes]:
    """The probe's outcomes on a live mlflow server and on a live modelreg server."""
    python = require_mlflow_python()
    home = tmp_path_factory.mktemp("wire-gaps")
    with live_mlflow.mlflow_server(home / "mlflow-server") as url:
        mlflow = _probe(python, url, home / "probe-mlflow")
    (home / "modelreg-server").mkdir()
    # The probe registers s3:// references, as mlflow server stores them.
    with running_server(home / "modelreg-server", "--allowed-source-schemes", "s3") as server:
        modelreg = _probe(python, server.url, home / "probe-modelreg")
    return mlflow, modelreg


def _without(value: Any, fields: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _without(v, fields) for k, v in value.items() if k not in fields}
    if isinstance(value, list):
        return [_without(v, fields) for v in value]
    return value


def mismatch(case: str, mlflow: Outcome, modelreg: Outcome) -> str | None:
    """Why ``modelreg``'s outcome is not MLflow's, or None when it is."""
    if case in DIFFERENCES:
        DIFFERENCES[case](mlflow, modelreg)
        return None
    if "ok" in mlflow:
        got = _without(modelreg, EXTRA_FIELDS.get(case, set()))
        return None if got == mlflow else f"results differ: {mlflow} != {modelreg}"
    expected, error = _error(mlflow), modelreg.get("error")
    if error is None:
        return f"MLflow refused ({expected}), modelreg answered {modelreg}"
    if error["code"] != expected["code"]:
        return f"error codes differ: {expected['code']} != {error['code']}"
    if case in PREFIXES:
        theirs, ours = PREFIXES[case]
        if expected["message"].startswith(theirs) and error["message"].startswith(ours):
            return None
        return f"messages differ: {expected['message']!r} != {error['message']!r}"
    if error["message"] != expected["message"].removesuffix(API_DOCS):
        return f"messages differ: {expected['message']!r} != {error['message']!r}"
    return None


def test_every_case_belongs_to_a_gap(outcomes: tuple[Outcomes, Outcomes]) -> None:
    mlflow, modelreg = outcomes
    assert set(modelreg) == set(mlflow)
    assert len(mlflow) >= 70
    orphans = [case for case in mlflow if not any(case.startswith(p) for p in _prefixes())]
    assert orphans == []
    listed = set(PREFIXES) | set(EXTRA_FIELDS) | set(DIFFERENCES)
    assert listed <= set(mlflow), listed - set(mlflow)


def _prefixes() -> tuple[str, ...]:
    return tuple(p for group in GAPS.values() for p in group)


@pytest.mark.parametrize("gap", sorted(GAPS))
def test_the_mlflow_client_sees_mlflows_outcomes(
    outcomes: tuple[Outcomes, Outcomes], gap: str
) -> None:
    mlflow, modelreg = outcomes
    cases = sorted(case for case in mlflow if case.startswith(GAPS[gap]))
    assert cases, gap
    problems = {case: mismatch(case, mlflow[case], modelreg[case]) for case in cases}
    assert {case: why for case, why in problems.items() if why} == {}
