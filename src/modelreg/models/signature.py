"""Model signatures and their inference from example data, as MLflow infers them.

``infer_signature(input, output)`` must produce the same JSON strings as
``mlflow.models.infer_signature`` for the same data (the tests pin MLflow's
strings), because a signature is part of what a user compares when they move a
model between the two tools. The rules are MLflow's ``mlflow/types/utils.py``:

* numpy arrays, dicts of arrays and scipy sparse matrices become tensor specs,
  with the first dimension variable (``-1``);
* DataFrames, Series, lists, dicts of JSON values and scalars become column specs;
  a column is optional when the example holds a missing value in it.

numpy and pandas are imported only when the data is of their types.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.models import _lazy
from modelreg.models.schema import (
    AnyType,
    Array,
    ColSpec,
    ColumnType,
    DataType,
    Map,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    SparkMLVector,
    TensorSpec,
)

logger = logging.getLogger(__name__)


@dataclass
class ModelSignature:
    """What a model takes and returns: input/output schemas and inference params."""

    inputs: Schema | None = None
    outputs: Schema | None = None
    params: ParamSchema | None = None
    # Both flags are written next to the signature in MLmodel; modelreg never
    # infers from type hints, but keeps what MLflow wrote when it reads a model.
    is_signature_from_type_hint: bool = field(default=False, compare=False)
    type_hint_from_example: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        if self.inputs is None and self.outputs is None and self.params is None:
            raise InvalidArgument("A signature needs inputs, outputs or params")

    def to_dict(self) -> dict[str, str | None]:
        """MLflow's form: each part a JSON string (or None)."""
        return {
            "inputs": self.inputs.to_json() if self.inputs else None,
            "outputs": self.outputs.to_json() if self.outputs else None,
            "params": self.params.to_json() if self.params else None,
        }

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> ModelSignature:
        inputs, outputs, params = body.get("inputs"), body.get("outputs"), body.get("params")
        return cls(
            Schema.from_json(inputs) if inputs else None,
            Schema.from_json(outputs) if outputs else None,
            ParamSchema.from_json(params) if params else None,
        )


def infer_signature(
    model_input: Any = None,
    model_output: Any = None,
    params: Mapping[str, Any] | None = None,
) -> ModelSignature:
    """Infer a signature from example input, output and inference params.

    A part whose type cannot be inferred becomes ``[{"type": "any"}]`` with a
    logged warning, as in MLflow; invalid ``params`` raise.
    """
    inputs = infer_schema_or_any(model_input, "inputs") if model_input is not None else None
    outputs = infer_schema_or_any(model_output, "outputs") if model_output is not None else None
    return ModelSignature(inputs, outputs, infer_param_schema(params) if params else None)


def infer_schema_or_any(data: Any, part: str) -> Schema:
    try:
        return infer_schema(data)
    except Exception:
        logger.warning(
            "Failed to infer schema for %s; using [{'type': 'any'}] instead",
            part,
            exc_info=logger.isEnabledFor(logging.DEBUG),
        )
        return Schema([ColSpec(AnyType())])


def infer_schema(data: Any) -> Schema:
    """The schema of one dataset (MLflow's ``_infer_schema``)."""
    if isinstance(data, list) and not data:
        # MLflow < 2.9 inferred an empty list as one string column; kept for parity.
        return Schema([ColSpec(DataType.string)])
    if isinstance(data, list) and all(isinstance(item, dict) for item in data):
        return _infer_records(data)
    if isinstance(data, dict):
        if data and all(_lazy.is_ndarray(v) for v in data.values()):
            return Schema(
                TensorSpec(_clean_dtype_name(arr.dtype), _tensor_shape(arr.shape), name)
                for name, arr in data.items()
            )
        if any(not isinstance(key, str) for key in data):
            raise InvalidArgument("The dictionary keys are not all strings")
        return Schema(
            ColSpec(_infer_colspec_type(value), name, _infer_required(value))
            for name, value in data.items()
        )
    if _lazy.is_series(data):
        return Schema([ColSpec(_infer_pandas_column(data), data.name, _infer_required(data))])
    if _lazy.is_dataframe(data):
        return Schema(
            ColSpec(_infer_pandas_column(data[col]), col, _infer_required(data[col]))
            for col in data.columns
        )
    if _lazy.is_ndarray(data):
        return Schema([TensorSpec(_clean_dtype_name(data.dtype), _tensor_shape(data.shape))])
    if _lazy.sparse_kind(data) is not None:
        return Schema([TensorSpec(_clean_dtype_name(data.data.dtype), _tensor_shape(data.shape))])
    if isinstance(data, list):
        return Schema([ColSpec(_array_items(_infer_colspec_type(data)))])
    try:
        schema = Schema([ColSpec(_infer_colspec_type(data))])
    except InvalidArgument as exc:
        raise InvalidArgument(
            "Failed to infer schema. Expected a pandas DataFrame or Series, a numpy array, "
            "a dict of numpy arrays, a scipy csr/csc matrix, a scalar, a list of scalars, "
            f"a dict of JSON values or a list of such dicts, but got {type(data).__name__}: {exc}"
        ) from exc
    return schema


