"""Registry-owned copies of model version files, with SHA-256 manifests.

When a version is created from files the registry can read (a run's artifacts, a
logged model, the artifact proxy, or a local folder when embedded), those files are
copied under ``_registry/<uuid>/`` in the artifact store and hashed. The version's
download URI points at that copy, so later changes to the run's artifacts cannot
change a registered version. Sources the registry cannot read (another bucket, a
URL) are recorded as references, with no copy and no manifest.
"""

from __future__ import annotations

import os
import posixpath
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from modelreg.artifacts import ArtifactStore, open_artifact_store, safe_relative_path
from modelreg.errors import InvalidArgument
from modelreg.limits import DEFAULT_COPY_LIMITS, CopyLimits
from modelreg.service.artifact_locations import PROXY_ROOT, ArtifactLocations

REGISTRY_PREFIX = "_registry"
# The artifact proxy's path to a version's files: resolved through the version row, so
# a copy is only ever reachable through a version that exists.
VERSIONS_PREFIX = "_model-versions"
# A model directory holds this file at its root (MLflow's model format).
MLMODEL = "MLmodel"


def is_registry_copy(location: str) -> bool:
    return location == REGISTRY_PREFIX or location.startswith(REGISTRY_PREFIX + "/")


def version_files_uri(name: str, version: int) -> str:
    """``mlflow-artifacts:/_model-versions/<name>/<version>`` (the name percent-quoted)."""
    return f"{PROXY_ROOT}/{VERSIONS_PREFIX}/{quote(name, safe='')}/{version}"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A registry copy: where it lives (relative to the root) and what it holds."""

    location: str
    manifest: dict[str, str]


@dataclass(frozen=True, slots=True)
class SourceFiles:
    """Where a version's source files are: inside the artifact root, or a local folder."""

    root_relative: str | None = None
    local_dir: Path | None = None


