"""Check and adapt predict() input against a model's signature, as MLflow's pyfunc does.

The point is that a model behaves the same whichever tool loads it, so the
common cases follow ``mlflow.models.utils._enforce_schema``:

* column-based schema: the input becomes a DataFrame (dicts, lists, arrays and
  scalars are converted); required columns must be present (the error names the
  missing ones), extra columns are dropped with a warning, columns are put in
  schema order, and scalar columns are cast only where the cast is safe
  (int -> long, float32 -> double, int -> double, ...). Complex column types
  (array, object, map) pass through unchecked;
* tensor-based schema: arrays must have the declared rank, fixed dimensions
  and dtype; DataFrames are reshaped as MLflow reshapes them;
* params: unknown names are dropped with a warning, missing ones get their
  default, scalar values are converted where MLflow converts them.

Spark DataFrames and the LLM-specific input forms are not handled.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.models import _lazy
from modelreg.models.schema import (
    Array,
    ColSpec,
    DataType,
    Object,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
)
from modelreg.models.signature import infer_numpy_dtype

logger = logging.getLogger(__name__)


def enforce_input(data: Any, schema: Schema) -> Any:
    """Return ``data`` checked against and adapted to ``schema``.

    Raises :class:`InvalidArgument` when the data cannot match.
    """
    if _lazy.is_series(data):
        data = data.to_frame()
    if not schema.is_tensor_spec():
        data = _as_dataframe(data, schema)
    if schema.has_input_names():
        data = _check_names(data, schema)
    elif not schema.is_tensor_spec() and len(data.columns) < len(schema.inputs):
        raise InvalidArgument(
            f"Model inference is missing inputs: the signature declares {len(schema.inputs)} "
            f"unnamed inputs but the data has {len(data.columns)} columns"
        )
    if schema.is_tensor_spec():
        return _enforce_tensors(data, schema)
    return _enforce_columns(data, schema)


def _as_dataframe(data: Any, schema: Schema) -> Any:
    if _lazy.is_dataframe(data):
        return data
    pd = _lazy.pandas()
    np = _lazy.numpy()
    if np.isscalar(data):
        return pd.DataFrame([data])
    if isinstance(data, dict):
        complex_cols = any(
            isinstance(spec, ColSpec) and isinstance(spec.type, Array | Object)
            for spec in schema.inputs
        )
        one_row = all(
            np.isscalar(v)
            or v is None
            or (isinstance(v, list) and all(isinstance(i, str) for i in v))
            for v in data.values()
        )
        try:
            return pd.DataFrame([data]) if complex_cols or one_row else pd.DataFrame(data)
        except Exception as exc:
            raise InvalidArgument(
                "This model has a column-based signature, which needs DataFrame-like input; "
                f"the dict could not be turned into a DataFrame: {exc}"
            ) from exc
    if isinstance(data, list) or _lazy.is_ndarray(data):
        return pd.DataFrame(data)
    raise InvalidArgument(
        f"This model has a column-based signature; expected a DataFrame, got {type(data).__name__}"
    )


def _check_names(data: Any, schema: Schema) -> Any:
    required = schema.required_input_names()
    optional = set(schema.optional_input_names())
    if len(required) == 1 and _lazy.is_ndarray(data):
        # A single named input may be given as the bare array.
        return {required[0]: data}
    if _lazy.is_dataframe(data):
        actual = list(data.columns)
    elif isinstance(data, Mapping):
        actual = list(data.keys())
    else:
        raise InvalidArgument(
            "This model's signature names its inputs; expected a DataFrame or a dict "
            f"of named inputs, got {type(data).__name__}"
        )
    missing = [name for name in required if name not in actual]
    extra = [name for name in actual if name not in required and name not in optional]
    if missing:
        message = f"Model is missing inputs {missing}."
        if extra:
            message += f" Note that there were extra inputs: {extra}."
        raise InvalidArgument(message)
    if extra:
        logger.warning("Ignoring inputs that the model signature does not declare: %s", extra)
    return data


def _enforce_columns(df: Any, schema: Schema) -> Any:
    pd = _lazy.pandas()
    named = schema.has_input_names()
    columns: dict[Any, Any] = {}
    for position, spec in enumerate(schema.inputs):
        assert isinstance(spec, ColSpec)
        key = spec.name if named else df.columns[position]
        if key not in df.columns:
            continue  # an optional column that is absent
        values = df[key]
        if isinstance(spec.type, DataType):
            values = _enforce_datatype(key, values, spec.type)
        columns[key] = values
    # pandas aligns the Series by index; each keeps the input's index.
    return pd.DataFrame(columns)


def _enforce_datatype(name: Any, values: Any, dtype: DataType) -> Any:
    """Cast one column to ``dtype`` where MLflow does, else raise (``_enforce_mlflow_datatype``)."""
    np = _lazy.numpy()
    pd = _lazy.pandas()
    if values.dtype == object and dtype not in (DataType.binary, DataType.string):
        values = values.infer_objects()
    if dtype in (DataType.string, DataType.binary) and (
        values.dtype == object or isinstance(values.dtype, pd.StringDtype)
    ):
        return values
    target = np.dtype(dtype.numpy_name)
    if values.dtype == target:
        return values
    if dtype == DataType.binary and values.dtype.kind == "S":
        return values
    if dtype == DataType.datetime and (values.dtype.kind == "M" or values.dtype == object):
        try:
            return values.astype(target)
        except (TypeError, ValueError) as exc:
            raise InvalidArgument(f"Failed to convert column {name!r} to datetime: {exc}") from exc
    if dtype == DataType.boolean and values.dtype == object:
        return values  # casting would turn None into False
    kind = values.dtype.kind
    if kind == target.kind:
        upcast = values.dtype.itemsize <= target.itemsize
    elif kind == "u" and target.kind == "i":
        upcast = values.dtype.itemsize < target.itemsize
    elif kind in ("i", "u") and target == np.float64:
        upcast = values.dtype.itemsize <= 6
    else:
        upcast = False
    if upcast:
        return values.astype(target)
    if (
        values.dtype == np.int64
        and target.kind == "f"
        and all(pd.isnull(x) or x in (0, 1) for x in values)
    ):
        return values.astype(target)
    hint = ""
    if values.dtype == np.float64 and target.kind in ("i", "u") and values.hasnans:
        hint = (
            " Hint: integer columns cannot hold missing values, so they arrive as floats; "
            "declare the column as double if it may have missing values."
        )
    raise InvalidArgument(
        f"Incompatible input types for column {name!r}. "
        f"Can not safely convert {values.dtype} to {target}.{hint}"
    )


def _enforce_tensors(data: Any, schema: Schema) -> Any:
    specs = [spec for spec in schema.inputs if isinstance(spec, TensorSpec)]
    if schema.has_input_names():
        if isinstance(data, Mapping):
            out = {}
            for spec in specs:
                value = data[spec.name]
                if not _lazy.is_ndarray(value):
                    raise InvalidArgument(
                        f"Input {spec.name!r} must be a numpy array, got {type(value).__name__}"
                    )
                out[spec.name] = _enforce_tensor(value, spec)
            return out
        if _lazy.is_dataframe(data):
            return {spec.name: _reshape_column(spec.name, data[spec.name], spec) for spec in specs}
        raise InvalidArgument(
            "This model's tensor signature names its inputs; expected a dict of numpy arrays "
            f"or a DataFrame, got {type(data).__name__}"
        )
    spec = specs[0]
    if _lazy.is_dataframe(data):
        if data.empty:
            raise InvalidArgument("Input DataFrame is empty")
        if len(data.columns) == 1:
            return _reshape_column(None, data[data.columns[0]], spec)
        if spec.shape != (-1, len(data.columns)):
            raise InvalidArgument(
                f"A DataFrame with {len(data.columns)} columns needs the tensor shape "
                f"(-1, {len(data.columns)}); the signature declares {spec.shape}"
            )
        return _enforce_tensor(data.to_numpy(), spec)
    if _lazy.is_ndarray(data) or _lazy.sparse_kind(data) is not None:
        return _enforce_tensor(data, spec)
    raise InvalidArgument(
        "This model has a tensor-based signature; expected a numpy array or a DataFrame, "
        f"got {type(data).__name__}"
    )


def _enforce_tensor(values: Any, spec: TensorSpec) -> Any:
    np = _lazy.numpy()
    expected = np.dtype(spec.dtype)
    actual_dtype = values.dtype if _lazy.is_ndarray(values) else values.data.dtype
    shape = tuple(values.shape)
    if len(spec.shape) == 1 and spec.shape[0] == -1 and expected == np.dtype("O"):
        return values  # an object vector accepts anything
    if (
        len(spec.shape) > 1
        and -1 in spec.shape[1:]
        and len(shape) == 1
        and actual_dtype == np.dtype("O")
    ):
        return values  # a ragged array
    if len(shape) != len(spec.shape) or any(
        want not in (-1, got) for want, got in zip(spec.shape, shape, strict=True)
    ):
        raise InvalidArgument(f"Shape of input {shape} does not match expected shape {spec.shape}")
    cleaned = "str" if actual_dtype.char == "U" else "bytes" if actual_dtype.char == "S" else None
    if (np.dtype(cleaned) if cleaned else actual_dtype) != expected:
        raise InvalidArgument(
            f"dtype of input {actual_dtype} does not match expected dtype {expected}"
        )
    return values


def _reshape_column(name: str | None, column: Any, spec: TensorSpec) -> Any:
    np = _lazy.numpy()
    label = f"input {name!r}" if name else "the unnamed input"
    if spec.shape[0] != -1 or -1 in spec.shape[1:]:
        raise InvalidArgument(
            "For DataFrame input the first tensor dimension must be variable and the others "
            f"fixed; the signature of {label} declares {spec.shape}"
        )
    first = column.iloc[0]
    if np.isscalar(first):
        if spec.shape not in ((-1,), (-1, 1)):
            raise InvalidArgument(
                f"A column of scalars fits the shape (-1,) or (-1, 1), not {spec.shape} ({label})"
            )
        return _enforce_tensor(
            np.array(column, dtype=np.dtype(spec.dtype)).reshape(spec.shape), spec
        )
    try:
        stacked = np.vstack(column.tolist()).reshape(spec.shape)
    except ValueError as exc:
        raise InvalidArgument(f"Values of {label} cannot be reshaped to {spec.shape}") from exc
    if isinstance(first, list):
        stacked = stacked.astype(np.dtype(spec.dtype))  # lists carry no dtype to check
    if len(stacked) != len(column):
        raise InvalidArgument(f"Values of {label} cannot be reshaped to {spec.shape}")
    return stacked if isinstance(first, list) else _enforce_tensor(stacked, spec)


def enforce_params(
    params: Mapping[str, Any] | None, schema: ParamSchema | None
) -> dict[str, Any] | None:
    """Validate inference params against the signature's params schema."""
    if schema is None:
        if params:
            logger.warning(
                "This model's signature declares no params; ignoring params %s", list(params)
            )
            return {}
        return dict(params) if params is not None else None
    given = dict(params or {})
    known = {spec.name for spec in schema.params}
    if unknown := [key for key in given if key not in known]:
        logger.warning("Ignoring params the model signature does not declare: %s", unknown)
    result: dict[str, Any] = {}
    invalid = []
    for spec in schema.params:
        if spec.name not in given:
            result[spec.name] = spec.default
            continue
        try:
            result[spec.name] = _enforce_param(given[spec.name], spec)
        except InvalidArgument as exc:
            invalid.append(f"{spec.name}: {exc}")
    if invalid:
        raise InvalidArgument(f"Invalid parameters: {invalid}")
    return result