def _infer_records(records: list[dict[str, Any]]) -> Schema:
    columns: dict[str, list[Any]] = {}
    for record in records:
        for key, value in record.items():
            columns.setdefault(key, []).append(value)
    return Schema(
        ColSpec(
            _array_items(_infer_colspec_type(values)),
            name,
            # A column missing from a record, or None in it, is optional.
            all(record.get(name) is not None for record in records),
        )
        for name, values in columns.items()
    )


def _array_items(dtype: ColumnType) -> ColumnType:
    if not isinstance(dtype, Array):
        raise InvalidArgument(f"Expected a list type, got {dtype!r}")
    return dtype.items


def _infer_colspec_type(data: Any) -> ColumnType:
    dtype = _infer_datatype(data)
    if dtype is None:
        raise InvalidArgument(f"A numpy array must hold at least one item; got {data!r}")
    return dtype


def _infer_datatype(data: Any) -> ColumnType | None:
    """dict -> Object, list/array -> Array, scalar -> DataType, None/empty -> Any.

    None means "undetermined" (an empty numpy array), which MLflow keeps apart
    from AnyType for backward compatibility.
    """
    if _is_none_or_nan(data) or (isinstance(data, list | dict) and not data):
        return AnyType()
    if isinstance(data, dict):
        props = []
        for key, value in data.items():
            dtype = _infer_datatype(value)
            if dtype is None:
                raise InvalidArgument("Dictionary value must not be an empty numpy array")
            props.append(Property(key, dtype, required=not isinstance(dtype, AnyType)))
        return Object(props)
    if isinstance(data, list) or _lazy.is_ndarray(data):
        return _infer_array_datatype(data)
    return _infer_scalar_datatype(data)


def _infer_array_datatype(data: Any) -> Array | None:
    result: Array | None = None
    for item in data:
        dtype = _infer_datatype(item)
        if dtype is None:
            continue
        if result is None:
            result = Array(dtype)
        elif isinstance(result.items, DataType):
            if not isinstance(dtype, AnyType) and dtype != result.items:
                raise InvalidArgument("Expected all values in a list to be of the same type")
        else:
            result = Array(_merge(result.items, dtype))
    return result


def _merge(left: ColumnType, right: ColumnType) -> ColumnType:
    """Combine the types of two list items (MLflow's ``BaseType._merge``)."""
    if isinstance(left, AnyType):
        if isinstance(right, AnyType | DataType):
            return right
        return _merge(right, left)
    if isinstance(left, DataType):
        if left == right or isinstance(right, AnyType):
            return left
        raise InvalidArgument(f"Incompatible types {left.value} and {right!r} in a list")
    if isinstance(right, AnyType):
        if isinstance(left, Object):
            # Merging with "missing" makes every property optional.
            return Object(Property(p.name, p.dtype, False) for p in left.properties)
        return left
    if left == right:
        return left
    if isinstance(left, Array) and isinstance(right, Array):
        return Array(_merge_items(left.items, right.items))
    if isinstance(left, Map) and isinstance(right, Map):
        return Map(_merge_items(left.values, right.values))
    if isinstance(left, Object) and isinstance(right, Object):
        return _merge_objects(left, right)
    if isinstance(left, SparkMLVector):
        raise InvalidArgument("A Spark ML vector cannot be merged with another type")
    raise InvalidArgument(f"Incompatible types {left!r} and {right!r} in a list")


def _merge_items(left: ColumnType, right: ColumnType) -> ColumnType:
    if isinstance(left, DataType):
        if left == right or isinstance(right, AnyType):
            return left
        raise InvalidArgument(f"Incompatible item types {left.value} and {right!r}")
    return _merge(left, right)


def _merge_objects(left: Object, right: Object) -> Object:
    ours = {p.name: p for p in left.properties}
    theirs = {p.name: p for p in right.properties}
    merged = [Property(n, p.dtype, False) for n, p in ours.items() if n not in theirs]
    merged += [Property(n, p.dtype, False) for n, p in theirs.items() if n not in ours]
    for name in ours.keys() & theirs.keys():
        a, b = ours[name], theirs[name]
        required = a.required and b.required
        merged.append(Property(name, _merge_items(a.dtype, b.dtype), required))
    return Object(merged)


