"""The ``MLmodel`` file: a model directory's YAML description.

Keys, nesting and omissions follow ``mlflow.models.Model.to_dict`` (mlflow-wire.md
§12), and keys are sorted as PyYAML sorts them, so the file reads the same as
one MLflow writes:

* always written: ``flavors``, ``model_id`` and ``model_uuid`` (both may be
  null), ``prompts``, ``utc_time_created``;
* written only when set: ``artifact_path``, ``run_id``, ``signature`` (together
  with ``is_signature_from_type_hint`` / ``type_hint_from_example``),
  ``saved_input_example_info``, ``metadata``, ``model_size_bytes``,
  ``mlflow_version``;
* anything else found in a file (``resources``, ``env_vars``, ``auth_policy``,
  ``databricks_runtime``, ...) is kept verbatim in ``extra`` and written back.

Versions: ``modelreg_version`` names the modelreg that wrote the file, and
``mlflow_version`` is set to the MLflow release whose layout modelreg writes
(``MLFLOW_FORMAT_VERSION``, the one the interchange tests load the files with).
MLflow's loader does not read ``mlflow_version``, but tools that display or
branch on it find a meaningful value rather than a missing key, and MLflow's
``Model`` keeps ``modelreg_version`` as an extra attribute.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from modelreg._version import __version__
from modelreg.errors import InvalidArgument, NotFound
from modelreg.models.signature import ModelSignature

MLMODEL_FILE_NAME: Final = "MLmodel"
# The MLflow release whose on-disk format modelreg writes and is tested against.
MLFLOW_FORMAT_VERSION: Final = "3.17.2"

_KNOWN_KEYS: Final = frozenset(
    {
        "artifact_path",
        "flavors",
        "is_signature_from_type_hint",
        "metadata",
        "mlflow_version",
        "model_id",
        "model_size_bytes",
        "model_uuid",
        "modelreg_version",
        "prompts",
        "run_id",
        "saved_input_example_info",
        "signature",
        "type_hint_from_example",
        "utc_time_created",
    }
)


def _now() -> str:
    # MLflow's format: str() of a naive UTC datetime, e.g. '2026-11-26 09:28:58.692911'.
    return str(dt.datetime.now(dt.UTC).replace(tzinfo=None))


def _new_uuid() -> str:
    return uuid.uuid4().hex


@dataclass
class Model:
    """What an ``MLmodel`` file says about a model directory."""

    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    artifact_path: str | None = None
    run_id: str | None = None
    model_id: str | None = None
    model_uuid: str | None = field(default_factory=_new_uuid)
    utc_time_created: str = field(default_factory=_now)
    mlflow_version: str | None = MLFLOW_FORMAT_VERSION
    modelreg_version: str | None = __version__
    signature: ModelSignature | None = None
    saved_input_example_info: dict[str, Any] | None = None
    model_size_bytes: int | None = None
    metadata: dict[str, Any] | None = None
    prompts: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def add_flavor(self, name: str, **params: Any) -> Model:
        """Set flavor ``name``'s configuration (replacing any) and return self."""
        self.flavors[name] = dict(params)
        return self

    def flavor(self, name: str) -> dict[str, Any]:
        """The configuration of flavor ``name``; :class:`NotFound` if absent."""
        conf = self.flavors.get(name)
        if conf is None:
            raise NotFound(
                f'Model does not have the "{name}" flavor (it has {sorted(self.flavors)})'
            )
        return conf

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = dict(self.extra)
        body.update(
            flavors=self.flavors,
            model_id=self.model_id,
            model_uuid=self.model_uuid,
            prompts=self.prompts,
            utc_time_created=self.utc_time_created,
        )
        optional = {
            "artifact_path": self.artifact_path,
            "run_id": self.run_id,
            "mlflow_version": self.mlflow_version,
            "modelreg_version": self.modelreg_version,
            "saved_input_example_info": self.saved_input_example_info,
            "model_size_bytes": self.model_size_bytes,
            "metadata": self.metadata,
        }
        body.update((key, value) for key, value in optional.items() if value is not None)
        if self.signature is not None:
            body["signature"] = self.signature.to_dict()
            body["is_signature_from_type_hint"] = self.signature.is_signature_from_type_hint
            body["type_hint_from_example"] = self.signature.type_hint_from_example
        return body

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> Model:
        flavors = body.get("flavors") or {}
        if not isinstance(flavors, Mapping) or not all(
            isinstance(conf, Mapping) for conf in flavors.values()
        ):
            raise InvalidArgument("MLmodel 'flavors' must map flavor names to mappings")
        signature = None
        if isinstance(body.get("signature"), Mapping):
            signature = ModelSignature.from_dict(body["signature"])
            signature.is_signature_from_type_hint = bool(body.get("is_signature_from_type_hint"))
            signature.type_hint_from_example = bool(body.get("type_hint_from_example"))
        size = body.get("model_size_bytes")
        # Absent keys stay absent: a file without a uuid gets no new one.
        return cls(
            flavors={str(name): dict(conf) for name, conf in flavors.items()},
            artifact_path=body.get("artifact_path"),
            run_id=body.get("run_id"),
            model_id=body.get("model_id"),
            model_uuid=body.get("model_uuid"),
            utc_time_created=str(body.get("utc_time_created") or _now()),
            mlflow_version=_str_or_none(body.get("mlflow_version")),
            modelreg_version=_str_or_none(body.get("modelreg_version")),
            signature=signature,
            saved_input_example_info=body.get("saved_input_example_info"),
            model_size_bytes=int(size) if size is not None else None,
            metadata=body.get("metadata"),
            prompts=body.get("prompts"),
            extra={k: v for k, v in body.items() if k not in _KNOWN_KEYS},
        )

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), default_flow_style=False)

    @classmethod
    def from_yaml(cls, text: str) -> Model:
        try:
            body = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidArgument(f"MLmodel is not valid YAML: {exc}") from exc
        if not isinstance(body, Mapping):
            raise InvalidArgument("MLmodel must be a YAML mapping")
        return cls.from_dict(body)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write to ``path``: an MLmodel file path, or a directory to write it into."""
        target = Path(path)
        if target.is_dir():
            target = target / MLMODEL_FILE_NAME
        target.write_text(self.to_yaml(), encoding="utf-8")
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """Read a model directory's MLmodel (or an MLmodel file given directly)."""
        source = Path(path)
        if source.is_dir():
            source = source / MLMODEL_FILE_NAME
        try:
            text = source.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NotFound(f'Could not find an "{MLMODEL_FILE_NAME}" file at "{source}"') from None
        return cls.from_yaml(text)


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


__all__ = ["MLFLOW_FORMAT_VERSION", "MLMODEL_FILE_NAME", "Model"]
