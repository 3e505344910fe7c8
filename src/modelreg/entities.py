"""Frozen value objects returned by every modelreg API.

Attribute names follow MLflow's entities (``mv.current_stage``, ``rm.latest_versions``),
so code written against ``mlflow.MlflowClient`` keeps working. Versions are ``int``
and timestamps are milliseconds since the epoch.
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


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One numbered version of a registered model."""

    name: str
    version: int
    creation_timestamp: int
    last_updated_timestamp: int
    current_stage: str = STAGE_NONE
    description: str = ""
    source: str = ""
    run_id: str | None = None
    run_link: str = ""
    status: str = STATUS_READY
    status_message: str | None = None
    user_id: str | None = None
    model_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    storage_location: str | None = None


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    """A named model: its metadata, tags, aliases and latest version per stage."""

    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str = ""
    user_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, int] = field(default_factory=dict)
    latest_versions: tuple[ModelVersion, ...] = ()


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
