"""MLmodel: read and write with MLflow's keys, omissions and layout."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from modelreg._version import __version__
from modelreg.errors import InvalidArgument, NotFound
from modelreg.models.mlmodel import MLFLOW_FORMAT_VERSION, MLMODEL_FILE_NAME, Model
from modelreg.models.signature import ModelSignature

# Written by mlflow.sklearn.save_model (mlflow 3.17.2); only the uuid/time differ per run.
MLFLOW_SKLEARN_MLMODEL = """\
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.skops
    predict_fn: predict
    python_version: 3.11.7
  sklearn:
    code: null
    pickled_model: model.skops
    serialization_format: skops
    sklearn_version: 1.9.1
    skops_trusted_types: null
is_signature_from_type_hint: false
mlflow_version: 3.17.2
model_id: null
model_size_bytes: 9263
model_uuid: d774e4043f3d457ebf0981fb9f59d0d7
prompts: null
saved_input_example_info:
  artifact_path: input_example.json
  serving_input_path: serving_input_example.json
  type: ndarray
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
type_hint_from_example: false
utc_time_created: '2026-11-26 11:11:20.352188'
"""

# Written by log_model: artifact_path, model_id and run_id set; extra keys present.
MLFLOW_LOGGED_MLMODEL = """\
artifact_path: mlflow-artifacts:/0/models/m-0c87/artifacts
auth_policy:
  system_auth_policy: {}
env_vars:
- OPENAI_API_KEY
flavors:
  python_function:
    loader_module: mlflow.sklearn
mlflow_version: 3.18.0
model_id: m-0c87
model_uuid: m-0c87
prompts: null
run_id: 816437e0
utc_time_created: '2026-11-26 09:28:58.692911'
"""


def test_mlflow_file_round_trips_byte_for_byte() -> None:
    model = Model.from_yaml(MLFLOW_SKLEARN_MLMODEL)
    assert model.to_yaml() == MLFLOW_SKLEARN_MLMODEL


def test_mlflow_file_fields() -> None:
    model = Model.from_yaml(MLFLOW_SKLEARN_MLMODEL)
    assert model.mlflow_version == "3.17.2"
    assert model.modelreg_version is None  # not written by modelreg, and not invented
    assert model.model_id is None
    assert model.run_id is None
    assert model.model_size_bytes == 9263
    assert model.flavor("sklearn")["serialization_format"] == "skops"
    assert model.signature is not None
    assert model.signature.inputs is not None and model.signature.inputs.is_tensor_spec()
    assert model.saved_input_example_info == {
        "artifact_path": "input_example.json",
        "serving_input_path": "serving_input_example.json",
        "type": "ndarray",
    }


def test_logged_model_keeps_unknown_keys() -> None:
    model = Model.from_yaml(MLFLOW_LOGGED_MLMODEL)
    assert model.run_id == "816437e0"
    assert model.artifact_path == "mlflow-artifacts:/0/models/m-0c87/artifacts"
    assert model.extra == {
        "auth_policy": {"system_auth_policy": {}},
        "env_vars": ["OPENAI_API_KEY"],
    }
    assert model.to_yaml() == MLFLOW_LOGGED_MLMODEL


def test_new_model_writes_mlflow_keys_and_omits_unset_ones() -> None:
    body = yaml.safe_load(Model().add_flavor("sklearn", pickled_model="model.skops").to_yaml())
    assert set(body) == {
        "flavors",
        "mlflow_version",
        "model_id",
        "model_uuid",
        "modelreg_version",
        "prompts",
        "utc_time_created",
    }
    assert body["mlflow_version"] == MLFLOW_FORMAT_VERSION
    assert body["modelreg_version"] == __version__
    assert body["model_id"] is None and body["prompts"] is None
    assert len(body["model_uuid"]) == 32
    # MLflow's format: str() of a naive UTC datetime.
    assert len(body["utc_time_created"]) == len("2026-11-26 09:28:58.692911")


def test_signature_flags_are_written_with_the_signature() -> None:
    signature = ModelSignature.from_dict(
        {"inputs": '[{"type": "string", "required": true}]', "outputs": None, "params": None}
    )
    body = Model(signature=signature, model_size_bytes=10, metadata={"k": "v"}).to_dict()
    assert body["signature"] == {
        "inputs": '[{"type": "string", "required": true}]',
        "outputs": None,
        "params": None,
    }
    assert body["is_signature_from_type_hint"] is False
    assert body["type_hint_from_example"] is False
    assert body["model_size_bytes"] == 10
    assert body["metadata"] == {"k": "v"}


def test_save_and_load_a_directory(tmp_path: Path) -> None:
    model = Model(run_id="r1", model_id="m-1", artifact_path="runs:/r1/model")
    model.add_flavor("python_function", loader_module="mlflow.sklearn")
    written = model.save(tmp_path)
    assert written == tmp_path / MLMODEL_FILE_NAME
    again = Model.load(tmp_path)
    assert again == model
    assert Model.load(written) == model


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="MLmodel"):
        Model.load(tmp_path)


def test_missing_flavor_is_not_found() -> None:
    with pytest.raises(NotFound, match='"python_function" flavor'):
        Model().flavor("python_function")


@pytest.mark.parametrize("text", ["- a list", "flavors: [1, 2]", "key: [unclosed"])
def test_malformed_files_are_invalid(text: str) -> None:
    with pytest.raises(InvalidArgument):
        Model.from_yaml(text)
