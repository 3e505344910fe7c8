"""The route table's declarations: which calls write, and where each is served."""

from __future__ import annotations

from typing import Any

from modelreg.server.app import ModelregApp, endpoints
from modelreg.server.routing import Endpoint

TABLE = endpoints()
BY_ID = {e.operation_id: e for e in TABLE}


def test_reads_never_take_a_write_lane() -> None:
    reads = [e for e in TABLE if e.method == "GET" or e.bounded_read or e.pure_read]
    assert reads
    assert [e.operation_id for e in reads if e.writes] == []


def test_searches_sent_as_post_and_webhook_tests_are_not_writes() -> None:
    # A webhook test waits on the receiver for seconds: in a write lane it would hold
    # up every write of its worker.
    for operation in (
        "searchExperiments",
        "searchRuns",
        "searchLoggedModels",
        "testWebhook",
        "modelregTestWebhook",
        "testRegistryWebhook",
    ):
        assert BY_ID[operation].method == "POST"
        assert BY_ID[operation].writes is False, operation


def test_posts_patches_and_deletes_write_unless_they_say_otherwise() -> None:
    for operation in (
        "createModelVersion",
        "transitionModelVersionStage",
        "setModelVersionTag",
        "updateRegisteredModel",
        "deleteModelVersion",
        "logBatch",
    ):
        assert BY_ID[operation].writes is True, operation
    assert Endpoint("POST", ("/x",), "x", "x", {}, handler=lambda call: {}).writes is True
    assert Endpoint("GET", ("/x",), "x", "x", {}, handler=lambda call: {}).writes is False
    declared = Endpoint("POST", ("/x",), "x", "x", {}, handler=lambda call: {}, writes=False)
    assert declared.writes is False


def test_on_sqlite_writes_run_in_a_serial_lane(app: ModelregApp) -> None:
    table: dict[str, dict[str, Any]] = app.router.table
    calls = {
        (method, path): call
        for path, by_method in table.items()
        for method, call in by_method.items()
        if path.startswith("/api/2.0/mlflow/")
    }
    create = calls[("POST", "/api/2.0/mlflow/model-versions/create")]
    get = calls[("GET", "/api/2.0/mlflow/model-versions/get")]
    search = calls[("POST", "/api/2.0/mlflow/runs/search")]
    assert create.serial and not create.inline
    assert not get.serial and get.inline
    assert not search.serial
