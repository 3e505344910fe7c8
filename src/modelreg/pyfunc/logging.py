"""``modelreg.pyfunc.log_model``: log a custom ``PythonModel`` to the active run."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from modelreg.errors import InvalidArgument
from modelreg.models.environment import PipRequirements
from modelreg.models.mlmodel import Model
from modelreg.models.signature import ModelSignature
from modelreg.pyfunc.model import PythonModel, save_model


def log_model(
    name: str | None = None,
    *,
    python_model: PythonModel | None = None,
    artifact_path: str | None = None,
    artifacts: Mapping[str, str | os.PathLike[str]] | None = None,
    registered_model_name: str | None = None,
    signature: ModelSignature | Literal[False] | None = None,
    input_example: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    pip_requirements: PipRequirements | None = None,
    extra_pip_requirements: PipRequirements | None = None,
    metadata: dict[str, Any] | None = None,
    model_config: Mapping[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    step: int = 0,
    model_type: str | None = None,
) -> Any:
    """Log ``python_model`` (with its ``artifacts``) as a logged model; optionally register it.

    Returns a :class:`~modelreg.model_logging.ModelInfo`.
    """
    if python_model is None:
        raise InvalidArgument("pyfunc.log_model needs python_model=<a PythonModel instance>.")
    from modelreg.model_logging import log_model as publish

    model = python_model

    def save(folder: Path, prefilled: Model) -> Model:
        return save_model(
            folder,
            model,
            artifacts=artifacts,
            signature=signature,
            input_example=input_example,
            code_paths=code_paths,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            metadata=metadata,
            model_config=model_config,
            mlflow_model=prefilled,
        )

    return publish(
        save,
        name=name,
        artifact_path=artifact_path,
        registered_model_name=registered_model_name,
        model_type=model_type,
        tags=tags,
        step=step,
    )
