"""Input examples: ``input_example.json`` and ``serving_input_example.json``.

Both files, and the ``saved_input_example_info`` entry of MLmodel, follow
MLflow's ``mlflow.models.utils._Example`` so that MLflow can read the example
back (``Model.load_input_example``) and its scoring server accepts the serving
example as a request body:

=========================  ===============================  ===========================
example                    input_example.json               serving_input_example.json
=========================  ===============================  ===========================
numpy array                nested lists (NaN -> null)       ``{"inputs": ...}``
dict of numpy arrays       ``{name: nested lists}``         ``{"inputs": {...}}``
DataFrame                  ``{"columns": .., "data": ..}``  ``{"dataframe_split": ...}``
list / dict / scalar       the JSON value                   ``{"inputs": ...}``
csr / csc matrix           ``{data, indices, indptr,        ``{"inputs": dense lists}``
                           shape}``
``(data, params)`` tuple   ``{"inputs": .., "params": ..}``  plus ``"params": {...}``
=========================  ===============================  ===========================

The serving file is indented by 2, the example file is compact: that is what
MLflow writes.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.models import _lazy
from modelreg.models.signature import infer_param_schema

EXAMPLE_FILE_NAME = "input_example.json"
SERVING_EXAMPLE_FILE_NAME = "serving_input_example.json"


@dataclass(frozen=True)
class SavedExample:
    """An input example ready to write, plus the data predict() can be tried on."""

    info: dict[str, str]  # becomes MLmodel's saved_input_example_info
    data: Any
    params: dict[str, Any] | None
    example_json: str
    serving_json: str

    def save(self, model_dir: Path) -> None:
        (model_dir / EXAMPLE_FILE_NAME).write_text(self.example_json, encoding="utf-8")
        (model_dir / SERVING_EXAMPLE_FILE_NAME).write_text(self.serving_json, encoding="utf-8")


def build_example(input_example: Any) -> SavedExample:
    """Convert a user's example into MLflow's stored forms (nothing is written yet)."""
    data, params = _split_params(input_example)
    info: dict[str, str] = {"artifact_path": EXAMPLE_FILE_NAME}
    if params is not None:
        info["params"] = "true"
    stored: Any
    serving: dict[str, Any]
    if isinstance(data, dict) and any(_lazy.is_ndarray(v) for v in data.values()):
        if not all(_lazy.is_ndarray(v) for v in data.values()):
            raise InvalidArgument(
                "An input example dict must hold only numpy arrays or no numpy arrays at all"
            )
        stored = {name: _array_to_lists(value) for name, value in data.items()}
        info["type"] = "ndarray"
        serving = {"inputs": stored}
    elif isinstance(data, dict):
        stored = data
        info["type"] = "json_object"
        serving = {"inputs": stored}
    elif _lazy.is_ndarray(data):
        stored = _array_to_lists(data)
        info["type"] = "ndarray"
        serving = {"inputs": stored}
    elif isinstance(data, list):
        if _contains_ndarray(data):
            raise InvalidArgument("numpy arrays inside a list are not supported as input examples")
        stored = data
        info["type"] = "json_object"
        serving = {"inputs": stored}
    elif (kind := _lazy.sparse_kind(data)) is not None:
        info["type"] = f"sparse_matrix_{kind}"
        serving = {"inputs": data.toarray()}
        stored = {
            "data": _array_to_lists(data.data),
            "indices": data.indices.tolist(),
            "indptr": data.indptr.tolist(),
            "shape": list(data.shape),
        }
    elif _lazy.is_dataframe(data):
        stored = _dataframe_to_split(data)
        info["type"] = "dataframe"
        info["pandas_orient"] = "split" if "columns" in stored else "values"
        serving = {"dataframe_split": stored}
    elif _is_scalar(data) or isinstance(data, dt.datetime):
        stored = data
        info["type"] = "json_object"
        serving = {"inputs": stored}
    else:
        raise InvalidArgument(
            "An input example must be a pandas DataFrame, a numpy array, a dict of numpy "
            "arrays, a scipy csr/csc matrix, a dict, a list or a scalar; "
            f"got {type(data).__name__}"
        )
    if params is not None:
        stored = {"inputs": stored, "params": params}
        serving = {**serving, "params": params}
    info["serving_input_path"] = SERVING_EXAMPLE_FILE_NAME
    return SavedExample(
        info=info,
        data=data,
        params=params,
        example_json=json.dumps(stored, cls=ExampleEncoder),
        serving_json=json.dumps(serving, cls=ExampleEncoder, indent=2),
    )


def save_example(model_dir: Path, input_example: Any) -> SavedExample | None:
    """Write both example files into ``model_dir``; None when there is no example."""
    if input_example is None:
        return None
    example = build_example(input_example)
    example.save(model_dir)
    return example


def _split_params(input_example: Any) -> tuple[Any, dict[str, Any] | None]:
    # MLflow's convention: a (data, params-dict) pair carries inference params.
    data = deepcopy(input_example)
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[1], dict):
        infer_param_schema(data[1])  # rejects params that could never be a schema
        return data[0], data[1]
    return data, None


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | bytes | int | float | complex | bool) or _lazy.is_numpy_scalar(
        value
    )


def _contains_ndarray(value: Any) -> bool:
    if _lazy.is_ndarray(value):
        return True
    if isinstance(value, list):
        return any(_contains_ndarray(item) for item in value)
    if isinstance(value, dict):
        return any(_contains_ndarray(item) for item in value.values())
    return False


def _array_to_lists(array: Any) -> Any:
    np = _lazy.numpy()
    if np.issubdtype(array.dtype, np.number):
        # NaN is not JSON; MLflow writes null for it.
        array = np.where(np.isnan(array), None, array)
    return array.tolist()


def _dataframe_to_split(df: Any) -> dict[str, Any]:
    split: dict[str, Any] = df.where(df.notnull(), None).to_dict(orient="split")
    del split["index"]
    if list(df.columns) == list(range(len(df.columns))):
        del split["columns"]  # the default column index says nothing
    return split


class ExampleEncoder(json.JSONEncoder):
    """JSON for numpy/pandas values, bytes and dates, as MLflow's ``NumpyEncoder``."""

    def default(self, o: Any) -> Any:
        converted, ok = _to_jsonable(o)
        return converted if ok else super().default(o)


def _to_jsonable(o: Any) -> tuple[Any, bool]:
    if isinstance(o, bytes | bytearray):
        return base64.encodebytes(o).decode("ascii"), True
    if isinstance(o, dt.date | dt.datetime | dt.time):
        return o.isoformat(), True
    if _lazy.is_ndarray(o):
        if o.dtype == object or o.dtype.kind == "S":
            # Items may be bytes or dates that need converting one by one.
            return [_to_jsonable(item)[0] for item in o.tolist()], True
        return o.tolist(), True
    if _lazy.is_numpy_scalar(o):
        # The Python value may itself need a second pass (bytes, datetime).
        return o.item(), True
    return o, False


__all__ = [
    "EXAMPLE_FILE_NAME",
    "SERVING_EXAMPLE_FILE_NAME",
    "ExampleEncoder",
    "SavedExample",
    "build_example",
    "save_example",
]
