"""Custom Python models: ``PythonModel`` subclasses saved with cloudpickle.

The directory layout is MLflow's for custom models (``mlflow.pyfunc.model``):

* ``python_model.pkl``: the instance, pickled with cloudpickle;
* ``artifacts/<name of the source>``: each artifact, copied; the flavor's
  ``artifacts`` section maps the artifact's name to ``{path, uri}``, ``path``
  relative to the model directory and ``uri`` what the caller gave;
* ``code/``: the ``code_paths``, put on ``sys.path`` before unpickling;
* flavor ``python_function`` with ``loader_module: mlflow.pyfunc.model``.

At load time ``load_context`` receives a :class:`PythonModelContext` whose
``artifacts`` map each name to the absolute path of its copy.

MLflow can read this layout, but the pickle refers to modelreg's
``PythonModel`` base class, so only an environment with modelreg installed can
unpickle it; the reverse holds for models saved by MLflow.
"""

from __future__ import annotations

import inspect
import logging
import os
import pickle
import shutil
from abc import ABCMeta, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal

from modelreg._version import __version__
from modelreg.errors import InvalidArgument
from modelreg.models.environment import (
    PipRequirements,
    pinned,
    resolve_requirements,
    write_environment,
)
from modelreg.models.example_signature import infer_signature_from_example
from modelreg.models.files import copy_code_paths, directory_size, join_inside, new_model_dir
from modelreg.models.input_example import save_example
from modelreg.models.mlmodel import MLMODEL_FILE_NAME, Model
from modelreg.models.resolve import resolve_to_local_path
from modelreg.models.signature import ModelSignature
from modelreg.pyfunc import flavor

logger = logging.getLogger(__name__)

MLFLOW_LOADER_MODULE: Final = "mlflow.pyfunc.model"
PYTHON_MODEL_FILE_NAME: Final = "python_model.pkl"
ARTIFACTS_DIR_NAME: Final = "artifacts"
CONFIG_KEY_ARTIFACTS: Final = "artifacts"
CONFIG_KEY_PYTHON_MODEL: Final = "python_model"
CONFIG_KEY_CLOUDPICKLE_VERSION: Final = "cloudpickle_version"


class PythonModelContext:
    """What ``load_context`` gets: artifact paths and the model configuration."""

    def __init__(
        self, artifacts: Mapping[str, str], model_config: Mapping[str, Any] | None = None
    ) -> None:
        self._artifacts = dict(artifacts)
        self._model_config = dict(model_config or {})

    @property
    def artifacts(self) -> dict[str, str]:
        """Artifact name -> absolute local path of its copy inside the model."""
        return self._artifacts

    @property
    def model_config(self) -> dict[str, Any]:
        return self._model_config


class PythonModel(metaclass=ABCMeta):
    """Base class for custom models: override ``predict``, optionally ``load_context``."""

    def load_context(self, context: PythonModelContext) -> None:  # noqa: B027 - optional hook
        """Load artifacts (``context.artifacts``) before the first prediction."""

    @abstractmethod
    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        """Return predictions for ``model_input``."""


class _PythonModelPyfuncWrapper:
    """Adapts a PythonModel to the pyfunc ``predict(data, params)`` interface."""

    def __init__(self, python_model: PythonModel, context: PythonModelContext) -> None:
        self.python_model = python_model
        self.context = context

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        parameters = inspect.signature(self.python_model.predict).parameters
        kwargs = {"params": params} if "params" in parameters else {}
        if _takes_context(parameters):
            return self.python_model.predict(self.context, model_input, **kwargs)
        # MLflow also accepts predict(self, model_input, params=None) without a context.
        return self.python_model.predict(model_input, **kwargs)


def _takes_context(parameters: Mapping[str, inspect.Parameter]) -> bool:
    # MLflow's rule: a parameter named context, or two parameters besides params.
    others = [name for name in parameters if name not in ("self", "params")]
    return "context" in parameters or len(others) == 2


def save_model(
    path: str | os.PathLike[str],
    python_model: PythonModel,
    *,
    artifacts: Mapping[str, str | os.PathLike[str]] | None = None,
    signature: ModelSignature | Literal[False] | None = None,
    input_example: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    pip_requirements: PipRequirements | None = None,
    extra_pip_requirements: PipRequirements | None = None,
    metadata: dict[str, Any] | None = None,
    model_config: Mapping[str, Any] | None = None,
    mlflow_model: Model | None = None,
) -> Model:
    """Save a custom model to the new (or empty) directory ``path``; return its MLmodel.

    ``artifacts`` maps names to local paths or resolvable URIs (files or
    directories); each is copied under ``artifacts/``. Without ``signature``,
    one is inferred by running ``load_context`` and ``predict`` on
    ``input_example``; ``signature=False`` saves none. ``mlflow_model`` is a
    pre-filled :class:`Model` (run_id, model_id, artifact_path) that
    ``log_model`` passes; it is completed and returned.
    """
    if not isinstance(python_model, PythonModel):
        raise InvalidArgument(
            f"python_model must be a modelreg.pyfunc.PythonModel, got {type(python_model).__name__}"
        )
    import cloudpickle

    model = mlflow_model if mlflow_model is not None else Model()
    with new_model_dir(path) as model_dir:
        code = copy_code_paths(code_paths, model_dir)
        with open(model_dir / PYTHON_MODEL_FILE_NAME, "wb") as out:
            cloudpickle.dump(python_model, out, protocol=pickle.DEFAULT_PROTOCOL)
        artifacts_conf = _copy_artifacts(artifacts or {}, model_dir)

        example = save_example(model_dir, input_example)
        if example is not None:
            model.saved_input_example_info = example.info
        if signature is None and example is not None:
            context = PythonModelContext(
                {
                    name: str((model_dir / c["path"]).resolve())
                    for name, c in artifacts_conf.items()
                },
                model_config,
            )
            signature = _infer_signature(python_model, context, example)
        if signature:
            model.signature = signature
        if metadata is not None:
            model.metadata = metadata

        conf: dict[str, Any] = {
            CONFIG_KEY_CLOUDPICKLE_VERSION: cloudpickle.__version__,
            CONFIG_KEY_PYTHON_MODEL: PYTHON_MODEL_FILE_NAME,
            "streamable": False,
        }
        if artifacts_conf:
            conf[CONFIG_KEY_ARTIFACTS] = artifacts_conf
        if model_config:
            conf["config"] = dict(model_config)
        flavor.add_to_model(model, MLFLOW_LOADER_MODULE, **conf)
        # MLflow writes "code: null" for custom models, where add_to_model would omit it.
        model.flavors[flavor.FLAVOR_NAME][flavor.CODE] = code
        model.model_size_bytes = directory_size(model_dir)
        model.save(model_dir / MLMODEL_FILE_NAME)
        # The pickle refers to modelreg's PythonModel, so modelreg itself is required;
        # pinned from the source version, which exists even in a source checkout.
        defaults = [
            *pinned("cloudpickle"),
            f"modelreg=={__version__}",
            *pinned(*_example_packages(input_example)),
        ]
        write_environment(
            model_dir, resolve_requirements(defaults, pip_requirements, extra_pip_requirements)
        )
    return model


