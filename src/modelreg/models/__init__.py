"""Models on disk: the MLflow ``MLmodel`` directory format, read and written without mlflow.

A model directory holds an ``MLmodel`` YAML file (:class:`Model`), the flavor's
serialized model, environment files and, optionally, input examples; see
mlflow-wire.md §12. This package has the flavor-independent parts; the flavors
live in :mod:`modelreg.sklearn` and :mod:`modelreg.pyfunc`.

Importing it never imports numpy, pandas, scipy or scikit-learn.
"""

from __future__ import annotations

from modelreg.models.manifest import compute_manifest, verify_manifest
from modelreg.models.mlmodel import MLFLOW_FORMAT_VERSION, MLMODEL_FILE_NAME, Model
from modelreg.models.resolve import register_resolver, resolve_to_local_dir
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
    TensorSpec,
)
from modelreg.models.signature import ModelSignature, infer_signature

__all__ = [
    "MLFLOW_FORMAT_VERSION",
    "MLMODEL_FILE_NAME",
    "AnyType",
    "Array",
    "ColSpec",
    "DataType",
    "Map",
    "Model",
    "ModelSignature",
    "Object",
    "ParamSchema",
    "ParamSpec",
    "Property",
    "Schema",
    "TensorSpec",
    "compute_manifest",
    "infer_signature",
    "register_resolver",
    "resolve_to_local_dir",
    "verify_manifest",
]
