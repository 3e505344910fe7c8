"""Frozen value objects returned by every modelreg API.

Attribute names follow MLflow's entities (``mv.current_stage``, ``rm.latest_versions``),
so code written against ``mlflow.MlflowClient`` keeps working, and field types and
empty values are the ones the real ``mlflow`` client returns over REST: ``version`` is
a ``str`` (``"3"``), an unset ``run_id`` or ``user_id`` is ``""``, ``tags`` a dict,
version ``aliases`` a list, a model's ``aliases`` a dict of alias to version string.
Timestamps are milliseconds since the epoch. (The service and store count versions
as ``int``; :func:`version_text` is the one conversion.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")

STAGE_NONE = "None"
STAGE_STAGING = "Staging"
STAGE_PRODUCTION = "Production"
STAGE_ARCHIVED = "Archived"
STAGES: tuple[str, ...] = (STAGE_NONE, STAGE_STAGING, STAGE_PRODUCTION, STAGE_ARCHIVED)
ACTIVE_STAGES: tuple[str, ...] = (STAGE_STAGING, STAGE_PRODUCTION)

STATUS_READY = "READY"


def version_text(number: int) -> str:
    """A version number as the entities carry it (MLflow's wire type is a string)."""
    return str(number)


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One numbered version of a registered model."""

    name: str
    version: str
    creation_timestamp: int
    last_updated_timestamp: int
    current_stage: str = STAGE_NONE
    description: str = ""
    source: str = ""
    run_id: str = ""
    run_link: str = ""
    status: str = STATUS_READY
    status_message: str | None = None
    user_id: str = ""
    model_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    # Where the registry's copy of the files is (internal; never sent over the wire).
    storage_location: str | None = None

    @property
    def number(self) -> int:
        """The version as an ``int`` (modelreg extension; ``version`` is MLflow's str)."""
        return int(self.version)


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    """A named model: its metadata, tags, aliases and latest version per stage."""

    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str = ""
    user_id: str = ""  # modelreg extension: who created it ("" when unknown)
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> version, as "3"
    latest_versions: list[ModelVersion] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Event:
    """One row of the event log: the audit history and the webhook outbox."""

    id: int
    timestamp: int
    actor: str
    type: str
    model_name: str | None
    version: int | None
    payload: Mapping[str, Any]
    schema_version: int = 1


class PagedList(list[T], Generic[T]):
    """A page of results; ``token`` fetches the next page and is ``None`` on the last.

    Behaves like MLflow's ``PagedList``: a plain list with a ``token`` attribute.
    """

    def __init__(self, items: Iterable[T], token: str | None) -> None:
        super().__init__(items)
        self.token = token

    def to_list(self) -> list[T]:
        return list(self)

    def __iter__(self) -> Iterator[T]:
        return super().__iter__()