def _infer_signature(
    python_model: PythonModel, context: PythonModelContext, example: Any
) -> ModelSignature | None:
    try:
        python_model.load_context(context)
    except Exception as exc:
        logger.warning("load_context failed, so no signature is inferred: %r", exc)
        return None
    wrapper = _PythonModelPyfuncWrapper(python_model, context)
    return infer_signature_from_example(example, wrapper.predict)


def _example_packages(input_example: Any) -> list[str]:
    # Data of these types in the example means the model works with them.
    from modelreg.models import _lazy

    data = input_example[0] if isinstance(input_example, tuple) else input_example
    packages = []
    if _lazy.is_dataframe(data) or _lazy.is_series(data):
        packages += ["numpy", "pandas"]
    elif _lazy.is_ndarray(data) or (
        isinstance(data, dict) and any(_lazy.is_ndarray(v) for v in data.values())
    ):
        packages.append("numpy")
    return packages


def _copy_artifacts(
    artifacts: Mapping[str, str | os.PathLike[str]], model_dir: Path
) -> dict[str, dict[str, str]]:
    """Copy each artifact to ``artifacts/<basename>``, with MLflow's layout rules.

    A source named by several artifacts is copied once. Sources whose basenames
    collide (case-insensitively) all move one level down, into ``artifacts/0/``,
    ``artifacts/1/``..., skipping numbers another artifact already uses.
    """
    sources: dict[str, Path] = {}
    for uri in artifacts.values():
        key = os.fspath(uri)
        if key not in sources:
            sources[key] = resolve_to_local_path(key)
    roots = {key: path.name for key, path in sources.items()}
    folded = [root.casefold() for root in roots.values()]
    colliding = {key for key, root in roots.items() if folded.count(root.casefold()) > 1}
    occupied = {root for key, root in roots.items() if key not in colliding}
    relative: dict[str, str] = {}
    namespace = 0
    for key, root in roots.items():
        if key in colliding:
            while str(namespace) in occupied:
                namespace += 1
            occupied.add(str(namespace))
            root = f"{namespace}/{root}"
        relative[key] = f"{ARTIFACTS_DIR_NAME}/{root}"
        destination = model_dir / relative[key]
        destination.parent.mkdir(parents=True, exist_ok=True)
        if sources[key].is_dir():
            shutil.copytree(sources[key], destination)
        else:
            shutil.copy2(sources[key], destination)
    return {
        name: {"path": relative[os.fspath(uri)], "uri": os.fspath(uri)}
        for name, uri in artifacts.items()
    }


def _load_pyfunc(path: str | os.PathLike[str]) -> _PythonModelPyfuncWrapper:
    """Loader entry point for ``loader_module: mlflow.pyfunc.model``."""
    import cloudpickle

    model_dir = Path(path)
    meta = Model.load(model_dir)
    conf = meta.flavor(flavor.FLAVOR_NAME)
    saved = conf.get(CONFIG_KEY_CLOUDPICKLE_VERSION)
    if saved is not None and saved != cloudpickle.__version__:
        logger.warning(
            "The model was pickled with cloudpickle %s and is loaded with %s; "
            "cloudpickle does not promise compatibility across versions",
            saved,
            cloudpickle.__version__,
        )
    if conf.get("python_model_compression"):
        raise InvalidArgument("Compressed python_model files are not supported by modelreg yet")
    pickled = conf.get(CONFIG_KEY_PYTHON_MODEL)
    if not pickled:
        raise InvalidArgument("The python_function flavor names no python_model file")
    with open(join_inside(model_dir, str(pickled)), "rb") as handle:
        python_model = cloudpickle.load(handle)
    artifacts = {
        name: str(join_inside(model_dir, str(info["path"])).resolve())
        for name, info in (conf.get(CONFIG_KEY_ARTIFACTS) or {}).items()
    }
    context = PythonModelContext(artifacts, conf.get("config"))
    python_model.load_context(context)
    return _PythonModelPyfuncWrapper(python_model, context)


__all__ = [
    "MLFLOW_LOADER_MODULE",
    "PythonModel",
    "PythonModelContext",
    "save_model",
]
