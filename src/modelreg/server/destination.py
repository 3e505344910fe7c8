"""The start-up check of the artifacts destination: usable now, or no server at all.

A destination the server cannot write (``/proc/nope``, a read-only mount, a bucket it
has no rights to) used to be found by the first upload, which then answered 503 and
Retry-After, so the mlflow client retried for half a minute and failed with no hint.
The server now creates the folder, writes and removes a probe file before it binds its
port, and refuses to start with one line saying what is wrong.
"""

from __future__ import annotations

import os
import secrets

from modelreg.artifacts import ArtifactStore
from modelreg.artifacts.paths import parse_store_uri
from modelreg.errors import Misconfigured, RegistryError

PROBE_PREFIX = ".modelreg-probe-"


def check_artifacts_destination(store: ArtifactStore) -> None:
    """Raise :class:`Misconfigured` (one line) unless ``store`` takes a write and a delete."""
    shown = store.root_uri
    scheme, root = parse_store_uri(shown)
    if scheme == "file":
        try:
            os.makedirs(root, exist_ok=True)
        except OSError as error:
            raise Misconfigured(
                f"Cannot use the artifacts destination {root}: creating it failed "
                f"({error.strerror or error}). Choose a folder the server may write "
                "(--artifacts-destination)."
            ) from None
    probe = PROBE_PREFIX + secrets.token_hex(8)
    try:
        store.write_stream(probe, [b"modelreg start-up probe\n"])
        store.delete(probe)
    except RegistryError as error:
        raise Misconfigured(
            f"Cannot use the artifacts destination {shown}: writing a probe file failed "
            f"({error.message}). Choose a destination the server may write "
            "(--artifacts-destination)."
        ) from None
