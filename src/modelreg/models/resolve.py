"""Turn a model URI into a local model directory, through pluggable resolvers.

Loaders (``modelreg.pyfunc.load_model``, ``modelreg.sklearn.load_model``) accept
a URI and call :func:`resolve_to_local_dir`. Built in are plain local paths and
``file://`` URIs; the client registers resolvers for the schemes it serves
(``models:/``, ``runs:/``, ``mlflow-artifacts:/``, ``s3://``, ...) with
:func:`register_resolver`. A resolver receives the full URI string and returns
an existing local path, a directory for a model (downloading, and verifying a
manifest, as it sees fit). :func:`resolve_to_local_path` also accepts files;
custom-model ``artifacts`` go through it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

from modelreg.errors import InvalidArgument, NotFound

Resolver = Callable[[str], Path]

_RESOLVERS: dict[str, Resolver] = {}
# "c:\models" is a path, not a URI with scheme "c"; a scheme has 2+ characters.
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):")


def register_resolver(scheme: str, resolver: Resolver) -> None:
    """Make ``resolver`` handle URIs of ``scheme`` (replacing any earlier one)."""
    key = scheme.lower().rstrip(":/")
    if not _SCHEME.match(key + ":"):
        raise InvalidArgument(f"Invalid URI scheme {scheme!r}")
    _RESOLVERS[key] = resolver


def unregister_resolver(scheme: str) -> None:
    _RESOLVERS.pop(scheme.lower().rstrip(":/"), None)


def supported_schemes() -> list[str]:
    """Schemes that resolve, local paths aside."""
    return sorted({"file", *_RESOLVERS})


def resolve_to_local_dir(uri: str | os.PathLike[str]) -> Path:
    """The local directory holding the model at ``uri``.

    Raises :class:`InvalidArgument` for a scheme no resolver handles (listing the
    supported ones) and :class:`NotFound` when the result is not a directory.
    """
    path = resolve_to_local_path(uri)
    if not path.is_dir():
        raise NotFound(f"No model directory at '{path}' (resolved from {os.fspath(uri)!r})")
    return path


def resolve_to_local_path(uri: str | os.PathLike[str]) -> Path:
    """The existing local file or directory that ``uri`` names."""
    if isinstance(uri, os.PathLike):
        return _existing(Path(uri))
    match = _SCHEME.match(uri)
    if match is None:
        return _existing(Path(uri))
    scheme = match.group(1).lower()
    if scheme in _RESOLVERS:
        return _existing(_RESOLVERS[scheme](uri))
    if scheme == "file":
        return _existing(_file_uri_path(uri))
    raise InvalidArgument(
        f"Cannot load from {uri!r}: unsupported URI scheme {scheme!r}. "
        f"Supported: local paths and {', '.join(s + ':' for s in supported_schemes())}"
    )


def _file_uri_path(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.netloc not in ("", "localhost"):
        raise InvalidArgument(f"file URI {uri!r} names a remote host; only local files resolve")
    return Path(unquote(parsed.path))


def _existing(path: Path) -> Path:
    path = path.expanduser()
    if not path.exists():
        raise NotFound(f"Nothing exists at '{path}'")
    return path


__all__ = [
    "Resolver",
    "register_resolver",
    "resolve_to_local_dir",
    "resolve_to_local_path",
    "supported_schemes",
    "unregister_resolver",
]
