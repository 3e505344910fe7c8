"""Schema types of a model signature, in exactly MLflow's JSON forms.

An ``MLmodel`` file stores ``signature.inputs`` / ``outputs`` / ``params`` as JSON
strings (mlflow-wire.md §12). The classes here read and write those strings so
that a signature written by modelreg is byte-identical to the one MLflow would
write for the same data, and the reverse round-trips without loss:

* column-based: ``{"type": "double", "name": "tenure", "required": true}``
  (complex column types: ``array`` + ``items``, ``object`` + ``properties``,
  ``map`` + ``values``, ``any``, ``sparkml_vector``);
* tensor-based: ``{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}``
  (``name`` first when present, as MLflow orders it);
* params: ``{"name": ..., "default": ..., "shape": null | [-1], "type": ...}``.

Key order matters because the strings are compared and hashed, so every
``to_dict`` builds its dict in MLflow's order. Pure standard library: tensor
dtypes are kept as numpy dtype *names* (``"float64"``, ``"str"``), never as
numpy objects.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from modelreg.errors import InvalidArgument


class DataType(enum.Enum):
    """MLflow's scalar column types; the value is the JSON name."""

    boolean = "boolean"
    integer = "integer"
    long = "long"
    float = "float"
    double = "double"
    string = "string"
    binary = "binary"
    datetime = "datetime"

    @property
    def numpy_name(self) -> str:
        """The numpy dtype MLflow maps this type to (``DataType.to_numpy``)."""
        return _NUMPY_NAMES[self]


_NUMPY_NAMES = {
    DataType.boolean: "bool",
    DataType.integer: "int32",
    DataType.long: "int64",
    DataType.float: "float32",
    DataType.double: "float64",
    DataType.string: "str",
    DataType.binary: "bytes",
    DataType.datetime: "datetime64[ns]",
}


@dataclass(frozen=True)
class Array:
    """A list whose items all have one type."""

    items: ColumnType

    def to_dict(self) -> dict[str, Any]:
        return {"type": "array", "items": _type_dict(self.items)}


@dataclass(frozen=True)
class Property:
    """One named member of an :class:`Object`."""

    name: str
    dtype: ColumnType
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        body = _type_dict(self.dtype)
        body["required"] = self.required
        return {self.name: body}