class Snapshotter:
    """Copies sources into registry-owned storage and hashes them, within ``limits``."""

    def __init__(
        self,
        store: ArtifactStore,
        locations: ArtifactLocations,
        limits: CopyLimits = DEFAULT_COPY_LIMITS,
    ) -> None:
        self.store = store
        self.locations = locations
        self.limits = limits

    def classify(self, location: str) -> SourceFiles | None:
        """Map a resolved artifact location to files the registry can copy, if any.

        The registry's own copies are never a source (whatever form names them).
        """
        found = self._classify(location)
        if found is not None and found.root_relative is not None:
            head = found.root_relative.split("/", 1)[0]
            if head in (REGISTRY_PREFIX, VERSIONS_PREFIX):
                raise InvalidArgument(
                    f"Invalid model version source {location[:200]!r}: the registry's copies "
                    "of model versions cannot be a source; register from "
                    "models:/<name>/<version> instead."
                )
        return found

    def _classify(self, location: str) -> SourceFiles | None:
        if not location:
            return None
        parts = urlsplit(location)
        if not parts.scheme and not location.startswith("/"):
            return SourceFiles(root_relative=safe_relative_path(location))
        if location.startswith(PROXY_ROOT):
            return SourceFiles(
                root_relative=safe_relative_path(location.removeprefix(PROXY_ROOT).lstrip("/"))
            )
        relative = self._under_root(location)
        if relative is not None:
            return SourceFiles(root_relative=relative)
        if parts.scheme in ("", "file"):
            path = Path(unquote(parts.path) if parts.scheme == "file" else location)
            if not self.locations.allow_external:
                raise InvalidArgument(
                    f"Invalid model version source {location!r}: local paths outside this "
                    "server's artifact store cannot be registered. Log the model to a run "
                    "(runs:/…) or a logged model (models:/m-…) instead."
                )
            return SourceFiles(local_dir=path)
        return None

    def _under_root(self, location: str) -> str | None:
        root = self.store.root_uri.rstrip("/")
        candidates = {root, root.removeprefix("file://")}
        for prefix in candidates:
            if prefix and (location == prefix or location.startswith(prefix + "/")):
                return safe_relative_path(location[len(prefix) :].lstrip("/"))
        return None

    def holds_model(self, files: SourceFiles) -> bool | None:
        """Whether the source is a model directory (an ``MLmodel`` at its root).

        None when it is not a directory at all (:meth:`snapshot` says what then).
        """
        if files.root_relative is not None:
            if not self.store.is_dir(files.root_relative):
                return None
            return self.store.exists(posixpath.join(files.root_relative, MLMODEL))
        if files.local_dir is not None:
            if not files.local_dir.is_dir():
                return None
            return (files.local_dir / MLMODEL).is_file()
        return None

    @staticmethod
    def new_location() -> str:
        return posixpath.join(REGISTRY_PREFIX, uuid.uuid4().hex)

    def snapshot(self, files: SourceFiles, target: str | None = None) -> Snapshot | None:
        """Copy ``files`` under ``target`` (default: a new ``_registry/<uuid>``); None if
        there is nothing to copy."""
        target = target or self.new_location()
        if files.root_relative is not None:
            if not self.store.is_dir(files.root_relative):
                if self.store.exists(files.root_relative):
                    raise InvalidArgument(
                        f"Model version source {files.root_relative!r} is a file; a model "
                        "version source must be a directory (an MLmodel folder)."
                    )
                return None
            # Measured from one listing before anything is written: a refused copy
            # leaves nothing behind.
            count, size = self.store.usage(files.root_relative)
            self._check_size(files.root_relative, count, size, exact=True)
            self.store.copy_tree(files.root_relative, target)
        elif files.local_dir is not None:
            if not files.local_dir.is_dir():
                raise InvalidArgument(
                    f"Model version source {str(files.local_dir)!r} is not an existing directory."
                )
            count, size = _local_usage(files.local_dir, self.limits)
            self._check_size(str(files.local_dir), count, size, exact=False)
            self.store.upload_tree(str(files.local_dir), target)
        else:
            return None
        return Snapshot(location=target, manifest=self.store.sha256_tree(target))

    def _check_size(self, shown: str, count: int, size: int, *, exact: bool) -> None:
        limits = self.limits
        if count <= limits.max_files and size <= limits.max_bytes:
            return
        holds = (
            f"{count:,} files ({_human(size)})"
            if exact
            else f"more than {limits.max_files:,} files"
            if count > limits.max_files
            else f"more than {_human(limits.max_bytes)}"
        )
        raise InvalidArgument(
            f"Invalid model version source {shown[:200]!r}: it holds {holds}, more than one "
            f"registration may copy ({limits.max_files:,} files and {_human(limits.max_bytes)}; "
            "the server's MODELREG_MAX_COPY_FILES and MODELREG_MAX_COPY_BYTES). Register "
            "the model's own directory, the folder with its MLmodel file."
        )

    def discard(self, location: str | None) -> None:
        """Remove a registry copy (after a failed create, or when its version is deleted)."""
        if location and location.startswith(REGISTRY_PREFIX + "/"):
            self.store.delete(location)


def open_snapshotter(
    locations: ArtifactLocations, store_uri: str, limits: CopyLimits = DEFAULT_COPY_LIMITS
) -> Snapshotter:
    return Snapshotter(open_artifact_store(store_uri), locations, limits)


def _local_usage(folder: Path, limits: CopyLimits) -> tuple[int, int]:
    """Files and bytes under ``folder`` as ``upload_tree`` walks it, stopping past a limit."""
    count = size = 0
    for dirpath, _dirnames, filenames in os.walk(folder):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.isfile(path):
                continue
            count += 1
            size += os.path.getsize(path)
            if count > limits.max_files or size > limits.max_bytes:
                return count, size
    return count, size


def _human(size: int) -> str:
    """``10737418240`` → ``10 GiB``; ``1536`` → ``1.5 KiB``; ``12`` → ``12 bytes``."""
    if size < 1024:
        return f"{size:,} bytes"
    value = size / 1024
    units = ["KiB", "MiB", "GiB", "TiB"]
    while value >= 1024 and len(units) > 1:
        value /= 1024
        units.pop(0)
    return f"{f'{value:.1f}'.removesuffix('.0')} {units[0]}"
