"""Where loaders turn model URIs into local directories.

The resolver registry lives in :mod:`modelreg.models.resolve`; this name is kept
so code written against ``modelreg.pyfunc._resolve`` finds the same functions.
"""

from __future__ import annotations

from modelreg.models.resolve import register_resolver, resolve_to_local_dir

__all__ = ["register_resolver", "resolve_to_local_dir"]