@dataclass(frozen=True)
class Object:
    """A JSON object with known properties, kept sorted by name as MLflow does."""

    properties: tuple[Property, ...]

    def __init__(self, properties: Iterable[Property]) -> None:
        props = sorted(properties, key=lambda p: p.name)
        if not props:
            raise InvalidArgument("An object type needs at least one property")
        names = [p.name for p in props]
        if len(set(names)) != len(names):
            raise InvalidArgument(f"Duplicated property names in object type: {names}")
        object.__setattr__(self, "properties", tuple(props))

    def to_dict(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for prop in self.properties:
            merged.update(prop.to_dict())
        return {"type": "object", "properties": merged}


@dataclass(frozen=True)
class Map:
    """A JSON object with string keys and values of one type."""

    values: ColumnType

    def to_dict(self) -> dict[str, Any]:
        return {"type": "map", "values": _type_dict(self.values)}


@dataclass(frozen=True)
class AnyType:
    """Anything JSON-serializable, None included; never validated."""

    def to_dict(self) -> dict[str, Any]:
        return {"type": "any"}


@dataclass(frozen=True)
class SparkMLVector:
    """Spark ML's vector type; only carried through, modelreg never produces it."""

    def to_dict(self) -> dict[str, Any]:
        return {"type": "sparkml_vector"}


ColumnType: TypeAlias = DataType | Array | Object | Map | AnyType | SparkMLVector


def _type_dict(dtype: ColumnType) -> dict[str, Any]:
    if isinstance(dtype, DataType):
        return {"type": dtype.value}
    return dtype.to_dict()


def _parse_type(body: Mapping[str, Any]) -> ColumnType:
    """Read the type part of a column, property, item or map-value JSON dict."""
    kind = body.get("type")
    if kind == "array":
        return Array(_parse_type(_require_dict(body, "items")))
    if kind == "object":
        props = _require_dict(body, "properties")
        return Object(_parse_property(name, spec) for name, spec in props.items())
    if kind == "map":
        return Map(_parse_type(_require_dict(body, "values")))
    if kind == "any":
        return AnyType()
    if kind == "sparkml_vector":
        return SparkMLVector()
    try:
        return DataType(kind)
    except ValueError:
        allowed = [t.value for t in DataType] + ["array", "object", "map", "any"]
        raise InvalidArgument(
            f"Unsupported schema type {kind!r}; expected one of {allowed}"
        ) from None


def _parse_property(name: str, spec: Any) -> Property:
    if not isinstance(spec, Mapping):
        raise InvalidArgument(f"Property {name!r} must be a JSON object")
    return Property(name, _parse_type(spec), bool(spec.get("required", True)))


def _require_dict(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = body.get(key)
    if not isinstance(value, Mapping):
        raise InvalidArgument(f"Schema type {body.get('type')!r} needs a {key!r} object")
    return value


@dataclass(frozen=True)
class ColSpec:
    """One column of a column-based schema."""

    type: ColumnType
    name: str | None = None
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        body = _type_dict(self.type)
        if self.name is not None:
            body["name"] = self.name
        body["required"] = self.required
        return body

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> ColSpec:
        required = body.get("required")
        # MLflow < 2.x wrote no "required"; absent means required.
        return cls(
            _parse_type(body), body.get("name"), True if required is None else bool(required)
        )


@dataclass(frozen=True)
class TensorSpec:
    """One tensor of a tensor-based schema; ``dtype`` is a numpy dtype name."""

    dtype: str
    shape: tuple[int, ...]
    name: str | None = None

    @property
    def required(self) -> bool:
        return True

    def to_dict(self) -> dict[str, Any]:
        spec = {"dtype": self.dtype, "shape": list(self.shape)}
        if self.name is None:
            return {"type": "tensor", "tensor-spec": spec}
        return {"name": self.name, "type": "tensor", "tensor-spec": spec}

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> TensorSpec:
        spec = _require_dict(body, "tensor-spec")
        if "dtype" not in spec or "shape" not in spec:
            raise InvalidArgument("A tensor spec needs 'dtype' and 'shape'")
        return cls(str(spec["dtype"]), tuple(int(d) for d in spec["shape"]), body.get("name"))


InputSpec: TypeAlias = ColSpec | TensorSpec


@dataclass(frozen=True)
class Schema:
    """A list of column specs or of tensor specs (never both), as MLflow allows."""

    inputs: tuple[InputSpec, ...]

    def __init__(self, inputs: Iterable[InputSpec]) -> None:
        specs = tuple(inputs)
        _check_schema(specs)
        object.__setattr__(self, "inputs", specs)

    def __iter__(self) -> Iterator[InputSpec]:
        return iter(self.inputs)

    def __len__(self) -> int:
        return len(self.inputs)

    def is_tensor_spec(self) -> bool:
        return isinstance(self.inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        return self.inputs[0].name is not None

    def input_names(self) -> list[str | int]:
        """Names, or positions for an unnamed schema."""
        return [spec.name if spec.name is not None else i for i, spec in enumerate(self.inputs)]

    def required_input_names(self) -> list[str | int]:
        return [n for n, s in zip(self.input_names(), self.inputs, strict=True) if s.required]

    def optional_input_names(self) -> list[str | int]:
        return [n for n, s in zip(self.input_names(), self.inputs, strict=True) if not s.required]

    def to_dict(self) -> list[dict[str, Any]]:
        return [spec.to_dict() for spec in self.inputs]

    def to_json(self) -> str:
        # json.dumps defaults (", " and ": " separators) are what MLflow writes.
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> Schema:
        items = json.loads(text)
        if not isinstance(items, list):
            raise InvalidArgument("A schema must be a JSON list")
        return cls(_parse_input(item) for item in items)


def _parse_input(item: Any) -> InputSpec:
    if not isinstance(item, Mapping):
        raise InvalidArgument("Every schema entry must be a JSON object")
    if item.get("type") == "tensor":
        return TensorSpec.from_dict(item)
    return ColSpec.from_dict(item)


def _check_schema(specs: tuple[InputSpec, ...]) -> None:
    # The same rules as mlflow.types.Schema, so both accept the same files.
    if not specs:
        raise InvalidArgument("A schema needs at least one input")
    named = [s.name is not None for s in specs]
    if any(named) and not all(named):
        raise InvalidArgument("A schema cannot mix named and unnamed inputs")
    tensors = [isinstance(s, TensorSpec) for s in specs]
    if any(tensors) and not all(tensors):
        raise InvalidArgument("A schema cannot mix column specs and tensor specs")
    if all(tensors) and len(specs) > 1 and not all(named):
        raise InvalidArgument("A schema with several tensors must name each of them")
    if not any(named) and not all(s.required for s in specs):
        raise InvalidArgument("Unnamed inputs cannot be optional")


@dataclass(frozen=True)
class ParamSpec:
    """One inference parameter: a scalar (``shape`` None) or a 1-D list (``(-1,)``)."""

    name: str
    dtype: DataType | Object
    default: Any
    shape: tuple[int, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "default": self.default,
            "shape": list(self.shape) if self.shape is not None else None,
        }
        body.update(_type_dict(self.dtype))
        return body

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> ParamSpec:
        dtype = _parse_type(body)
        if not isinstance(dtype, DataType | Object):
            raise InvalidArgument(f"Parameter {body.get('name')!r} must be a scalar or object type")
        shape = body.get("shape")
        return cls(
            str(body["name"]),
            dtype,
            body.get("default"),
            tuple(int(d) for d in shape) if shape is not None else None,
        )


@dataclass(frozen=True)
class ParamSchema:
    """The parameters a model accepts at predict time."""

    params: tuple[ParamSpec, ...]

    def __init__(self, params: Iterable[ParamSpec]) -> None:
        specs = tuple(params)
        names = [p.name for p in specs]
        if len(set(names)) != len(names):
            raise InvalidArgument(f"Duplicated parameter names: {names}")
        object.__setattr__(self, "params", specs)

    def to_dict(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.params]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> ParamSchema:
        items = json.loads(text)
        if not isinstance(items, list):
            raise InvalidArgument("A parameter schema must be a JSON list")
        return cls(ParamSpec.from_dict(item) for item in items)


__all__ = [
    "AnyType",
    "Array",
    "ColSpec",
    "ColumnType",
    "DataType",
    "InputSpec",
    "Map",
    "Object",
    "ParamSchema",
    "ParamSpec",
    "Property",
    "Schema",
    "SparkMLVector",
    "TensorSpec",
]
