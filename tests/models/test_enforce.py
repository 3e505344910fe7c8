"""Predict-time signature enforcement, the way MLflow's pyfunc enforces it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelreg.errors import InvalidArgument
from modelreg.models.enforce import enforce_input, enforce_params
from modelreg.models.schema import (
    Array,
    ColSpec,
    DataType,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
)

COLUMNS = Schema(
    [
        ColSpec(DataType.double, "tenure"),
        ColSpec(DataType.long, "plan"),
        ColSpec(DataType.string, "name", required=False),
    ]
)


def test_columns_are_reordered_and_extras_dropped(caplog: pytest.LogCaptureFixture) -> None:
    df = pd.DataFrame({"extra": [0], "plan": [1], "name": ["a"], "tenure": [2.0]})
    out = enforce_input(df, COLUMNS)
    assert list(out.columns) == ["tenure", "plan", "name"]
    assert "extra" in caplog.text


def test_missing_required_columns_are_named() -> None:
    df = pd.DataFrame({"name": ["a"], "other": [1]})
    with pytest.raises(InvalidArgument, match=r"missing inputs \['tenure', 'plan'\].*'other'"):
        enforce_input(df, COLUMNS)


def test_optional_columns_may_be_absent() -> None:
    out = enforce_input(pd.DataFrame({"tenure": [1.0], "plan": [2]}), COLUMNS)
    assert list(out.columns) == ["tenure", "plan"]


def test_safe_casts_and_refused_casts() -> None:
    df = pd.DataFrame({"tenure": np.array([1, 2], dtype=np.int32), "plan": [1, 2]})
    out = enforce_input(df, COLUMNS)
    assert out["tenure"].dtype == np.float64  # int -> double is safe
    with pytest.raises(InvalidArgument, match="'plan'.*float64 to int64"):
        enforce_input(pd.DataFrame({"tenure": [1.0], "plan": [1.5]}), COLUMNS)


def test_missing_values_in_int_columns_get_a_hint() -> None:
    with pytest.raises(InvalidArgument, match="Hint"):
        enforce_input(pd.DataFrame({"tenure": [1.0, 2.0], "plan": [1, None]}), COLUMNS)


def test_dicts_and_lists_become_dataframes() -> None:
    out = enforce_input({"tenure": 1.0, "plan": 2}, COLUMNS)
    assert out.to_dict("records") == [{"tenure": 1.0, "plan": 2}]
    unnamed = Schema([ColSpec(DataType.double), ColSpec(DataType.double)])
    assert enforce_input([[1.0, 2.0]], unnamed).shape == (1, 2)
    with pytest.raises(InvalidArgument, match="declares 2 unnamed inputs"):
        enforce_input([[1.0]], unnamed)


def test_complex_columns_pass_through() -> None:
    schema = Schema([ColSpec(Array(DataType.long), "x"), ColSpec(DataType.string, "y")])
    out = enforce_input({"x": [1, 2], "y": "s"}, schema)
    assert out["x"][0] == [1, 2]


def test_non_tabular_input_for_column_schema_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="column-based"):
        enforce_input(object(), COLUMNS)


TENSOR = Schema([TensorSpec("float64", (-1, 2))])


def test_tensor_shape_and_dtype() -> None:
    data = np.zeros((3, 2))
    assert enforce_input(data, TENSOR) is data
    with pytest.raises(InvalidArgument, match="Shape of input"):
        enforce_input(np.zeros((3, 3)), TENSOR)
    with pytest.raises(InvalidArgument, match="dtype of input int64"):
        enforce_input(np.zeros((3, 2), dtype=np.int64), TENSOR)
    with pytest.raises(InvalidArgument, match="numpy array"):
        enforce_input([[1.0, 2.0]], TENSOR)


def test_dataframe_for_tensor_schema() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    np.testing.assert_array_equal(enforce_input(df, TENSOR), df.to_numpy())
    single = Schema([TensorSpec("float64", (-1,))])
    np.testing.assert_array_equal(enforce_input(df[["a"]], single), [1.0, 2.0])
    with pytest.raises(InvalidArgument, match=r"\(-1, 3\)"):
        enforce_input(df.assign(c=1.0), TENSOR)


def test_named_tensors() -> None:
    schema = Schema([TensorSpec("float64", (-1,), "a"), TensorSpec("int64", (-1, 2), "b")])
    out = enforce_input({"a": np.array([1.0]), "b": np.array([[1, 2]])}, schema)
    assert set(out) == {"a", "b"}
    with pytest.raises(InvalidArgument, match=r"missing inputs \['b'\]"):
        enforce_input({"a": np.array([1.0])}, schema)
    lists = pd.DataFrame({"a": [1.0, 2.0], "b": [[1, 2], [3, 4]]})
    out = enforce_input(lists, schema)
    assert out["b"].shape == (2, 2)


def test_string_tensors_ignore_item_size() -> None:
    schema = Schema([TensorSpec("str", (-1,))])
    enforce_input(np.array(["a", "bbb"]), schema)


def test_params() -> None:
    schema = ParamSchema(
        [
            ParamSpec("alpha", DataType.double, 0.5),
            ParamSpec("n", DataType.long, 3),
            ParamSpec("names", DataType.string, ["a"], (-1,)),
        ]
    )
    assert enforce_params(None, schema) == {"alpha": 0.5, "n": 3, "names": ["a"]}
    out = enforce_params({"alpha": 1, "names": ["x", "y"]}, schema)
    assert out == {"alpha": 1.0, "n": 3, "names": ["x", "y"]}
    assert isinstance(out["alpha"], float)
    with pytest.raises(InvalidArgument, match="n: cannot safely convert"):
        enforce_params({"n": 1.5}, schema)


def test_params_without_schema_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    assert enforce_params({"k": 1}, None) == {}
    assert "declares no params" in caplog.text
    assert enforce_params(None, None) is None


def test_unknown_params_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    schema = ParamSchema([ParamSpec("alpha", DataType.double, 0.5)])
    assert enforce_params({"alpha": 0.1, "beta": 2}, schema) == {"alpha": 0.1}
    assert "beta" in caplog.text
