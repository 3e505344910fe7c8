"""What a model version's ``source`` may name (issue 8; mlflow 3.18's rules and ours).

A source is stored and handed to every client that loads the version, and the files
behind it are copied with the caller's rights, so it must not point where the caller
could not go by itself:

* no ``..`` segment, after percent-decoding as often as it decodes
  (``http://host/models/../../``, ``s3a://b/x/../../``, ``dbfs:/x/a%3f/../../``);
  ``....`` is a name, not a traversal;
* an artifact-proxy source (``mlflow-artifacts:``) names no host: the files are on this
  server's proxy or nowhere;
* never the registry's own copies (``_registry/…``, ``_model-versions/…``): a version's
  files are reached through that version, and a new version shares them only through
  ``models:/<name>/<version>``, which checks that the caller may read that model;
* a source whose files the registry does not copy (``http://…``, ``s3://other-bucket``,
  ``C:\\…``) is only a URI that every client loading the version downloads from, so
  it is stored only when its scheme is one the server accepts as an external
  reference (``--allowed-source-schemes``; none by default on a server).
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote, urlsplit

from modelreg.errors import InvalidArgument
from modelreg.service.artifact_locations import PROXY_ROOT
from modelreg.service.snapshots import REGISTRY_PREFIX, VERSIONS_PREFIX

_SEPARATORS: Final = re.compile(r"[/\\?#;]")
_DECODE_ROUNDS: Final = 4
_COPY_PREFIXES: Final = (REGISTRY_PREFIX, VERSIONS_PREFIX)


def _decoded(text: str) -> str:
    for _ in range(_DECODE_ROUNDS):
        once = unquote(text)
        if once == text:
            break
        text = once
    return text


def _refused(source: str, why: str) -> InvalidArgument:
    shown = source if len(source) <= 200 else source[:200] + "…"
    return InvalidArgument(f"Invalid model version source: '{shown}'. {why}")


def is_registry_copy_path(relative: str) -> bool:
    """Whether an artifact-root-relative path is inside the registry's copies."""
    head = relative.lstrip("/").split("/", 1)[0]
    return head in _COPY_PREFIXES


def check_source(source: str) -> None:
    """Refuse a source that traverses, names another proxy host, or a registry copy."""
    decoded = _decoded(source)
    if ".." in _SEPARATORS.split(decoded):
        raise _refused(source, "Sources must not contain '..' path segments.")
    if decoded.lower().startswith(PROXY_ROOT):
        parts = urlsplit(decoded)
        if parts.netloc:
            raise _refused(
                source,
                "An mlflow-artifacts: source must not name a host: it is a path on this "
                "server's artifact proxy (mlflow-artifacts:/<path>).",
            )
        if is_registry_copy_path(parts.path):
            raise _refused(source, _COPY_WHY)
    elif not urlsplit(decoded).scheme and is_registry_copy_path(decoded):
        raise _refused(source, _COPY_WHY)


# Sources the registry resolves itself (runs:/, models:/ are resolved before this).
_OWN_SCHEMES: Final = frozenset({"", "mlflow-artifacts", "runs", "models"})


def check_reference(source: str, allowed: frozenset[str] | None) -> None:
    """Refuse a source stored as a reference (not copied) whose scheme is not allowed.

    ``allowed`` None accepts any scheme (the embedded client's default).
    """
    if allowed is None:
        return
    scheme = urlsplit(source).scheme.lower()
    if scheme in _OWN_SCHEMES or scheme in allowed:
        return
    accepted = ", ".join(sorted(allowed)) if allowed else "none"
    what = (
        "a Windows path, which clients of this server cannot read"
        if len(scheme) == 1
        else f"a '{scheme}' URI that this server does not copy from"
    )
    raise _refused(
        source,
        f"It is {what}, and this server stores only these URI schemes as external "
        f"references: {accepted}. Register from the server's own artifacts (runs:/<run_id>/"
        "<path>, models:/<model_id>, models:/<name>/<version> or mlflow-artifacts:/<path>), "
        f"or have the operator allow the scheme with --allowed-source-schemes "
        f"(MODELREG_ALLOWED_SOURCE_SCHEMES).",
    )


_COPY_WHY: Final = (
    "The registry's copies of model versions cannot be a source; register from "
    "models:/<name>/<version> instead."
)