# Conversions MLflow allows for params: which value types a declared type accepts.
_PARAM_WIDENING = {
    DataType.long: (DataType.integer,),
    DataType.float: (DataType.integer, DataType.long),
    DataType.double: (DataType.integer, DataType.long, DataType.float),
}


def _enforce_param(value: Any, spec: ParamSpec) -> Any:
    if isinstance(spec.dtype, Object):
        return value
    if spec.shape == (-1,):
        if not isinstance(value, list) and not _lazy.is_ndarray(value):
            raise InvalidArgument(f"expected a 1-D list, got {type(value).__name__}")
        return [_enforce_param_scalar(item, spec.dtype) for item in value]
    return _enforce_param_scalar(value, spec.dtype)


def _enforce_param_scalar(value: Any, dtype: DataType) -> Any:
    if value is None:
        return None
    if dtype == DataType.datetime:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise InvalidArgument(f"cannot convert {value!r} to datetime") from exc
    np = _lazy.numpy()
    if not np.isscalar(value):
        raise InvalidArgument(f"expected a scalar, got {value!r}")
    actual = infer_numpy_dtype(np.array(value).dtype)
    if actual == dtype or actual in _PARAM_WIDENING.get(dtype, ()):
        python_type = {
            DataType.boolean: bool,
            DataType.integer: int,
            DataType.long: int,
            DataType.float: float,
            DataType.double: float,
            DataType.string: str,
            DataType.binary: bytes,
        }[dtype]
        return python_type(value)
    raise InvalidArgument(
        f"cannot safely convert {type(value).__name__} {value!r} to {dtype.value}"
    )


__all__ = ["enforce_input", "enforce_params"]
