"""search_runs, search_logged_models and search_experiments in SQL."""

from __future__ import annotations

import pytest

from modelreg.errors import InvalidArgument
from modelreg.service.tracking import TrackingService
from modelreg.tracking_entities import Dataset, DatasetInput


@pytest.fixture
def runs(tracking: TrackingService) -> list[str]:
    ids = []
    for i, (acc, c) in enumerate([(0.7, "0.1"), (0.9, "1.0"), (0.8, "10")]):
        run_id = tracking.create_run("0", start_time=1000 + i, run_name=f"run-{i}").info.run_id
        tracking.log_metric(run_id, "acc", acc, timestamp=1, step=0)
        tracking.log_param(run_id, "C", c)
        tracking.set_tag(run_id, "team", "growth" if i < 2 else "risk")
        ids.append(run_id)
    dataset = Dataset(name="train", digest="d1", source_type="local", source="{}")
    tracking.log_inputs(ids[0], [DatasetInput(dataset, {"mlflow.data.context": "training"})])
    tracking.update_run(ids[2], status="FINISHED")
    return ids


def _search(tracking: TrackingService, text: str = "", **kw: object) -> list[str]:
    found = tracking.search_runs(["0"], text, **kw)  # type: ignore[arg-type]
    return [r.info.run_name for r in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["run-2", "run-1", "run-0"]),
        ("metrics.acc > 0.75", ["run-2", "run-1"]),
        ("metrics.acc >= 0.9", ["run-1"]),
        ("params.C = '10'", ["run-2"]),
        ("params.C LIKE '1%'", ["run-2", "run-1"]),
        ("tags.team = 'growth'", ["run-1", "run-0"]),
        ("attributes.status = 'FINISHED'", ["run-2"]),
        ("run_name ILIKE 'RUN-0'", ["run-0"]),
        ("datasets.name = 'train'", ["run-0"]),
        ("datasets.context = 'training'", ["run-0"]),
        ("datasets.context IN ('eval', 'training')", ["run-0"]),
        ("attributes.start_time >= 1001 AND metrics.acc < 0.85", ["run-2"]),
        # modelreg's extension: OR and parentheses, AND binding tighter.
        ("metrics.acc > 0.85 OR params.C = '10'", ["run-2", "run-1"]),
        ("datasets.name = 'train' OR status = 'FINISHED'", ["run-2", "run-0"]),
        ("tags.team = 'growth' AND (metrics.acc < 0.8 OR params.C = '1.0')", ["run-1", "run-0"]),
        ("(tags.team = 'risk' OR metrics.acc >= 0.9) AND params.C LIKE '1%'", ["run-2", "run-1"]),
        ("run_name = 'run-0' OR tags.team = 'risk' AND metrics.acc > 0.9", ["run-0"]),
        (
            "(params.C = '0.1' OR params.C = '10') AND "
            "(tags.team = 'risk' OR datasets.digest = 'd1')",
            ["run-2", "run-0"],
        ),
    ],
)
def test_run_filters(
    tracking: TrackingService, runs: list[str], text: str, expected: list[str]
) -> None:
    assert _search(tracking, text) == expected


def test_run_ordering_and_paging(tracking: TrackingService, runs: list[str]) -> None:
    assert _search(tracking, order_by=["metrics.acc DESC"]) == ["run-1", "run-2", "run-0"]
    assert _search(tracking, order_by=["params.C ASC"]) == ["run-0", "run-1", "run-2"]
    assert _search(tracking, order_by=["attributes.start_time ASC"]) == ["run-0", "run-1", "run-2"]
    first = tracking.search_runs(["0"], max_results=2)
    token = first.token
    assert token is not None
    rest = tracking.search_runs(["0"], max_results=2, page_token=token)
    last = rest.token
    assert ([r.info.run_name for r in [*first, *rest]], last) == (["run-2", "run-1", "run-0"], None)


def test_deleted_runs_follow_the_view_type(tracking: TrackingService, runs: list[str]) -> None:
    tracking.delete_run(runs[0])
    assert _search(tracking) == ["run-2", "run-1"]
    assert _search(tracking, run_view_type="DELETED_ONLY") == ["run-0"]
    assert len(_search(tracking, run_view_type="ALL")) == 3
    with pytest.raises(InvalidArgument, match="view type"):
        _search(tracking, run_view_type="SOME")


def test_bad_run_filter_is_explained(tracking: TrackingService) -> None:
    with pytest.raises(InvalidArgument, match="end of filter"):
        _search(tracking, "metrics.a > 1 OR")


