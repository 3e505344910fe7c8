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
  ``models:/<name>/<version>``, which checks that the caller may read that model.
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


_COPY_WHY: Final = (
    "The registry's copies of model versions cannot be a source; register from "
    "models:/<name>/<version> instead."
)
