"""A signature inferred from an input example and the model's prediction on it.

Its own module because it joins the layers below it: the example
(:mod:`.input_example`), schema inference (:mod:`.signature`) and enforcement
(:mod:`.enforce`). Keeping it out of ``signature`` leaves the models package without
import cycles (import-linter checks the order in pyproject.toml).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from copy import deepcopy
from typing import Any

from modelreg.models import _lazy
from modelreg.models.enforce import enforce_input, enforce_params
from modelreg.models.input_example import SavedExample
from modelreg.models.signature import (
    ModelSignature,
    infer_param_schema,
    infer_schema,
    infer_schema_or_any,
)

logger = logging.getLogger(__name__)


def infer_signature_from_example(
    example: SavedExample, predict: Callable[[Any, dict[str, Any] | None], Any]
) -> ModelSignature | None:
    """Input schema from the example, output schema from ``predict`` on it.

    Used by ``save_model`` when no signature was given. Like MLflow, any failure
    only logs a warning and saves the model without a signature.
    """
    try:
        data = deepcopy(example.data)  # predict() may mutate its input
        input_schema = infer_schema(data)
        params_schema = infer_param_schema(example.params) if example.params else None
        # Feed predict() what pyfunc would feed it after loading.
        data = enforce_input(data, input_schema)
        params = enforce_params(example.params, params_schema)
        prediction = predict(data, params)
        if (
            not input_schema.is_tensor_spec()
            and _lazy.is_ndarray(prediction)
            and prediction.ndim == 1
        ):
            # Row-wise predictions of a table are one unnamed column, not a tensor.
            prediction = _lazy.pandas().Series(prediction)
        return ModelSignature(
            input_schema, infer_schema_or_any(prediction, "outputs"), params_schema
        )
    except Exception as exc:
        logger.warning(
            "Failed to infer the model signature from the input example (%r); "
            "the model is saved without one",
            exc,
            exc_info=logger.isEnabledFor(logging.DEBUG),
        )
        return None
