"""The scikit-learn flavor: save and load estimators in MLflow's directory format.

A saved directory has two flavors (mlflow-wire.md §12):

* ``sklearn``: ``pickled_model``, ``serialization_format`` (``skops`` by
  default, ``cloudpickle`` or ``pickle`` on request), ``sklearn_version``,
  ``skops_trusted_types``, ``code``;
* ``python_function`` with ``loader_module: mlflow.sklearn``, so that
  ``mlflow.pyfunc.load_model`` loads modelreg's directories; modelreg maps that
  name back to this module.

skops is the default because loading a skops file does not run arbitrary code
unless the file's types are trusted explicitly; pickle and cloudpickle files
execute whatever they contain, so only load those from sources you trust (the
registry's manifests make sure a registered version is the one that was
registered).

``save_model`` takes a pre-filled ``mlflow_model`` and returns the completed
:class:`~modelreg.models.Model`, so ``log_model`` can save into a temporary
directory with run_id / model_id / artifact_path already set, then upload it.

Nothing here imports scikit-learn, skops, cloudpickle or numpy until a model
is saved or loaded.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Literal

from modelreg import _resolvers
from modelreg.errors import InvalidArgument, NotFound
from modelreg.models import _lazy
from modelreg.models.environment import (
    PipRequirements,
    pinned,
    resolve_requirements,
    write_environment,
)
from modelreg.models.example_signature import infer_signature_from_example
from modelreg.models.files import (
    add_code_to_sys_path,
    copy_code_paths,
    directory_size,
    join_inside,
    new_model_dir,
)
from modelreg.models.input_example import SavedExample, save_example
from modelreg.models.mlmodel import MLMODEL_FILE_NAME, Model
from modelreg.models.resolve import resolve_to_local_dir
from modelreg.models.signature import ModelSignature
from modelreg.pyfunc import flavor as pyfunc_flavor

logger = logging.getLogger(__name__)

FLAVOR_NAME: Final = "sklearn"
MLFLOW_LOADER_MODULE: Final = "mlflow.sklearn"

SERIALIZATION_FORMAT_SKOPS: Final = "skops"
SERIALIZATION_FORMAT_PICKLE: Final = "pickle"
SERIALIZATION_FORMAT_CLOUDPICKLE: Final = "cloudpickle"
SUPPORTED_SERIALIZATION_FORMATS: Final = (
    SERIALIZATION_FORMAT_SKOPS,
    SERIALIZATION_FORMAT_PICKLE,
    SERIALIZATION_FORMAT_CLOUDPICKLE,
)
SerializationFormat = Literal["skops", "pickle", "cloudpickle"]

_SKOPS_FILE_NAME: Final = "model.skops"
_PICKLE_FILE_NAME: Final = "model.pkl"


def get_default_pip_requirements(
    serialization_format: str = SERIALIZATION_FORMAT_SKOPS, *, with_pandas: bool = False
) -> list[str]:
    """Pinned requirements of a saved model: scikit-learn, its numeric stack, the
    serializer, and pandas when the model is fed DataFrames."""
    packages = ["scikit-learn", "numpy", "scipy"]
    if serialization_format in (SERIALIZATION_FORMAT_SKOPS, SERIALIZATION_FORMAT_CLOUDPICKLE):
        packages.append(serialization_format)
    if with_pandas:
        packages.append("pandas")
    return sorted(pinned(*packages))


def save_model(
    sk_model: Any,
    path: str | os.PathLike[str],
    *,
    serialization_format: SerializationFormat = SERIALIZATION_FORMAT_SKOPS,
    signature: ModelSignature | Literal[False] | None = None,
    input_example: Any = None,
    pip_requirements: PipRequirements | None = None,
    extra_pip_requirements: PipRequirements | None = None,
    metadata: dict[str, Any] | None = None,
    skops_trusted_types: Sequence[str] | None = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    pyfunc_predict_fn: str = "predict",
    mlflow_model: Model | None = None,
) -> Model:
    """Save ``sk_model`` to the new (or empty) directory ``path``; return its MLmodel.

    Without ``signature``, one is inferred from ``input_example`` and the
    model's predictions on it (a failure only logs a warning);
    ``signature=False`` saves none. ``mlflow_model`` is a pre-filled
    :class:`Model` (run_id, model_id, artifact_path) to complete.
    """
    if serialization_format not in SUPPORTED_SERIALIZATION_FORMATS:
        raise InvalidArgument(
            f"Unrecognized serialization format: {serialization_format!r}. "
            f"Supported: {list(SUPPORTED_SERIALIZATION_FORMATS)}"
        )
    import sklearn

    trusted = list(skops_trusted_types) if skops_trusted_types is not None else None
    model = mlflow_model if mlflow_model is not None else Model()
    with new_model_dir(path) as model_dir:
        code = copy_code_paths(code_paths, model_dir)
        example = save_example(model_dir, input_example)
        if example is not None:
            model.saved_input_example_info = example.info
        if signature is None and example is not None:
            signature = infer_signature_from_example(
                example, _SklearnModelWrapper(sk_model).predict
            )
        if signature:
            model.signature = signature
        if metadata is not None:
            model.metadata = metadata

        file_name = (
            _SKOPS_FILE_NAME
            if serialization_format == SERIALIZATION_FORMAT_SKOPS
            else _PICKLE_FILE_NAME
        )
        _serialize(sk_model, model_dir / file_name, serialization_format, trusted)

        if hasattr(sk_model, pyfunc_predict_fn):
            pyfunc_flavor.add_to_model(
                model,
                MLFLOW_LOADER_MODULE,
                code=code,
                model_path=file_name,
                predict_fn=pyfunc_predict_fn,
            )
        else:
            logger.warning(
                "The model has no %s() method, so it is saved without the python_function flavor",
                pyfunc_predict_fn,
            )
        model.add_flavor(
            FLAVOR_NAME,
            pickled_model=file_name,
            sklearn_version=sklearn.__version__,
            serialization_format=serialization_format,
            code=code,
            skops_trusted_types=trusted,
        )
        # MLflow counts the files present before MLmodel and the environment files.
        model.model_size_bytes = directory_size(model_dir)
        model.save(model_dir / MLMODEL_FILE_NAME)
        defaults = get_default_pip_requirements(
            serialization_format, with_pandas=_uses_pandas(example, model.signature)
        )
        write_environment(
            model_dir, resolve_requirements(defaults, pip_requirements, extra_pip_requirements)
        )
    return model


def log_model(
    sk_model: Any,
    name: str | None = None,
    *,
    artifact_path: str | None = None,
    registered_model_name: str | None = None,
    serialization_format: SerializationFormat = SERIALIZATION_FORMAT_SKOPS,
    signature: ModelSignature | Literal[False] | None = None,
    input_example: Any = None,
    pip_requirements: PipRequirements | None = None,
    extra_pip_requirements: PipRequirements | None = None,
    metadata: dict[str, Any] | None = None,
    skops_trusted_types: Sequence[str] | None = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    pyfunc_predict_fn: str = "predict",
    tags: dict[str, Any] | None = None,
    step: int = 0,
    model_type: str | None = None,
) -> Any:
    """Log ``sk_model`` as a logged model of the active run; optionally register it.

    ``artifact_path`` is the older spelling of ``name``. With ``registered_model_name``
    the registered model is created if needed and the next version is registered from
    the logged model. Returns a :class:`~modelreg.model_logging.ModelInfo`.
    """
    from modelreg.model_logging import log_model as publish

    def save(folder: Path, prefilled: Model) -> Model:
        return save_model(
            sk_model,
            folder,
            serialization_format=serialization_format,
            signature=signature,
            input_example=input_example,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            metadata=metadata,
            skops_trusted_types=skops_trusted_types,
            code_paths=code_paths,
            pyfunc_predict_fn=pyfunc_predict_fn,
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


def _uses_pandas(example: SavedExample | None, signature: ModelSignature | None) -> bool:
    # Column-based signatures are enforced through DataFrames, by MLflow and modelreg.
    if example is not None and (_lazy.is_dataframe(example.data) or _lazy.is_series(example.data)):
        return True
    inputs = signature.inputs if signature is not None else None
    return inputs is not None and not inputs.is_tensor_spec()


def _serialize(
    sk_model: Any, target: Path, serialization_format: str, trusted: list[str] | None
) -> None:
    if serialization_format == SERIALIZATION_FORMAT_SKOPS:
        import skops.io

        try:
            skops.io.dump(sk_model, target)
            # Fail now, not at load time, if the file needs types nobody trusted.
            skops.io.load(target, trusted=trusted)
        except skops.io.exceptions.UntrustedTypesFoundException as exc:
            raise InvalidArgument(
                "The saved model references types skops does not trust by default: "
                f"{exc}. If loading them is safe, list them in skops_trusted_types."
            ) from exc
        except (TypeError, AttributeError, NotImplementedError, pickle.PicklingError) as exc:
            raise InvalidArgument(
                "The model cannot be saved in the skops format (skops cannot persist "
                "functions or classes that are not defined at module level); "
                f"use serialization_format='cloudpickle' instead. Cause: {exc}"
            ) from exc
        return
    with open(target, "wb") as out:
        if serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE:
            import cloudpickle

            # The default protocol, not the newest: older Pythons must read it too.
            cloudpickle.dump(sk_model, out, protocol=pickle.DEFAULT_PROTOCOL)
        else:
            pickle.dump(sk_model, out, protocol=pickle.DEFAULT_PROTOCOL)


def _deserialize(source: Path, serialization_format: str, trusted: list[str] | None) -> Any:
    if serialization_format == SERIALIZATION_FORMAT_SKOPS:
        import skops.io

        return skops.io.load(source, trusted=trusted)
    if serialization_format not in SUPPORTED_SERIALIZATION_FORMATS:
        raise InvalidArgument(
            f"Unrecognized serialization format: {serialization_format!r}. "
            f"Supported: {list(SUPPORTED_SERIALIZATION_FORMATS)}"
        )
    with open(source, "rb") as handle:
        if serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE:
            import cloudpickle

            return cloudpickle.load(handle)
        return pickle.load(handle)


def _flavor_settings(conf: dict[str, Any]) -> tuple[str, list[str] | None]:
    # A flavor without serialization_format predates the key: it was pickle.
    serialization_format = str(conf.get("serialization_format") or SERIALIZATION_FORMAT_PICKLE)
    trusted = conf.get("skops_trusted_types")
    return serialization_format, list(trusted) if trusted is not None else None


def load_model(model_uri: str | os.PathLike[str]) -> Any:
    """Load the scikit-learn estimator saved at ``model_uri``."""
    _resolvers.ensure_for(model_uri)
    model_dir = resolve_to_local_dir(model_uri)
    conf = Model.load(model_dir).flavor(FLAVOR_NAME)
    add_code_to_sys_path(model_dir, conf.get("code"))
    serialization_format, trusted = _flavor_settings(conf)
    if not conf.get("pickled_model"):
        raise InvalidArgument("The sklearn flavor of this model names no pickled_model file")
    return _deserialize(
        join_inside(model_dir, str(conf["pickled_model"])), serialization_format, trusted
    )


def _load_pyfunc(path: str | os.PathLike[str]) -> _SklearnModelWrapper:
    """Loader entry point for ``loader_module: mlflow.sklearn``.

    ``path`` is the model directory, or (older MLflow layouts with a ``data``
    key) the serialized model file itself.
    """
    target = Path(path)
    model_dir = target.parent if target.is_file() else target
    try:
        meta: Model | None = Model.load(model_dir)
    except NotFound:
        meta = None  # a data file in a subdirectory: no MLmodel next to it
    if meta is not None and FLAVOR_NAME in meta.flavors:
        serialization_format, trusted = _flavor_settings(meta.flavors[FLAVOR_NAME])
    else:
        logger.warning("No sklearn flavor configuration; assuming the pickle format")
        serialization_format, trusted = SERIALIZATION_FORMAT_PICKLE, None
    if not target.is_file():
        if meta is None:
            raise NotFound(f"No MLmodel file in '{model_dir}'")
        model_path = meta.flavor(pyfunc_flavor.FLAVOR_NAME).get("model_path")
        if not model_path:
            raise InvalidArgument("The python_function flavor names no model_path")
        target = join_inside(model_dir, str(model_path))
    return _SklearnModelWrapper(_deserialize(target, serialization_format, trusted))


class _SklearnModelWrapper:
    """The pyfunc face of an estimator: ``predict(data, params)`` plus the
    estimator's own ``predict_proba`` & co., selectable as ``predict_fn``."""

    _EXTRA_PREDICT_FNS: Final = (
        "predict_proba",
        "predict_log_proba",
        "predict_joint_log_proba",
        "score",
    )

    def __init__(self, sk_model: Any) -> None:
        self.sklearn_model = sk_model
        for name in self._EXTRA_PREDICT_FNS:
            if (fn := getattr(sk_model, name, None)) is not None:
                setattr(self, name, fn)

    def get_raw_model(self) -> Any:
        return self.sklearn_model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.sklearn_model.predict(data)


__all__ = [
    "FLAVOR_NAME",
    "MLFLOW_LOADER_MODULE",
    "SERIALIZATION_FORMAT_CLOUDPICKLE",
    "SERIALIZATION_FORMAT_PICKLE",
    "SERIALIZATION_FORMAT_SKOPS",
    "SUPPORTED_SERIALIZATION_FORMATS",
    "get_default_pip_requirements",
    "load_model",
    "save_model",
]