def _infer_scalar_datatype(data: Any) -> DataType:
    if isinstance(data, bool):
        return DataType.boolean
    if type(data) is int:
        return DataType.long
    if type(data) is float:
        return DataType.double
    if isinstance(data, str):
        return DataType.string
    if isinstance(data, bytes | bytearray):
        return DataType.binary
    if _lazy.is_numpy_scalar(data):
        np = _lazy.numpy()
        if isinstance(data, np.bool_):
            return DataType.boolean
        if isinstance(data, np.str_):
            return DataType.string
        if isinstance(data, np.bytes_):
            return DataType.binary
        # MLflow maps exactly int64/int32/float64/float32 scalars, not other widths.
        for np_type, dtype in (
            (np.int64, DataType.long),
            (np.int32, DataType.integer),
            (np.float64, DataType.double),
            (np.float32, DataType.float),
            (np.datetime64, DataType.datetime),
        ):
            if type(data) is np_type:
                return dtype
    if _is_datetime(data):
        return DataType.datetime
    raise InvalidArgument(f"Data {data!r} is not one of the supported types")


def infer_numpy_dtype(dtype: Any) -> DataType:
    """The column type for a numpy (or pandas extension) dtype, by kind and size."""
    kind, size = dtype.kind, dtype.itemsize
    if kind == "b":
        return DataType.boolean
    if kind in ("i", "u"):
        if size < 4 or (kind == "i" and size == 4):
            return DataType.integer
        if size < 8 or (kind == "i" and size == 8):
            return DataType.long
    elif kind == "f":
        if size <= 4:
            return DataType.float
        if size <= 8:
            return DataType.double
    elif kind == "U":
        return DataType.string
    elif kind == "S":
        return DataType.binary
    elif kind == "M":
        return DataType.datetime
    raise InvalidArgument(f"Unsupported numpy data type {dtype!s} (kind {kind!r})")


def _infer_pandas_column(col: Any) -> ColumnType:
    if len(col.values.shape) > 1:
        raise InvalidArgument(f"Expected a 1-D column, got shape {col.shape}")
    if col.dtype.kind == "O":
        col = col.infer_objects()
    if col.dtype.kind != "O":
        return infer_numpy_dtype(col.dtype)
    try:
        return _array_items(_infer_colspec_type(col.to_list()))
    except Exception as exc:
        # Backward compatibility: mixed columns of a string dtype are strings.
        if _lazy.pandas().api.types.is_string_dtype(col):
            return DataType.string
        raise InvalidArgument(f"Failed to infer the type of column {col.name!r}: {exc}") from exc


def _is_none_or_nan(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if value is None:
        return True
    pd = _lazy.loaded("pandas")
    return pd is not None and (value is pd.NA or value is pd.NaT)


def _infer_required(value: Any) -> bool:
    if isinstance(value, list) or _lazy.is_series(value):
        return not any(_is_none_or_nan(item) for item in value)
    return not _is_none_or_nan(value)


def _clean_dtype_name(dtype: Any) -> str:
    # Sized flexible types ("<U5") are stored size-less, as MLflow requires.
    if dtype.char == "U":
        return "str"
    if dtype.char == "S":
        return "bytes"
    return str(dtype.name)


def _tensor_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    # The batch dimension varies between calls.
    return (-1, *shape[1:]) if shape else shape


def infer_param_schema(params: Mapping[str, Any]) -> ParamSchema:
    """Schema of inference params: scalars, 1-D lists and dicts (MLflow's rules)."""
    if not isinstance(params, Mapping):
        raise InvalidArgument(f"Expected params to be a dict, got {type(params).__name__}")
    specs, invalid = [], []
    for name, value in params.items():
        try:
            dtype, shape = _param_type_and_shape(value)
            specs.append(ParamSpec(name, dtype, deepcopy(value), shape))
        except Exception as exc:
            invalid.append(f"{name}={value!r}: {exc}")
    if invalid:
        raise InvalidArgument(f"Failed to infer schema for parameters: {invalid}")
    return ParamSchema(specs)


def _param_type_and_shape(value: Any) -> tuple[DataType | Object, tuple[int, ...] | None]:
    if isinstance(value, list) or _lazy.is_ndarray(value):
        np = _lazy.numpy()
        if _array_depth(value) != 1:
            raise InvalidArgument("Expected a scalar or a 1-D list")
        if all(_is_datetime(v) for v in value):
            return DataType.datetime, (-1,)
        return infer_numpy_dtype(np.array(value).dtype), (-1,)
    if _is_datetime(value):
        return DataType.datetime, None
    if isinstance(value, dict):
        dtype = infer_schema({"value": value}).inputs[0]
        assert isinstance(dtype, ColSpec) and isinstance(dtype.type, Object)
        return dtype.type, None
    np = _lazy.numpy()
    if np.isscalar(value):
        return infer_numpy_dtype(np.array(value).dtype), None
    raise InvalidArgument(f"Expected a scalar or a 1-D list, got {type(value).__name__}")


def _is_datetime(value: Any) -> bool:
    return type(value) in (dt.date, dt.datetime)


def _array_depth(value: Any) -> int:
    if _lazy.is_ndarray(value):
        return int(value.ndim)
    if isinstance(value, list):
        return max((_array_depth(item) for item in value), default=0) + 1
    return 0


__all__ = [
    "ModelSignature",
    "infer_numpy_dtype",
    "infer_param_schema",
    "infer_schema",
    "infer_signature",
    "infer_schema_or_any",
]