def test_search_logged_models(tracking: TrackingService, runs: list[str]) -> None:
    first = tracking.create_logged_model("0", "model", runs[0], params={"C": "1"})
    tracking.create_logged_model("0", "other", runs[1], tags={"k": "v"})
    found = tracking.search_logged_models(["0"], "name = 'model'")
    assert [m.model_id for m in found] == [first.model_id]
    found = tracking.search_logged_models(["0"], f"source_run_id = '{runs[1]}'")
    assert [m.name for m in found] == ["other"]
    found = tracking.search_logged_models(["0"], "params.C = '1'")
    assert [m.name for m in found] == ["model"]
    found = tracking.search_logged_models(["0"], "params.C = '1' OR tags.k = 'v'")
    assert sorted(m.name for m in found) == ["model", "other"]
    found = tracking.search_logged_models(
        ["0"], "(params.C = '1' OR tags.k = 'v') AND name != 'model'"
    )
    assert [m.name for m in found] == ["other"]
    ordered = tracking.search_logged_models(
        ["0"], order_by=[{"field_name": "name", "ascending": False}]
    )
    assert [m.name for m in ordered] == ["other", "model"]
    with pytest.raises(InvalidArgument, match="order_by"):
        tracking.search_logged_models(["0"], order_by=[{"field_name": "nope"}])


def test_search_experiments(tracking: TrackingService) -> None:
    tracking.create_experiment("churn-a", tags={"team": "growth"})
    tracking.create_experiment("churn-b")
    found = tracking.search_experiments(filter_string="name LIKE 'churn%'")
    assert sorted(e.name for e in found) == ["churn-a", "churn-b"]
    found = tracking.search_experiments(filter_string="tags.team = 'growth'")
    assert [e.name for e in found] == ["churn-a"]
    found = tracking.search_experiments(filter_string="tags.team = 'growth' OR name = 'Default'")
    assert sorted(e.name for e in found) == ["Default", "churn-a"]
    everything = tracking.search_experiments()
    assert {e.name for e in everything} == {"Default", "churn-a", "churn-b"}


def test_search_experiments_orders_as_mlflow(tracking: TrackingService) -> None:
    for name in ("b", "c", "a"):
        tracking.create_experiment(name)  # the fake clock: each one is newer
    tracking.rename_experiment("2", "c2")  # c2 is now the last updated

    def names(**kw: object) -> list[str]:
        found = tracking.search_experiments(filter_string="name != 'Default'", **kw)  # type: ignore[arg-type]
        return [e.name for e in found]

    # No order_by: MLflow's creation_time DESC, experiment_id ASC.
    assert names() == ["a", "c2", "b"]
    assert names(order_by=["last_update_time DESC"]) == ["c2", "a", "b"]
    assert names(order_by=["creation_time"]) == ["b", "c2", "a"]
    by_name = tracking.search_experiments(order_by=["name DESC"], max_results=3)
    assert [e.name for e in by_name] == ["c2", "b", "a"]
    rest = tracking.search_experiments(
        order_by=["name DESC"], max_results=3, page_token=by_name.token
    )
    assert [e.name for e in rest] == ["Default"] and rest.token is None


def test_logged_models_on_datasets_with_or_groups(tracking: TrackingService) -> None:
    """The datasets filter's SQL (metric sets limited to the datasets, combined per
    AND/OR group) on every backend."""
    run_id = tracking.create_run("0").info.run_id
    on_eval, on_test, bare = (tracking.create_logged_model("0", n, run_id) for n in "etb")
    for model, acc, dataset in [
        (on_eval, 0.9, ("eval", "d1")),
        (on_test, 0.6, ("test", "d2")),
        (on_test, 0.95, ("eval", "d9")),
        (bare, 0.99, (None, None)),
    ]:
        name, digest = dataset
        tracking.log_metric(
            run_id, "acc", acc, 1, 0, model.model_id, dataset_name=name, dataset_digest=digest
        )

    def names(text: str, *datasets: dict[str, str]) -> list[str]:
        found = tracking.search_logged_models(
            ["0"], text, order_by=[{"field_name": "name"}], datasets=list(datasets)
        )
        return [m.name for m in found]

    eval_any, eval_d1 = {"dataset_name": "eval"}, {"dataset_name": "eval", "dataset_digest": "d1"}
    assert names("metrics.acc > 0.9 OR metrics.acc < 0.7", {"dataset_name": "test"}) == ["t"]
    assert names("metrics.acc > 0.9 OR metrics.acc < 0.7", eval_any) == ["t"]
    assert names("metrics.acc > 0.9 OR metrics.acc < 0.7", eval_d1) == []
    assert names("metrics.acc > 0.9 OR metrics.acc < 0.7") == ["b", "t"]
    assert names("metrics.acc < 0.7 OR name = 'b'", eval_any) == []
    assert names("name = 'e' OR name = 'b'", eval_d1) == ["e"]
    assert names("(metrics.acc >= 0.9 AND name != 't') OR metrics.acc < 0.7", eval_any) == ["e"]
