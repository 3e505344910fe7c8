"""Schema types: MLflow's JSON forms, both ways."""

from __future__ import annotations

import json

import pytest

from modelreg.errors import InvalidArgument
from modelreg.models.schema import (
    AnyType,
    Array,
    ColSpec,
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

# Strings as MLflow 3.17.2 writes them (key order included).
MLFLOW_SCHEMAS = [
    '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}]',
    '[{"name": "a", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}, '
    '{"name": "b", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1, 2]}}]',
    '[{"type": "double", "name": "tenure", "required": true}, '
    '{"type": "long", "name": "plan", "required": true}, '
    '{"type": "double", "name": "opt", "required": false}]',
    '[{"type": "array", "items": {"type": "long"}, "name": "x", "required": true}, '
    '{"type": "string", "name": "y", "required": true}, '
    '{"type": "object", "properties": {"j": {"type": "any", "required": false}, '
    '"k": {"type": "double", "required": true}}, "name": "z", "required": true}, '
    '{"type": "any", "name": "n", "required": false}]',
    '[{"type": "map", "values": {"type": "array", "items": {"type": "string"}}, '
    '"name": "m", "required": true}, {"type": "sparkml_vector", "name": "v", "required": true}]',
    '[{"type": "string", "required": true}]',
]


@pytest.mark.parametrize("text", MLFLOW_SCHEMAS)
def test_mlflow_schema_strings_round_trip_byte_for_byte(text: str) -> None:
    assert Schema.from_json(text).to_json() == text


def test_schema_objects_build_the_mlflow_strings() -> None:
    schema = Schema(
        [
            ColSpec(Array(DataType.long), "x"),
            ColSpec(Object([Property("k", DataType.double), Property("j", AnyType(), False)]), "z"),
            ColSpec(Map(DataType.string), "m", required=False),
            ColSpec(SparkMLVector(), "v"),
        ]
    )
    assert json.loads(schema.to_json()) == [
        {"type": "array", "items": {"type": "long"}, "name": "x", "required": True},
        {
            "type": "object",
            # Properties come out sorted by name, as MLflow sorts them.
            "properties": {
                "j": {"type": "any", "required": False},
                "k": {"type": "double", "required": True},
            },
            "name": "z",
            "required": True,
        },
        {"type": "map", "values": {"type": "string"}, "name": "m", "required": False},
        {"type": "sparkml_vector", "name": "v", "required": True},
    ]


def test_colspec_without_required_key_is_required() -> None:
    # Files from MLflow 1.x have no "required".
    schema = Schema.from_json('[{"type": "double", "name": "a"}]')
    assert schema.inputs[0] == ColSpec(DataType.double, "a", True)


def test_tensor_spec_fields() -> None:
    spec = TensorSpec("float32", (-1, 3, 4), "img")
    assert spec.required
    assert spec.to_dict() == {
        "name": "img",
        "type": "tensor",
        "tensor-spec": {"dtype": "float32", "shape": [-1, 3, 4]},
    }
    assert TensorSpec.from_dict(spec.to_dict()) == spec


def test_schema_name_helpers() -> None:
    schema = Schema([ColSpec(DataType.long, "a"), ColSpec(DataType.string, "b", False)])
    assert schema.has_input_names()
    assert not schema.is_tensor_spec()
    assert schema.input_names() == ["a", "b"]
    assert schema.required_input_names() == ["a"]
    assert schema.optional_input_names() == ["b"]
    unnamed = Schema([ColSpec(DataType.long), ColSpec(DataType.double)])
    assert unnamed.input_names() == [0, 1]
    assert len(unnamed) == 2
    assert list(unnamed) == list(unnamed.inputs)


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([], "at least one"),
        ([ColSpec(DataType.long, "a"), ColSpec(DataType.long)], "named and unnamed"),
        ([ColSpec(DataType.long), TensorSpec("float64", (-1,))], "column specs and tensor"),
        ([TensorSpec("float64", (-1,)), TensorSpec("int64", (-1,))], "name each"),
        ([ColSpec(DataType.long, required=False)], "cannot be optional"),
    ],
)
def test_invalid_schemas_are_refused(specs: list[ColSpec | TensorSpec], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        Schema(specs)


def test_unknown_type_is_refused_with_the_allowed_list() -> None:
    with pytest.raises(InvalidArgument, match="'decimal'.*boolean"):
        Schema.from_json('[{"type": "decimal"}]')


def test_object_refuses_duplicates_and_emptiness() -> None:
    with pytest.raises(InvalidArgument, match="Duplicated"):
        Object([Property("a", DataType.long), Property("a", DataType.string)])
    with pytest.raises(InvalidArgument, match="at least one"):
        Object([])


def test_param_schema_matches_mlflow() -> None:
    text = (
        '[{"name": "alpha", "default": 0.5, "shape": null, "type": "double"}, '
        '{"name": "names", "default": ["a", "b"], "shape": [-1], "type": "string"}, '
        '{"name": "cfg", "default": {"k": 1}, "shape": null, "type": "object", '
        '"properties": {"k": {"type": "long", "required": true}}}]'
    )
    schema = ParamSchema.from_json(text)
    assert schema.params[0] == ParamSpec("alpha", DataType.double, 0.5)
    assert schema.params[1].shape == (-1,)
    assert schema.to_json() == text


def test_param_schema_refuses_duplicate_names() -> None:
    with pytest.raises(InvalidArgument, match="Duplicated"):
        ParamSchema([ParamSpec("a", DataType.long, 1), ParamSpec("a", DataType.long, 2)])


def test_datatype_numpy_names() -> None:
    assert DataType.long.numpy_name == "int64"
    assert DataType.string.numpy_name == "str"
