"""Describe the data a run used: ``modelreg.log_input(modelreg.data.from_numpy(X))``.

A dataset is recorded by name, digest, source and schema (not its contents), so the
lineage of a model version says exactly which data trained it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from modelreg.tracking_entities import Dataset

DIGEST_LENGTH = 8


def _digest(*parts: bytes) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    for part in parts:
        md5.update(part)
    return md5.hexdigest()[:DIGEST_LENGTH]


def _source(source: str | None) -> tuple[str, str]:
    if source is None:
        return "code", json.dumps({})
    kind = source.split(":", 1)[0] if "://" in source else "local"
    return kind, json.dumps({"uri": source})


def from_numpy(
    features: Any, source: str | None = None, name: str | None = None, targets: Any = None
) -> Dataset:
    """A dataset record for a numpy array (and optional targets)."""
    import numpy as np

    arrays = [np.ascontiguousarray(features)]
    if targets is not None:
        arrays.append(np.ascontiguousarray(targets))
    schema = {
        "mlflow_tensorspec": {
            "features": json.dumps([{"type": "tensor", "tensor-spec": _tensor_spec(arrays[0])}]),
            "targets": json.dumps([{"type": "tensor", "tensor-spec": _tensor_spec(arrays[1])}])
            if targets is not None
            else None,
        }
    }
    source_type, source_json = _source(source)
    digest = _digest(*(a.tobytes()[:10_000_000] for a in arrays), str(arrays[0].shape).encode())
    profile = {"features_shape": list(arrays[0].shape), "features_size": int(arrays[0].size)}
    return Dataset(
        name=name or "dataset",
        digest=digest,
        source_type=source_type,
        source=source_json,
        schema=json.dumps(schema),
        profile=json.dumps(profile),
    )


def _tensor_spec(array: Any) -> dict[str, Any]:
    return {"dtype": str(array.dtype), "shape": [-1, *array.shape[1:]]}


def from_pandas(
    df: Any, source: str | None = None, name: str | None = None, targets: str | None = None
) -> Dataset:
    """A dataset record for a pandas DataFrame (``targets`` names the label column)."""
    import pandas as pd

    hashed = pd.util.hash_pandas_object(df.head(100_000), index=False).values.tobytes()
    columns = [{"name": str(c), "type": str(t)} for c, t in df.dtypes.items()]
    source_type, source_json = _source(source)
    return Dataset(
        name=name or "dataset",
        digest=_digest(hashed, json.dumps(columns).encode()),
        source_type=source_type,
        source=source_json,
        schema=json.dumps({"mlflow_colspec": columns}),
        profile=json.dumps({"num_rows": len(df), "num_elements": int(df.size)}),
    )


def from_source(name: str, source: str, digest: str, schema: str | None = None) -> Dataset:
    """A dataset known only by where it lives (a table, a bucket path) and its digest."""
    source_type, source_json = _source(source)
    return Dataset(
        name=name, digest=digest, source_type=source_type, source=source_json, schema=schema
    )
