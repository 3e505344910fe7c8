"""Frozen value objects for experiments, runs, metrics, datasets and logged models.

Shapes and attribute names follow MLflow's (``run.info.run_id``, ``run.data.params``,
``logged_model.model_id``) so tracking code ports by changing imports; field types and
empty values are those the real ``mlflow`` client returns over REST (lists, dicts, ``""``
for an unset ``source_run_id``, :class:`LoggedModelStatus` for a logged model's status).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

LIFECYCLE_ACTIVE = "active"
LIFECYCLE_DELETED = "deleted"

RUN_STATUSES: tuple[str, ...] = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
TERMINAL_RUN_STATUSES: tuple[str, ...] = ("FINISHED", "FAILED", "KILLED")

LOGGED_MODEL_PENDING = "LOGGED_MODEL_PENDING"
LOGGED_MODEL_READY = "LOGGED_MODEL_READY"
LOGGED_MODEL_FAILED = "LOGGED_MODEL_UPLOAD_FAILED"
LOGGED_MODEL_STATUSES: tuple[str, ...] = (
    LOGGED_MODEL_PENDING,
    LOGGED_MODEL_READY,
    LOGGED_MODEL_FAILED,
)

DEFAULT_EXPERIMENT_ID = "0"


class LoggedModelStatus(enum.StrEnum):
    """A logged model's status, as ``mlflow.entities.LoggedModelStatus`` (``== "READY"``).

    The wire and the database spell them as the proto's names (``LOGGED_MODEL_READY``);
    :meth:`from_wire` and :attr:`wire_name` convert.
    """

    UNSPECIFIED = "UNSPECIFIED"
    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"

    @property
    def wire_name(self) -> str:
        return _STATUS_WIRE_NAMES[self]

    @classmethod
    def from_wire(cls, name: str) -> LoggedModelStatus:
        return _STATUS_FROM_WIRE.get(name, cls.UNSPECIFIED)


_STATUS_WIRE_NAMES: dict[LoggedModelStatus, str] = {
    LoggedModelStatus.UNSPECIFIED: "LOGGED_MODEL_STATUS_UNSPECIFIED",
    LoggedModelStatus.PENDING: LOGGED_MODEL_PENDING,
    LoggedModelStatus.READY: LOGGED_MODEL_READY,
    LoggedModelStatus.FAILED: LOGGED_MODEL_FAILED,
}
_STATUS_FROM_WIRE = {name: status for status, name in _STATUS_WIRE_NAMES.items()}


@dataclass(frozen=True, slots=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    creation_time: int
    last_update_time: int
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric value; the arguments in the order of ``mlflow.entities.Metric``.

    ``dataset_name`` and ``dataset_digest`` name the dataset the value was computed on
    (both or neither); ``run_id`` is filled in when read back.
    """

    key: str
    value: float
    timestamp: int
    step: int = 0
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class RunTag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None


@dataclass(frozen=True, slots=True)
class DatasetInput:
    dataset: Dataset
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LoggedModelInput:
    """A logged model a run used as an input (``mlflow.entities.LoggedModelInput``)."""

    model_id: str


@dataclass(frozen=True, slots=True)
class LoggedModelOutput:
    model_id: str
    step: int


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    user_id: str | None
    status: str
    start_time: int
    end_time: int | None
    lifecycle_stage: str
    artifact_uri: str

    @property
    def run_uuid(self) -> str:
        return self.run_id


@dataclass(frozen=True, slots=True)
class RunData:
    metrics: Mapping[str, float] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    # Latest Metric objects (with step and timestamp), in key order, for the wire.
    metric_objects: tuple[Metric, ...] = ()


@dataclass(frozen=True, slots=True)
class RunInputs:
    dataset_inputs: list[DatasetInput] = field(default_factory=list)
    model_inputs: list[LoggedModelInput] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RunOutputs:
    model_outputs: list[LoggedModelOutput] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Run:
    info: RunInfo
    data: RunData = field(default_factory=RunData)
    inputs: RunInputs = field(default_factory=RunInputs)
    outputs: RunOutputs = field(default_factory=RunOutputs)


@dataclass(frozen=True, slots=True)
class LoggedModel:
    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    creation_timestamp: int
    last_updated_timestamp: int
    status: LoggedModelStatus
    status_message: str = ""
    model_type: str = ""
    source_run_id: str = ""
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)

    @property
    def model_uri(self) -> str:
        return f"models:/{self.model_id}"


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One artifact listing entry, shaped like MLflow's ``FileInfo``.

    ``path`` is relative to the root listed from (as MLflow's artifact repositories
    list it, e.g. ``"model/MLmodel"`` when listing ``"model"``); ``file_size`` is
    ``None`` for directories.
    """

    path: str
    is_dir: bool
    file_size: int | None


class ArtifactListing(list[FileInfo]):
    """One folder of a run's or logged model's artifacts: a plain list of
    :class:`FileInfo` (paths relative to the artifact root) whose ``root_uri`` is
    that root, as MLflow's ``artifacts/list`` answers."""

    def __init__(self, files: Iterable[FileInfo], root_uri: str) -> None:
        super().__init__(files)
        self.root_uri = root_uri


@dataclass(frozen=True, slots=True)
class Lineage:
    """Everything known about where a model version came from, in one object."""

    name: str
    version: str
    source: str
    run: Run | None
    logged_model: LoggedModel | None
    git_commit: str | None
    datasets: list[DatasetInput] = field(default_factory=list)
    # With --auth: the version names a run / logged model the reader may not read. It
    # exists and is hidden; nothing else about it is shown (run and logged_model: None).
    hidden_run_id: str | None = None
    hidden_logged_model_id: str | None = None
