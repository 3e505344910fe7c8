"""``load_model``: any model directory with a python_function flavor, as a predictor.

The MLmodel file names a ``loader_module``. MLflow imports whatever module that
is; modelreg does not (an MLmodel file is untrusted input, and importing an
arbitrary module is running code). It maps the loader modules it implements,
MLflow's names included, to its own modules and refuses the rest by name.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
from typing import Any, Final

from modelreg import _resolvers
from modelreg.errors import InvalidArgument
from modelreg.models.enforce import enforce_input, enforce_params
from modelreg.models.environment import python_version
from modelreg.models.files import add_code_to_sys_path, join_inside
from modelreg.models.mlmodel import Model
from modelreg.models.resolve import resolve_to_local_dir
from modelreg.pyfunc import flavor

logger = logging.getLogger(__name__)

# loader_module as written in MLmodel -> the modelreg module that implements it.
LOADER_MODULES: Final = {
    "mlflow.sklearn": "modelreg.sklearn",
    "mlflow.pyfunc.model": "modelreg.pyfunc.model",
    "modelreg.sklearn": "modelreg.sklearn",
    "modelreg.pyfunc.model": "modelreg.pyfunc.model",
}


class PyFuncModel:
    """A loaded model: ``predict`` checks input against the signature, then predicts."""

    def __init__(self, model_meta: Model, model_impl: Any, predict_fn: str = "predict") -> None:
        if not hasattr(model_impl, predict_fn):
            raise InvalidArgument(f"Model implementation is missing required {predict_fn} method")
        self._meta = model_meta
        self._impl = model_impl
        self._predict_fn = getattr(model_impl, predict_fn)

    @property
    def metadata(self) -> Model:
        """The model's MLmodel content."""
        return self._meta

    @property
    def model_id(self) -> str | None:
        return self._meta.model_id

    @property
    def loader_module(self) -> str | None:
        conf = self._meta.flavors.get(flavor.FLAVOR_NAME)
        return None if conf is None else conf.get(flavor.LOADER_MODULE)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Predict on ``data``, enforcing the signature the way MLflow does."""
        signature = self._meta.signature
        if signature is not None and not signature.is_signature_from_type_hint:
            if signature.inputs is not None:
                try:
                    data = enforce_input(data, signature.inputs)
                except InvalidArgument as exc:
                    raise InvalidArgument(
                        f"Failed to enforce the model input schema {signature.inputs.to_json()}: "
                        f"{exc}"
                    ) from exc
        params = enforce_params(params, signature.params if signature is not None else None)
        accepts = inspect.signature(self._predict_fn).parameters.get("params")
        if accepts is not None and accepts.kind is not inspect.Parameter.VAR_KEYWORD:
            return self._predict_fn(data, params=params)
        if params:
            logger.warning("This model's predict() takes no params; ignoring %s", list(params))
        return self._predict_fn(data)

    def unwrap_python_model(self) -> Any:
        """The user's :class:`~modelreg.pyfunc.PythonModel` inside a custom model."""
        python_model = getattr(self._impl, "python_model", None)
        if python_model is None:
            raise InvalidArgument(
                "This model is not a custom python model; unwrap_python_model() does not apply"
            )
        return python_model

    def get_raw_model(self) -> Any:
        """The flavor's native model (e.g. the scikit-learn estimator)."""
        get_raw = getattr(self._impl, "get_raw_model", None)
        if get_raw is None:
            raise InvalidArgument("This model's flavor does not expose a raw model")
        return get_raw()

    def __repr__(self) -> str:
        uuid = self._meta.model_uuid
        return f"<PyFuncModel loader_module={self.loader_module!r} model_uuid={uuid!r}>"


def load_model(model_uri: str | os.PathLike[str]) -> PyFuncModel:
    """Load the model at ``model_uri``.

    Accepts ``models:/name/<version|stage|latest>``, ``models:/name@alias``,
    ``models:/m-<id>``, ``runs:/<run_id>/<path>``, ``s3://``, ``mlflow-artifacts:/``,
    ``file://`` and local paths. Registered versions are verified against their manifest.
    """
    _resolvers.ensure_for(model_uri)
    model_dir = resolve_to_local_dir(model_uri)
    meta = Model.load(model_dir)
    conf = meta.flavor(flavor.FLAVOR_NAME)
    _warn_on_python_mismatch(conf.get(flavor.PY_VERSION))
    add_code_to_sys_path(model_dir, conf.get(flavor.CODE))
    data = conf.get(flavor.DATA)
    data_path = join_inside(model_dir, str(data)) if data else model_dir
    loader = _loader_for(str(conf.get(flavor.LOADER_MODULE)))
    impl = loader._load_pyfunc(str(data_path))
    return PyFuncModel(meta, impl, str(conf.get(flavor.PREDICT_FN) or "predict"))


def _loader_for(name: str) -> Any:
    target = LOADER_MODULES.get(name)
    if target is None:
        raise InvalidArgument(
            f"modelreg cannot load models whose loader_module is {name!r}; "
            f"supported: {sorted(LOADER_MODULES)}"
        )
    return importlib.import_module(target)


def _warn_on_python_mismatch(saved: object) -> None:
    if saved is None:
        return
    current = python_version()
    if str(saved).split(".")[:2] != current.split(".")[:2]:
        logger.warning(
            "The model was saved with Python %s and is loaded with Python %s; "
            "it may not load or behave the same",
            saved,
            current,
        )


__all__ = ["LOADER_MODULES", "PyFuncModel", "load_model"]
