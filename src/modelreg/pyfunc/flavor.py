"""The ``python_function`` flavor entry of MLmodel, shared by every flavor that writes it.

Its keys are MLflow's (``mlflow.pyfunc.add_to_model``): ``loader_module`` names
the module whose ``_load_pyfunc(path)`` builds the predictor, ``python_version``
the interpreter that saved it, ``env`` the environment files, and ``code`` /
``data`` optional subpaths. modelreg writes MLflow's loader module names so that
MLflow loads modelreg's directories; when modelreg loads a directory it maps
those names to its own modules (``modelreg.pyfunc.loader``).
"""

from __future__ import annotations

from typing import Any, Final

from modelreg.models.environment import CONDA_ENV_FILE_NAME, PYTHON_ENV_FILE_NAME, python_version
from modelreg.models.mlmodel import Model

FLAVOR_NAME: Final = "python_function"
LOADER_MODULE: Final = "loader_module"
PY_VERSION: Final = "python_version"
CODE: Final = "code"
DATA: Final = "data"
ENV: Final = "env"
PREDICT_FN: Final = "predict_fn"


def add_to_model(
    model: Model,
    loader_module: str,
    *,
    data: str | None = None,
    code: str | None = None,
    **params: Any,
) -> Model:
    """Add the python_function flavor to ``model``, as MLflow's ``add_to_model`` does.

    ``code`` and ``data`` are only written when set; flavors that want an
    explicit ``code: null`` (MLflow's custom-model flavor does) pass it in ``params``.
    """
    conf = dict(params)
    conf[LOADER_MODULE] = loader_module
    conf[PY_VERSION] = python_version()
    if code:
        conf[CODE] = code
    if data:
        conf[DATA] = data
    conf[ENV] = {"conda": CONDA_ENV_FILE_NAME, "virtualenv": PYTHON_ENV_FILE_NAME}
    return model.add_flavor(FLAVOR_NAME, **conf)


__all__ = [
    "CODE",
    "DATA",
    "ENV",
    "FLAVOR_NAME",
    "LOADER_MODULE",
    "PREDICT_FN",
    "PY_VERSION",
    "add_to_model",
]
