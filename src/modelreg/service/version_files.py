"""A registered version's files as people look at them: sizes, hashes, integrity, MLmodel.

The registry copied the version's files into its own storage (``_registry/<uuid>``) and
recorded a SHA-256 manifest (:mod:`modelreg.models.manifest`). Here the manifest is
listed page by page with each file's size; :meth:`VersionFiles.verify` re-hashes the
stored copy (every byte: an explicit action, never part of a page view) and compares.
The version's ``MLmodel`` gives its signature and the name of its input example.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from modelreg.artifacts import ArtifactStore
from modelreg.errors import InvalidArgument, NotFound, RegistryError
from modelreg.models.mlmodel import Model
from modelreg.service.registry import RegistryService

FILES_PAGE: Final = 50
# An input example larger than this is linked, not shown inline.
EXAMPLE_MAX_BYTES: Final = 64 * 1024
MLMODEL_MAX_BYTES: Final = 1024 * 1024

FileState = Literal["recorded", "ok", "changed", "missing", "unexpected"]


@dataclass(frozen=True, slots=True)
class VersionFile:
    path: str
    size: int | None
    sha256: str | None
    state: FileState


@dataclass(frozen=True, slots=True)
class FilePage:
    """One page of a version's files; ``copied`` is False when the source is external."""

    copied: bool
    files: list[VersionFile]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    """The stored copy compared with the manifest: ``intact`` when nothing differs."""

    checked: bool
    intact: bool
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ModelCard:
    """What the version's MLmodel says; every field may be absent."""

    flavors: list[str] = field(default_factory=list)
    signature_inputs: list[dict[str, Any]] = field(default_factory=list)
    signature_outputs: list[dict[str, Any]] = field(default_factory=list)
    signature_params: list[dict[str, Any]] = field(default_factory=list)
    input_example: str | None = None
    input_example_note: str | None = None
    problem: str | None = None


class VersionFiles:
    """Files, integrity and MLmodel of registered versions, read through the registry."""

    def __init__(self, registry: RegistryService, store: ArtifactStore) -> None:
        self.registry = registry
        self.store = store

    def _location_and_manifest(
        self, name: str, version: int | str
    ) -> tuple[str | None, dict[str, str]]:
        found = self.registry.get_model_version(name, version)
        manifest = self.registry.get_model_version_manifest(name, version) or {}
        return found.storage_location, manifest

    def overview(
        self, name: str, version: int | str, offset: int = 0, limit: int = FILES_PAGE
    ) -> tuple[FilePage, ModelCard]:
        """A page of files and the model card, from one lookup of the version."""
        location, manifest = self._location_and_manifest(name, version)
        return self._files(location, manifest, offset, limit), self._model_card(location)

    def files(
        self, name: str, version: int | str, offset: int = 0, limit: int = FILES_PAGE
    ) -> FilePage:
        """The manifest's files from ``offset``, each with its stored size."""
        location, manifest = self._location_and_manifest(name, version)
        return self._files(location, manifest, offset, limit)

    def _files(
        self, location: str | None, manifest: dict[str, str], offset: int, limit: int
    ) -> FilePage:
        if offset < 0:
            raise InvalidArgument("The files page offset must be 0 or more.")
        if not location:
            return FilePage(False, [], 0, 0, limit)
        paths = sorted(manifest)[offset : offset + limit]
        rows = []
        for path in paths:
            try:
                size: int | None = self.store.size(posixpath.join(location, path))
                state: FileState = "recorded"
            except NotFound:
                size, state = None, "missing"
            rows.append(VersionFile(path, size, manifest[path], state))
        return FilePage(True, rows, len(manifest), offset, limit)

    def verify(self, name: str, version: int | str) -> IntegrityReport:
        """Hash every stored file and compare with the manifest (reads every byte)."""
        location, manifest = self._location_and_manifest(name, version)
        if not location:
            return IntegrityReport(checked=False, intact=False)
        actual = self.store.sha256_tree(location)
        changed = sorted(p for p, h in manifest.items() if p in actual and actual[p] != h.lower())
        missing = sorted(set(manifest) - set(actual))
        unexpected = sorted(set(actual) - set(manifest))
        return IntegrityReport(
            checked=True,
            intact=not (changed or missing or unexpected),
            changed=changed,
            missing=missing,
            unexpected=unexpected,
        )

    def model_card(self, name: str, version: int | str) -> ModelCard:
        """Flavors, signature and input example from the stored MLmodel."""
        return self._model_card(self._location_and_manifest(name, version)[0])

    def _model_card(self, location: str | None) -> ModelCard:
        if not location:
            return ModelCard(problem="The registry holds no copy of this version's files.")
        try:
            text = self._read_text(posixpath.join(location, "MLmodel"), MLMODEL_MAX_BYTES)
            if text is None:
                return ModelCard(problem="MLmodel is too large to show.")
            model = Model.from_yaml(text)
        except NotFound:
            return ModelCard(problem="This version has no MLmodel file.")
        except RegistryError as error:
            return ModelCard(problem=f"MLmodel cannot be read: {error}")
        signature = model.signature.to_dict() if model.signature is not None else {}
        example, note = self._example(location, model.saved_input_example_info)
        return ModelCard(
            flavors=sorted(model.flavors),
            signature_inputs=_columns(signature.get("inputs")),
            signature_outputs=_columns(signature.get("outputs")),
            signature_params=_columns(signature.get("params")),
            input_example=example,
            input_example_note=note,
        )

    def _example(self, location: str, info: dict[str, Any] | None) -> tuple[str | None, str | None]:
        if not info or not isinstance(info.get("artifact_path"), str):
            return None, None
        try:
            path = posixpath.join(location, info["artifact_path"])
            text = self._read_text(path, EXAMPLE_MAX_BYTES)
        except RegistryError:
            return None, "The input example file cannot be read."
        if text is None:
            return None, f"The input example is larger than {EXAMPLE_MAX_BYTES // 1024} KiB."
        try:
            return json.dumps(json.loads(text), indent=2, sort_keys=True), None
        except ValueError:
            return text, None

    def _read_text(self, path: str, limit: int) -> str | None:
        with self.store.open_read(path) as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            return None
        return data.decode("utf-8", errors="replace")


def _columns(spec: object) -> list[dict[str, Any]]:
    """A signature's inputs/outputs/params as a list of column dicts (JSON text or a list)."""
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except ValueError:
            return []
    if not isinstance(spec, list):
        return []
    return [c for c in spec if isinstance(c, dict)]
