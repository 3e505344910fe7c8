"""Input example files: exactly what MLflow 3.17.2 writes for the same examples."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csc_matrix

from modelreg.errors import InvalidArgument
from modelreg.models.input_example import build_example, save_example

INFO = {"artifact_path": "input_example.json", "serving_input_path": "serving_input_example.json"}

# example -> (extra info, input_example.json, serving_input_example.json as compact JSON)
CASES: dict[str, tuple[Callable[[], Any], dict[str, str], str, Any]] = {
    "ndarray_with_nan": (
        lambda: np.array([[1.0, np.nan], [3.0, 4.0]]),
        {"type": "ndarray"},
        "[[1.0, null], [3.0, 4.0]]",
        {"inputs": [[1.0, None], [3.0, 4.0]]},
    ),
    "ndarray_int": (
        lambda: np.array([1, 2]),
        {"type": "ndarray"},
        "[1, 2]",
        {"inputs": [1, 2]},
    ),
    "dict_of_ndarrays": (
        lambda: {"a": np.array([1.0, 2.0]), "b": np.array([[1, 2]])},
        {"type": "ndarray"},
        '{"a": [1.0, 2.0], "b": [[1, 2]]}',
        {"inputs": {"a": [1.0, 2.0], "b": [[1, 2]]}},
    ),
    "dataframe": (
        lambda: pd.DataFrame({"tenure": [1.0, 2.5], "plan": [1, 2], "name": ["a", "b"]}),
        {"type": "dataframe", "pandas_orient": "split"},
        '{"columns": ["tenure", "plan", "name"], "data": [[1.0, 1, "a"], [2.5, 2, "b"]]}',
        {
            "dataframe_split": {
                "columns": ["tenure", "plan", "name"],
                "data": [[1.0, 1, "a"], [2.5, 2, "b"]],
            }
        },
    ),
    "dataframe_default_columns": (
        lambda: pd.DataFrame([[1, 2], [3, 4]]),
        {"type": "dataframe", "pandas_orient": "values"},
        '{"data": [[1, 2], [3, 4]]}',
        {"dataframe_split": {"data": [[1, 2], [3, 4]]}},
    ),
    "dataframe_datetime": (
        lambda: pd.DataFrame({"t": pd.to_datetime(["2024-01-01"])}),
        {"type": "dataframe", "pandas_orient": "split"},
        '{"columns": ["t"], "data": [["2024-01-01T00:00:00"]]}',
        {"dataframe_split": {"columns": ["t"], "data": [["2024-01-01T00:00:00"]]}},
    ),
    "list": (lambda: ["a", "b"], {"type": "json_object"}, '["a", "b"]', {"inputs": ["a", "b"]}),
    "list_of_dicts": (
        lambda: [{"a": 1}, {"a": 2}],
        {"type": "json_object"},
        '[{"a": 1}, {"a": 2}]',
        {"inputs": [{"a": 1}, {"a": 2}]},
    ),
    "dict": (
        lambda: {"x": [1, 2], "y": "s"},
        {"type": "json_object"},
        '{"x": [1, 2], "y": "s"}',
        {"inputs": {"x": [1, 2], "y": "s"}},
    ),
    "scalar": (lambda: 3.5, {"type": "json_object"}, "3.5", {"inputs": 3.5}),
    "bytes_in_dict": (
        lambda: {"b": b"xyz"},
        {"type": "json_object"},
        '{"b": "eHl6\\n"}',
        {"inputs": {"b": "eHl6\n"}},
    ),
    "with_params": (
        lambda: (np.array([[1.0]]), {"alpha": 0.5}),
        {"type": "ndarray", "params": "true"},
        '{"inputs": [[1.0]], "params": {"alpha": 0.5}}',
        {"inputs": [[1.0]], "params": {"alpha": 0.5}},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_example_files_match_mlflow(case: str) -> None:
    build, info, example_json, serving = CASES[case]
    example = build_example(build())
    assert example.info == {**INFO, **info}
    assert example.example_json == example_json
    assert json.loads(example.serving_json) == serving
    # The serving file is indented by 2, like MLflow's.
    assert example.serving_json == json.dumps(serving, indent=2)


def test_mlflow_serving_text_for_an_array() -> None:
    example = build_example(np.array([[0.0, 1.0], [1.0, 0.0]]))
    assert example.serving_json == (
        '{\n  "inputs": [\n    [\n      0.0,\n      1.0\n    ],\n'
        "    [\n      1.0,\n      0.0\n    ]\n  ]\n}"
    )


def test_sparse_matrix_example() -> None:
    example = build_example(csc_matrix(np.array([[1.0, 0.0], [0.0, 2.0]])))
    assert example.info["type"] == "sparse_matrix_csc"
    assert json.loads(example.example_json) == {
        "data": [1.0, 2.0],
        "indices": [0, 1],
        "indptr": [0, 1, 2],
        "shape": [2, 2],
    }
    assert json.loads(example.serving_json) == {"inputs": [[1.0, 0.0], [0.0, 2.0]]}


def test_numpy_scalars_and_dates_are_encoded() -> None:
    example = build_example({"n": np.int64(3), "d": dt.date(2024, 1, 2)})
    assert example.example_json == '{"n": 3, "d": "2024-01-02"}'


def test_save_writes_both_files(tmp_path: Path) -> None:
    example = save_example(tmp_path, [1, 2])
    assert example is not None
    assert (tmp_path / "input_example.json").read_text() == "[1, 2]"
    assert json.loads((tmp_path / "serving_input_example.json").read_text()) == {"inputs": [1, 2]}
    assert save_example(tmp_path / "none", None) is None


def test_the_caller_object_is_not_touched() -> None:
    data = {"x": [1, 2]}
    example = build_example(data)
    example.data["x"].append(3)
    assert data == {"x": [1, 2]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"a": np.array([1]), "b": 2}, "only numpy arrays"),
        ([np.array([1])], "inside a list"),
        (object(), "got object"),
    ],
)
def test_unsupported_examples(value: Any, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        build_example(value)
