"""Optional heavy dependencies, imported only when a flavor really needs them.

The client must import fast (DESIGN.md, "Performance budget"), so nothing under
``modelreg.models``, ``modelreg.pyfunc`` or ``modelreg.sklearn`` imports numpy,
pandas or scipy at module load. Type probes look in ``sys.modules`` instead: if
pandas was never imported, no object can be a DataFrame, so there is no reason
to import it just to ask.

Modules come back as :class:`types.ModuleType`, whose attributes are ``Any`` to
mypy. That is deliberate: pandas ships no type information, and numpy's would
make every array expression here a typing exercise with no safety gain.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

from modelreg.errors import InvalidArgument

# Which extra provides each optional module, for the install hint.
_EXTRA_FOR = {"numpy": "sklearn", "pandas": "sklearn", "scipy": "sklearn"}


def require(name: str, purpose: str) -> ModuleType:
    """Import ``name`` or raise :class:`InvalidArgument` saying how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        extra = _EXTRA_FOR.get(name)
        hint = f" (pip install 'modelreg[{extra}]')" if extra else ""
        raise InvalidArgument(f"{purpose} needs the '{name}' package{hint}") from exc


def numpy() -> ModuleType:
    """numpy, imported now; every caller already deals with numpy data."""
    return require("numpy", "this operation")


def pandas() -> ModuleType:
    """pandas, imported now; only column-based schemas and DataFrames need it."""
    return require("pandas", "column-based model data")


def loaded(name: str) -> ModuleType | None:
    """The module if something already imported it, else None (never imports)."""
    return sys.modules.get(name)


def is_ndarray(obj: Any) -> bool:
    np = loaded("numpy")
    return np is not None and isinstance(obj, np.ndarray)


def is_numpy_scalar(obj: Any) -> bool:
    np = loaded("numpy")
    return np is not None and isinstance(obj, np.generic)


def is_dataframe(obj: Any) -> bool:
    pd = loaded("pandas")
    return pd is not None and isinstance(obj, pd.DataFrame)


def is_series(obj: Any) -> bool:
    pd = loaded("pandas")
    return pd is not None and isinstance(obj, pd.Series)


def sparse_kind(obj: Any) -> str | None:
    """``"csr"`` or ``"csc"`` for scipy sparse matrices, else None."""
    sparse = loaded("scipy.sparse")
    if sparse is None:
        return None
    if isinstance(obj, sparse.csr_matrix):
        return "csr"
    if isinstance(obj, sparse.csc_matrix):
        return "csc"
    return None
