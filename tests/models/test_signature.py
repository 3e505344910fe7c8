"""Signature inference gives exactly the JSON strings MLflow 3.17.2 writes for the same data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_matrix

from modelreg.errors import InvalidArgument
from modelreg.models.example_signature import infer_signature_from_example
from modelreg.models.input_example import build_example
from modelreg.models.schema import AnyType, ColSpec, DataType, Schema, TensorSpec
from modelreg.models.signature import (
    ModelSignature,
    infer_param_schema,
    infer_schema,
    infer_signature,
)

# (input, output) -> (inputs JSON, outputs JSON), from mlflow.models.infer_signature
# (mlflow 3.17.2, numpy 2.4, pandas 3.1).
CASES: dict[str, tuple[Callable[[], tuple[Any, Any]], str, str | None]] = {
    "ndarray": (
        lambda: (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0, 1])),
        '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}]',
        '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
    ),
    "ndarray_3d_float32": (
        lambda: (np.zeros((2, 3, 4), dtype=np.float32), np.array([0.5, 1.5])),
        '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3, 4]}}]',
        '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]',
    ),
    "ndarray_str": (
        lambda: (np.array(["a", "bb"]), np.array([True, False])),
        '[{"type": "tensor", "tensor-spec": {"dtype": "str", "shape": [-1]}}]',
        '[{"type": "tensor", "tensor-spec": {"dtype": "bool", "shape": [-1]}}]',
    ),
    "ndarray_int32": (
        lambda: (np.array([[1, 2]], dtype=np.int32), np.array([[1.0]], dtype=np.float32)),
        '[{"type": "tensor", "tensor-spec": {"dtype": "int32", "shape": [-1, 2]}}]',
        '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]',
    ),
    "dataframe": (
        lambda: (
            pd.DataFrame(
                {
                    "tenure": [1.0, 2.0],
                    "plan": [1, 2],
                    "name": ["a", "b"],
                    "flag": [True, False],
                    "opt": [1.5, None],
                }
            ),
            pd.Series([0, 1]),
        ),
        '[{"type": "double", "name": "tenure", "required": true}, '
        '{"type": "long", "name": "plan", "required": true}, '
        '{"type": "string", "name": "name", "required": true}, '
        '{"type": "boolean", "name": "flag", "required": true}, '
        '{"type": "double", "name": "opt", "required": false}]',
        '[{"type": "long", "required": true}]',
    ),
    "dataframe_narrow_types": (
        lambda: (
            pd.DataFrame(
                {
                    "a": np.array([1, 2], dtype=np.int32),
                    "b": np.array([1, 2], dtype=np.uint8),
                    "c": np.array([1.0, 2.0], dtype=np.float32),
                }
            ),
            np.array([0, 1]),
        ),
        '[{"type": "integer", "name": "a", "required": true}, '
        '{"type": "integer", "name": "b", "required": true}, '
        '{"type": "float", "name": "c", "required": true}]',
        '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
    ),
    "dataframe_datetime": (
        lambda: (pd.DataFrame({"t": pd.to_datetime(["2024-01-01", "2024-01-02"])}), None),
        '[{"type": "datetime", "name": "t", "required": true}]',
        None,
    ),
    "dataframe_bytes": (
        lambda: (pd.DataFrame({"b": [b"x", b"y"]}), None),
        '[{"type": "binary", "name": "b", "required": true}]',
        None,
    ),
    "dataframe_lists": (
        lambda: (pd.DataFrame({"l": [[1, 2], [3]]}), None),
        '[{"type": "array", "items": {"type": "long"}, "name": "l", "required": true}]',
        None,
    ),
    "series_named": (
        lambda: (pd.Series([1.0, 2.0], name="x"), None),
        '[{"type": "double", "name": "x", "required": true}]',
        None,
    ),
    "list_of_strings": (
        lambda: (["a", "b"], ["c"]),
        '[{"type": "string", "required": true}]',
        '[{"type": "string", "required": true}]',
    ),
    "list_of_floats": (lambda: ([1.0, 2.0], None), '[{"type": "double", "required": true}]', None),
    "list_of_dicts": (
        lambda: ([{"a": 1, "b": "x"}, {"a": 2, "c": [1.0]}], None),
        '[{"type": "long", "name": "a", "required": true}, '
        '{"type": "string", "name": "b", "required": false}, '
        '{"type": "array", "items": {"type": "double"}, "name": "c", "required": false}]',
        None,
    ),
    "list_of_dicts_with_none": (
        lambda: ([{"a": 1, "b": None}, {"a": 2, "b": "y"}], None),
        '[{"type": "long", "name": "a", "required": true}, '
        '{"type": "string", "name": "b", "required": false}]',
        None,
    ),
    "dict_of_json": (
        lambda: ({"x": [1, 2], "y": "s", "z": {"k": 1.0, "j": None}, "n": None}, None),
        '[{"type": "array", "items": {"type": "long"}, "name": "x", "required": true}, '
        '{"type": "string", "name": "y", "required": true}, '
        '{"type": "object", "properties": {"j": {"type": "any", "required": false}, '
        '"k": {"type": "double", "required": true}}, "name": "z", "required": true}, '
        '{"type": "any", "name": "n", "required": false}]',
        None,
    ),
    "dict_of_ndarrays": (
        lambda: ({"a": np.array([1.0, 2.0]), "b": np.array([[1, 2]])}, None),
        '[{"name": "a", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}, '
        '{"name": "b", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1, 2]}}]',
        None,
    ),
    "scalar_string": (lambda: ("hello", None), '[{"type": "string", "required": true}]', None),
    "scalar_int": (lambda: (3, None), '[{"type": "long", "required": true}]', None),
    "empty_list": (lambda: ([], None), '[{"type": "string", "required": true}]', None),
    "nested_list": (
        lambda: ([[1, 2], [3]], None),
        '[{"type": "array", "items": {"type": "long"}, "required": true}]',
        None,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_infer_signature_matches_mlflow(case: str) -> None:
    build, expected_inputs, expected_outputs = CASES[case]
    model_input, model_output = build()
    signature = infer_signature(model_input, model_output)
    assert signature.to_dict() == {
        "inputs": expected_inputs,
        "outputs": expected_outputs,
        "params": None,
    }


def test_infer_params_matches_mlflow() -> None:
    params = {"alpha": 0.5, "n": 3, "names": ["a", "b"], "flag": True, "s": "x"}
    signature = infer_signature(np.array([[1.0]]), params=params)
    assert signature.to_dict()["params"] == (
        '[{"name": "alpha", "default": 0.5, "shape": null, "type": "double"}, '
        '{"name": "n", "default": 3, "shape": null, "type": "long"}, '
        '{"name": "names", "default": ["a", "b"], "shape": [-1], "type": "string"}, '
        '{"name": "flag", "default": true, "shape": null, "type": "boolean"}, '
        '{"name": "s", "default": "x", "shape": null, "type": "string"}]'
    )


def test_sparse_matrix_is_a_tensor() -> None:
    schema = infer_schema(csr_matrix(np.eye(3)))
    assert schema == Schema([TensorSpec("float64", (-1, 3))])


def test_uninferable_part_becomes_any(caplog: pytest.LogCaptureFixture) -> None:
    signature = infer_signature(object(), np.array([1]))
    assert signature.inputs == Schema([ColSpec(AnyType())])
    assert "Failed to infer schema for inputs" in caplog.text


def test_mixed_list_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="same type"):
        infer_schema([1, "a"])


def test_invalid_params_raise() -> None:
    with pytest.raises(InvalidArgument, match="bad"):
        infer_param_schema({"bad": [[1, 2]]})


def test_signature_dict_round_trip() -> None:
    signature = infer_signature(
        pd.DataFrame({"a": [1.0], "b": ["x"]}), np.array([1]), params={"k": 2}
    )
    again = ModelSignature.from_dict(signature.to_dict())
    assert again == signature
    assert again.to_dict() == signature.to_dict()


def test_empty_signature_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        ModelSignature()


def test_signature_from_example_runs_predict() -> None:
    example = build_example(pd.DataFrame({"a": [1.0, 2.0], "b": [3, 4]}))
    seen: list[Any] = []

    def predict(data: Any, params: dict[str, Any] | None) -> Any:
        seen.append(data)
        return np.array([0, 1])

    signature = infer_signature_from_example(example, predict)
    assert signature is not None
    assert isinstance(seen[0], pd.DataFrame)
    # A 1-D prediction for table input is one unnamed column, as in MLflow.
    assert signature.outputs == Schema([ColSpec(DataType.long)])


def test_signature_from_example_failure_is_only_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(data: Any, params: dict[str, Any] | None) -> Any:
        raise ValueError("boom")

    assert infer_signature_from_example(build_example(np.array([[1.0]])), broken) is None
    assert "boom" in caplog.text
