"""Tracking and logged models on the wire: exact JSON shapes and MLflow's quirks (§3.2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelreg.config import Settings
from tests.server.asgi import TestClient

API = "/api/2.0/mlflow"


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code
    return body["message"]  # type: ignore[no-any-return]


def create_run(http: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"experiment_id": "0", **fields}
    return ok(http.post(f"{API}/runs/create", json=body))["run"]  # type: ignore[no-any-return]


def create_model(http: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"experiment_id": "0", "name": "model", **fields}
    return ok(http.post(f"{API}/logged-models", json=body))["model"]  # type: ignore[no-any-return]


# ------------------------------------------------------------------ experiments
def test_experiment_shapes(http: TestClient) -> None:
    created = ok(
        http.post(
            f"{API}/experiments/create",
            json={"name": "churn", "tags": [{"key": "team", "value": "ds"}]},
        )
    )
    assert created == {"experiment_id": "1"}
    got = ok(http.get(f"{API}/experiments/get", params={"experiment_id": "1"}))["experiment"]
    assert got == {
        "experiment_id": "1",
        "name": "churn",
        "artifact_location": "mlflow-artifacts:/1",
        "lifecycle_stage": "active",
        "last_update_time": got["creation_time"],
        "creation_time": got["creation_time"],
        "tags": [{"key": "team", "value": "ds"}],
    }
    assert isinstance(got["creation_time"], int)
    by_name = ok(http.get(f"{API}/experiments/get-by-name", params={"experiment_name": "churn"}))
    assert by_name == {"experiment": got}
    default = ok(http.get("/ajax-api/2.0/mlflow/experiments/get", params={"experiment_id": "0"}))
    assert "tags" not in default["experiment"]  # empty repeated fields are omitted


def test_missing_experiment_by_name_is_404(http: TestClient) -> None:
    missing = http.get(f"{API}/experiments/get-by-name", params={"experiment_name": "x"})
    message = error(missing, 404, "RESOURCE_DOES_NOT_EXIST")
    assert message == "Could not find experiment with name 'x'"
    duplicate = http.post(f"{API}/experiments/create", json={"name": "Default"})
    assert error(duplicate, 400, "RESOURCE_ALREADY_EXISTS").startswith("Experiment(name=Default)")


def test_experiment_search_post_and_get(http: TestClient) -> None:
    for name in ("a", "b"):
        ok(http.post(f"{API}/experiments/create", json={"name": name}))
    body = {"max_results": 2, "view_type": "ACTIVE_ONLY", "order_by": ["name DESC"]}
    first = ok(http.post(f"{API}/experiments/search", json=body))
    assert [e["name"] for e in first["experiments"]] == ["b", "a"] and first["next_page_token"]
    query = {"max_results": "2", "page_token": first["next_page_token"], "view_type": "1"}
    rest = ok(http.get(f"{API}/experiments/search", params={**query, "order_by": "name DESC"}))
    assert [e["name"] for e in rest["experiments"]] == ["Default"]
    assert "next_page_token" not in rest
    both = {"order_by": ["creation_time ASC", "experiment_id DESC"]}
    oldest = ok(http.get(f"{API}/experiments/search", params=both))["experiments"]
    assert [e["name"] for e in oldest][0] == "Default"
    bad = http.post(f"{API}/experiments/search", json={"order_by": ["tags.team"]})
    assert error(bad, 400, "INVALID_PARAMETER_VALUE").startswith("Invalid order by key")
    none = ok(http.post(f"{API}/experiments/search", json={"view_type": "DELETED_ONLY"}))
    assert none == {}


def test_experiment_updates(http: TestClient) -> None:
    ok(http.post(f"{API}/experiments/create", json={"name": "e"}))
    for path, body in (
        ("experiments/set-experiment-tag", {"experiment_id": "1", "key": "k", "value": "v"}),
        ("experiments/update", {"experiment_id": "1", "new_name": "f"}),
        ("experiments/delete", {"experiment_id": "1"}),
    ):
        assert ok(http.post(f"{API}/{path}", json=body)) == {}
    got = ok(http.get(f"{API}/experiments/get", params={"experiment_id": "1"}))["experiment"]
    assert (got["name"], got["lifecycle_stage"], got["tags"]) == (
        "f",
        "deleted",
        [{"key": "k", "value": "v"}],
    )
    assert ok(http.post(f"{API}/experiments/restore", json={"experiment_id": "1"})) == {}


# ------------------------------------------------------------------------ runs
def test_run_create_shape_as_the_seed_workflow_sends_it(http: TestClient) -> None:
    tags = [
        {"key": "mlflow.user", "value": "root"},
        {"key": "mlflow.source.type", "value": "LOCAL"},
    ]
    run = create_run(http, user_id="root", start_time=1795685344218, tags=tags)
    info = run["info"]
    run_id = info["run_id"]
    assert info == {
        "run_uuid": run_id,
        "experiment_id": "0",
        "run_name": info["run_name"],
        "user_id": "root",
        "status": "RUNNING",
        "start_time": 1795685344218,
        "artifact_uri": f"mlflow-artifacts:/0/{run_id}/artifacts",
        "lifecycle_stage": "active",
        "run_id": run_id,
    }
    assert list(info)[:3] == ["run_uuid", "experiment_id", "run_name"]  # MLflow's order
    assert run["inputs"] == {} and "outputs" not in run
    assert {"key": "mlflow.runName", "value": info["run_name"]} in run["data"]["tags"]


def test_run_get_with_data_inputs_outputs(http: TestClient) -> None:
    run_id = create_run(http)["info"]["run_id"]
    ids = {"run_id": run_id, "run_uuid": run_id}
    ok(http.post(f"{API}/runs/log-parameter", json={**ids, "key": "C", "value": "1.0"}))
    metric = {"key": "acc", "value": 0.5, "timestamp": 10, "step": 2}
    ok(http.post(f"{API}/runs/log-metric", json={**ids, **metric}))
    nan = {"key": "n", "value": "NaN", "timestamp": 1}
    ok(http.post(f"{API}/runs/log-metric", json={**ids, **nan}))
    ok(http.post(f"{API}/runs/set-tag", json={**ids, "key": "t", "value": "v"}))
    dataset = {"name": "d", "digest": "dig", "source_type": "local", "source": "src"}
    datasets = [{"tags": [{"key": "mlflow.data.context", "value": "train"}], "dataset": dataset}]
    ok(http.post(f"{API}/runs/log-inputs", json={"run_id": run_id, "datasets": datasets}))
    model_id = create_model(http, source_run_id=run_id)["info"]["model_id"]
    outputs = {"run_id": run_id, "models": [{"model_id": model_id, "step": 3}]}
    ok(http.post(f"{API}/runs/outputs", json=outputs))

    # The MLflow client sends both spellings of the id; older clients only run_uuid.
    run = ok(http.get(f"{API}/runs/get", params={"run_uuid": run_id}))["run"]
    assert run["data"]["metrics"] == [
        {"key": "acc", "value": 0.5, "timestamp": 10, "step": 2},
        {"key": "n", "value": "NaN", "timestamp": 1, "step": 0},
    ]
    assert run["data"]["params"] == [{"key": "C", "value": "1.0"}]
    assert {"key": "t", "value": "v"} in run["data"]["tags"]
    assert run["inputs"] == {"dataset_inputs": datasets}
    assert run["outputs"] == {"model_outputs": [{"model_id": model_id, "step": 3}]}


def test_update_run_returns_run_info(http: TestClient) -> None:
    run_id = create_run(http)["info"]["run_id"]
    body = {"run_id": run_id, "run_uuid": run_id, "status": "FINISHED", "end_time": 99}
    info = ok(http.post(f"{API}/runs/update", json=body))["run_info"]
    assert (info["status"], info["end_time"], info["run_uuid"]) == ("FINISHED", 99, run_id)
    # Enum numbers are proto JSON too: 4 is FAILED.
    again = ok(http.post(f"{API}/runs/update", json={"run_id": run_id, "status": 4}))
    assert again["run_info"]["status"] == "FAILED"
    assert ok(http.post(f"{API}/runs/delete", json={"run_id": run_id})) == {}
    deleted = ok(http.get(f"{API}/runs/get", params={"run_id": run_id}))["run"]["info"]
    assert deleted["lifecycle_stage"] == "deleted"
    assert ok(http.post(f"{API}/runs/restore", json={"run_id": run_id})) == {}


def test_log_batch_history_and_search(http: TestClient) -> None:
    run_id = create_run(http)["info"]["run_id"]
    body = {
        "run_id": run_id,
        "metrics": [
            {"key": "loss", "value": 1, "timestamp": 5, "step": 0},
            {"key": "loss", "value": 0.5, "timestamp": 6, "step": 1, "model_id": "m-x"},
            {"key": "big", "value": "-Infinity", "timestamp": 6},
        ],
        "params": [{"key": "p", "value": "1"}],
        "tags": [{"key": "t"}],  # an absent value is ""
    }
    assert ok(http.post(f"{API}/runs/log-batch", json=body)) == {}
    history = ok(
        http.get(
            f"{API}/metrics/get-history",
            params={
                "run_id": run_id,
                "run_uuid": run_id,
                "metric_key": "loss",
                "max_results": 25000,
            },
        )
    )
    page = ok(
        http.get(
            f"{API}/metrics/get-history",
            params={"run_id": run_id, "metric_key": "loss", "max_results": 1},
        )
    )
    assert page["metrics"] == history["metrics"][:1]
    query = {"run_id": run_id, "metric_key": "loss", "page_token": page["next_page_token"]}
    rest = ok(http.get(f"{API}/metrics/get-history", params={**query, "max_results": 1}))
    assert rest == {"metrics": history["metrics"][1:]}  # the last page has no token
    bad = http.get(f"{API}/metrics/get-history", params={**query, "max_results": "0"})
    assert error(bad, 400, "INVALID_PARAMETER_VALUE") == (
        "Invalid value 0 for parameter 'max_results' supplied. It must be a positive integer."
    )
    assert history == {
        "metrics": [
            {"key": "loss", "value": 1.0, "timestamp": 5, "step": 0, "run_id": run_id},
            {
                "key": "loss",
                "value": 0.5,
                "timestamp": 6,
                "step": 1,
                "model_id": "m-x",
                "run_id": run_id,
            },
        ]
    }
    found = ok(
        http.post(
            f"{API}/runs/search",
            json={
                "experiment_ids": ["0"],
                "filter": "params.p = '1'",
                "run_view_type": "ACTIVE_ONLY",
                "max_results": 10,
                "order_by": ["attributes.start_time DESC"],
            },
        )
    )
    (run,) = found["runs"]
    assert {"key": "t", "value": ""} in run["data"]["tags"]
    big = next(m for m in run["data"]["metrics"] if m["key"] == "big")
    assert big["value"] == -1.7976931348623157e308  # infinities are clamped, as in MLflow
    assert ok(http.post(f"{API}/runs/search", json={"experiment_ids": ["1"]})) == {}


def test_delete_tag_and_errors(http: TestClient) -> None:
    run_id = create_run(http)["info"]["run_id"]
    ok(http.post(f"{API}/runs/set-tag", json={"run_id": run_id, "key": "k", "value": "v"}))
    assert ok(http.post(f"{API}/runs/delete-tag", json={"run_id": run_id, "key": "k"})) == {}
    missing = http.post(f"{API}/runs/delete-tag", json={"run_id": run_id, "key": "k"})
    assert error(missing, 404, "RESOURCE_DOES_NOT_EXIST").startswith("No tag with name: k")
    nothing = http.get(f"{API}/runs/get", params={"run_id": "0" * 32})
    error(nothing, 404, "RESOURCE_DOES_NOT_EXIST")
    changed = http.post(
        f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "p", "value": "1"}
    )
    assert changed.status_code == 200
    body = {"run_id": run_id, "key": "p", "value": "2"}
    again = http.post(f"{API}/runs/log-parameter", json=body)
    assert "Changing param values is not allowed" in error(again, 400, "INVALID_PARAMETER_VALUE")


# --------------------------------------------------------------- logged models
def test_logged_model_seed_workflow_shapes(http: TestClient) -> None:
    run_id = create_run(http)["info"]["run_id"]
    model = create_model(
        http,
        source_run_id=run_id,
        params=[{"key": "C", "value": "1.0"}],
        tags=[{"key": "mlflow.user", "value": "root"}],
    )
    model_id = model["info"]["model_id"]
    assert model == {
        "info": {
            "model_id": model_id,
            "experiment_id": "0",
            "name": "model",
            "creation_timestamp_ms": model["info"]["creation_timestamp_ms"],
            "last_updated_timestamp_ms": model["info"]["creation_timestamp_ms"],
            "artifact_uri": f"mlflow-artifacts:/0/models/{model_id}/artifacts",
            "status": "LOGGED_MODEL_PENDING",
            "source_run_id": run_id,
            "tags": [{"key": "mlflow.user", "value": "root"}],
        },
        "data": {"params": [{"key": "C", "value": "1.0"}]},
    }
    assert ok(http.get(f"{API}/logged-models/{model_id}")) == {"model": model}
    ready = ok(
        http.patch(
            f"{API}/logged-models/{model_id}",
            json={"model_id": model_id, "status": "LOGGED_MODEL_READY"},
        )
    )
    assert ready["model"]["info"]["status"] == "LOGGED_MODEL_READY"
    failed = ok(http.patch(f"{API}/logged-models/{model_id}", json={"status": 3}))
    assert failed["model"]["info"]["status"] == "LOGGED_MODEL_UPLOAD_FAILED"
    registered = '[{"name": "churn", "version": "1"}]'
    tags = {"tags": [{"key": "mlflow.modelVersions", "value": registered}]}
    assert ok(http.patch(f"{API}/logged-models/{model_id}/tags", json=tags)) == {}
    params = {"model_id": model_id, "params": [{"key": "D", "value": "2"}]}
    assert ok(http.post(f"{API}/logged-models/{model_id}/params", json=params)) == {}
    deleted = http.delete(f"{API}/logged-models/{model_id}/tags/mlflow.user")
    assert ok(deleted) == {}
    info = ok(http.get(f"/ajax-api/2.0/mlflow/logged-models/{model_id}"))["model"]
    assert info["info"]["tags"] == [{"key": "mlflow.modelVersions", "value": registered}]
    assert info["data"]["params"] == [{"key": "C", "value": "1.0"}, {"key": "D", "value": "2"}]
    assert ok(http.delete(f"{API}/logged-models/{model_id}")) == {}
    gone = http.get(f"{API}/logged-models/{model_id}")
    message = error(gone, 404, "RESOURCE_DOES_NOT_EXIST")
    assert message == f"Logged model with ID '{model_id}' not found."


def test_search_logged_models_as_register_model_does(http: TestClient) -> None:
    run_id = create_run(http)["info"]["run_id"]
    first = create_model(http, source_run_id=run_id)["info"]["model_id"]
    create_model(http, name="other")
    body = {"experiment_ids": ["0"], "filter": "name = 'model'"}
    found = ok(http.post(f"{API}/logged-models/search", json=body))
    assert [m["info"]["model_id"] for m in found["models"]] == [first]
    ordered = ok(
        http.post(
            f"{API}/logged-models/search",
            json={
                "experiment_ids": ["0"],
                "order_by": [{"field_name": "name", "ascending": False}],
                "max_results": 1,
            },
        )
    )
    assert [m["info"]["name"] for m in ordered["models"]] == ["other"]
    assert ordered["next_page_token"]


def test_metric_datasets_and_model_inputs_on_the_wire(http: TestClient) -> None:
    run_id = create_run(http)["info"]["run_id"]
    model_id = create_model(http, source_run_id=run_id)["info"]["model_id"]
    on_eval = {"model_id": model_id, "dataset_name": "eval", "dataset_digest": "d1"}
    metric = {"run_id": run_id, "key": "acc", "value": 0.9, "timestamp": 1, **on_eval}
    ok(http.post(f"{API}/runs/log-metric", json=metric))
    batch = [{"key": "f1", "value": 0.5, "timestamp": 2, **on_eval}]
    ok(http.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": batch}))
    got = ok(http.get(f"{API}/logged-models/{model_id}"))["model"]["data"]["metrics"]
    assert [(m["key"], m["dataset_name"], m["dataset_digest"]) for m in got] == [
        ("acc", "eval", "d1"),
        ("f1", "eval", "d1"),
    ]
    search = {"experiment_ids": ["0"], "datasets": [{"dataset_name": "eval"}]}
    found = ok(http.post(f"{API}/logged-models/search", json=search))["models"]
    assert [m["info"]["model_id"] for m in found] == [model_id]
    search["datasets"] = [{"dataset_name": "eval", "dataset_digest": "other"}]
    assert ok(http.post(f"{API}/logged-models/search", json=search)) == {}
    search["datasets"] = [{"dataset_digest": "d1"}]
    refused = http.post(f"{API}/logged-models/search", json=search)
    assert error(refused, 400, "INVALID_PARAMETER_VALUE") == (
        "`dataset_name` in the `datasets` clause must be specified."
    )
    half = {"run_id": run_id, "key": "x", "value": 1, "timestamp": 1, "dataset_name": "eval"}
    assert error(
        http.post(f"{API}/runs/log-metric", json=half), 400, "INVALID_PARAMETER_VALUE"
    ) == ("Both dataset_name and dataset_digest must be provided if one is provided")

    inputs = {"run_id": run_id, "models": [{"model_id": model_id}]}
    ok(http.post(f"{API}/runs/log-inputs", json=inputs))
    run = ok(http.get(f"{API}/runs/get", params={"run_id": run_id}))["run"]
    assert run["inputs"] == {"model_inputs": [{"model_id": model_id}]}
    missing = {"run_id": run_id, "models": [{"model_id": "m-nope"}]}
    response = http.post(f"{API}/runs/log-inputs", json=missing)
    assert error(response, 404, "RESOURCE_DOES_NOT_EXIST") == (
        "Logged model with ID 'm-nope' not found."
    )


def test_artifact_lists_of_runs_and_logged_models(http: TestClient, settings: Settings) -> None:
    run = create_run(http)["info"]
    root = Path(settings.artifact_root) / "0" / run["run_id"] / "artifacts"
    (root / "model").mkdir(parents=True)
    (root / "model" / "MLmodel").write_bytes(b"abc")
    (root / "empty").mkdir()
    listed = ok(http.get(f"{API}/artifacts/list", params={"run_id": run["run_id"]}))
    assert listed == {
        "root_uri": run["artifact_uri"],
        "files": [{"path": "empty", "is_dir": True}, {"path": "model", "is_dir": True}],
    }
    query = {"run_uuid": run["run_id"], "path": "model", "page_token": "ignored"}
    listed = ok(http.get("/ajax-api/2.0/mlflow/artifacts/list", params=query))
    assert listed["files"] == [{"path": "model/MLmodel", "is_dir": False, "file_size": 3}]
    empty = ok(http.get(f"{API}/artifacts/list", params={"run_id": run["run_id"], "path": "empty"}))
    assert empty == {"root_uri": run["artifact_uri"]}
    for bad in ("../x", "/etc/passwd", "model%2F..%2F..%2Fx", "C:/x", "model\\..\\x"):
        response = http.get(f"{API}/artifacts/list", params={"run_id": run["run_id"], "path": bad})
        assert error(response, 400, "INVALID_PARAMETER_VALUE").startswith("Invalid path")
    missing = http.get(f"{API}/artifacts/list", params={"run_id": "0" * 32})
    assert error(missing, 404, "RESOURCE_DOES_NOT_EXIST") == f"Run with id={'0' * 32} not found"
    no_run = http.get(f"{API}/artifacts/list")
    assert error(no_run, 400, "INVALID_PARAMETER_VALUE") == (
        "Missing value for required parameter 'run_id'."
    )

    model = create_model(http)["info"]
    (Path(settings.artifact_root) / "0" / "models" / model["model_id"] / "artifacts").mkdir(
        parents=True
    )
    directories = f"{API}/logged-models/{model['model_id']}/artifacts/directories"
    assert ok(http.get(directories)) == {"root_uri": model["artifact_uri"]}
    bad = http.get(directories, params={"artifact_directory_path": "../../etc"})
    assert error(bad, 400, "INVALID_PARAMETER_VALUE").startswith("Invalid path")
    gone = http.get(f"{API}/logged-models/m-nope/artifacts/directories")
    assert error(gone, 404, "RESOURCE_DOES_NOT_EXIST") == "Logged model with ID 'm-nope' not found."


def test_metric_history_bulk_interval_on_the_wire(http: TestClient) -> None:
    runs = [create_run(http)["info"]["run_id"] for _ in range(2)]
    for run_id in runs:
        points = [{"key": "loss", "value": i, "timestamp": 10 + i, "step": i} for i in range(4)]
        ok(http.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": points}))
    url = f"{API}/metrics/get-history-bulk-interval"
    query: dict[str, Any] = {"run_ids": runs, "metric_key": "loss", "max_results": "2"}
    found = ok(http.get(url, params=query))
    assert found == {
        "metrics": [
            {"key": "loss", "value": value, "timestamp": 10 + step, "step": step, "run_id": run}
            for run in runs
            for value, step in ((0.0, 0), (3.0, 3))
        ]
    }
    ranged = ok(http.get(url, params={**query, "start_step": "1", "end_step": "2"}))
    assert [m["step"] for m in ranged["metrics"]] == [1, 2, 1, 2]
    assert ok(http.get(url, params={**query, "metric_key": "nope"})) == {}
    for params, message in (
        ({"metric_key": "loss"}, "Missing value for required parameter 'run_ids'."),
        ({"run_ids": runs}, "Missing value for required parameter 'metric_key'."),
        ({**query, "max_results": "2501"}, "max_results must be between 1 and 2500."),
        ({**query, "end_step": "1"}, "If either start step or end step are specified"),
        ({**query, "run_ids": [runs[0]] * 101}, "GetMetricHistoryBulkInterval request must"),
        ({**query, "max_results": "abc"}, "Invalid value \"abc\" for parameter 'max_results'"),
    ):
        assert error(http.get(url, params=params), 400, "INVALID_PARAMETER_VALUE").startswith(
            message
        ), params


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"metrics": [{"key": "a", "value": 1, "timestamp": 1}, {"key": "b", "value": 1}]},
            "Missing value for required parameter 'metrics[1].timestamp'.",
        ),
        (
            {"metrics": [{"key": "a", "timestamp": 1}]},
            "Missing value for required parameter 'metrics[0].value'.",
        ),
        (
            {"metrics": [{"value": 1, "timestamp": 1}]},
            "Missing value for required parameter 'metrics[0].key'.",
        ),
        (
            {"params": [{"key": "a", "value": "1"}, {"value": "2"}]},
            "Missing value for required parameter 'params[1].key'.",
        ),
        ({"tags": [{"key": ""}]}, "Missing value for required parameter 'tags[0].key'."),
        (
            {"metrics": [{"key": "a", "value": 1, "timestamp": -1}]},
            "Invalid value -1 for parameter 'metrics[0].timestamp' supplied: metric 'a' "
            "(value=1.0). Timestamp must be a nonnegative long (64-bit integer) ",
        ),
        (
            {"params": [{"key": "d", "value": "1"}, {"key": "d", "value": "2"}]},
            "Duplicate parameter keys have been submitted: ['d']. Please ensure the request "
            "contains only one param value per param key.",
        ),
        (
            {"tags": [{"key": f"t{i}", "value": "v"} for i in range(101)]},
            "A batch logging request can contain at most 100 tags. Got 101 tags. Please split "
            "up tags across multiple requests and try again.",
        ),
    ],
)
def test_log_batch_refusals_read_as_mlflows(
    http: TestClient, body: dict[str, Any], message: str
) -> None:
    run_id = create_run(http)["info"]["run_id"]
    response = http.post(f"{API}/runs/log-batch", json={"run_id": run_id, **body})
    assert error(response, 400, "INVALID_PARAMETER_VALUE") == message
    # Tags may repeat a key: the last value wins, as in MLflow.
    tags = [{"key": "t", "value": "1"}, {"key": "t", "value": "2"}]
    ok(http.post(f"{API}/runs/log-batch", json={"run_id": run_id, "tags": tags}))
    run = ok(http.get(f"{API}/runs/get", params={"run_id": run_id}))["run"]
    assert {"key": "t", "value": "2"} in run["data"]["tags"]


def test_search_runs_page_size_messages(http: TestClient) -> None:
    for value, message in (
        (50_001, "Invalid value 50001 for parameter 'max_results' supplied. It must be at most"),
        (0, "Invalid value 0 for parameter 'max_results' supplied. It must be a positive integer"),
    ):
        body = {"experiment_ids": ["0"], "max_results": value}
        response = http.post(f"{API}/runs/search", json=body)
        assert error(response, 400, "INVALID_PARAMETER_VALUE").startswith(message)


# ----------------------------------------------------------- hostile requests
@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("runs/create", {"start_time": 2**63}, "expected a 64-bit integer"),
        ("runs/create", {"start_time": 1.5}, "expected a 64-bit integer"),
        ("runs/create", {"experiment_id": 0}, "expected a string"),
        ("runs/create", {"tags": {"k": "v"}}, "expected an array"),
        ("runs/create", {"tags": ["k"]}, "array of {key, value} objects"),
        ("runs/update", {"run_id": "x", "status": ["RUNNING"]}, "one of RUNNING"),
        ("runs/log-metric", {"run_id": "x", "key": "k", "value": "1"}, "a number"),
        ("runs/log-metric", {"run_id": "x", "key": "k", "value": True}, "a number"),
        ("runs/log-metric", {"run_id": "x", "key": "k"}, "Missing value for required"),
        ("runs/log-batch", {"run_id": "x", "metrics": [{"key": "k", "value": 1}]}, "timestamp"),
        ("runs/log-batch", {"run_id": "x", "metrics": [None]}, "metric objects"),
        ("runs/log-batch", {"run_id": "x", "params": [{"key": 5, "value": "1"}]}, "a string"),
        ("runs/log-inputs", {"run_id": "x", "datasets": [{"dataset": "d"}]}, "an object"),
        ("runs/outputs", {"run_id": "x"}, "Missing value for required parameter 'models'"),
        ("runs/outputs", {"run_id": "x", "models": [{"step": 1}]}, "'models[0].model_id'"),
        ("logged-models/search", {"experiment_ids": [0]}, "experiment ID strings"),
        ("logged-models/search", {"order_by": ["name"]}, "field_name, ascending"),
        ("experiments/create", {"name": ["x"]}, "expected a string"),
        ("experiments/search", {"max_results": "99999999999999999999"}, "64-bit integer"),
    ],
)
def test_wrong_types_are_400(http: TestClient, path: str, body: Any, message: str) -> None:
    response = http.post(f"{API}/{path}", json=body)
    assert message in error(response, 400, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 5000 + b"]" * 5000,  # deep nesting
        b'{"start_time": 1e999}',  # a number no double can hold
        b'{"start_time": 123456789012345678901234567890}',
        b'{"tags": [{"key": "k", "value": NaN}]}',
        b"\xff\xfe",
    ],
)
def test_hostile_json_is_400(http: TestClient, raw: bytes) -> None:
    response = http.post(
        f"{API}/runs/create", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
