"""The python_function flavor: load any supported model as a predictor, save custom models.

::

    model = modelreg.pyfunc.load_model("path/to/model")     # or file://, models:/...
    model.predict(data)

``load_model`` reads directories written by modelreg or by MLflow (scikit-learn
models and custom ``PythonModel`` models). ``save_model`` writes a custom
``PythonModel`` in MLflow's layout. Importing this package imports none of
numpy, pandas, scikit-learn, skops or cloudpickle.
"""

from __future__ import annotations

from modelreg.pyfunc.flavor import FLAVOR_NAME, add_to_model
from modelreg.pyfunc.loader import PyFuncModel, load_model
from modelreg.pyfunc.logging import log_model
from modelreg.pyfunc.model import PythonModel, PythonModelContext, save_model

__all__ = [
    "FLAVOR_NAME",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "add_to_model",
    "load_model",
    "log_model",
    "save_model",
]
