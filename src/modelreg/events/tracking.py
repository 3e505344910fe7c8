"""Events of tracking: experiments, runs and logged models.

What is recorded, and why metric data points are not, is explained at the top of
docs/events.md (generated from :mod:`modelreg.events._base`).
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, ClassVar

from modelreg.events._base import DomainEvent, event


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ExperimentEvent(DomainEvent):
    AREA: ClassVar[str] = "tracking"
    experiment_id: Annotated[str, "The experiment's ID."]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RunEvent(DomainEvent):
    AREA: ClassVar[str] = "tracking"
    run_id: Annotated[str, "The run's ID."]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LoggedModelEvent(DomainEvent):
    AREA: ClassVar[str] = "tracking"
    model_id: Annotated[str, "The logged model's ID (`m-…`)."]


# ------------------------------------------------------------------ experiments
@event
class ExperimentCreated(ExperimentEvent):
    """An experiment was created."""

    TYPE: ClassVar[str] = "experiment.created"
    name: Annotated[str, "Its name."]
    artifact_location: Annotated[str, "Where its artifacts go, as stored."]
    tags: Annotated[dict[str, str], "Its tags."]


@event
class ExperimentRenamed(ExperimentEvent):
    """An experiment was renamed."""

    TYPE: ClassVar[str] = "experiment.renamed"
    name: Annotated[str, "The new name."]
    old_name: Annotated[str, "The name it had before."]


@event
class ExperimentDeleted(ExperimentEvent):
    """An experiment was deleted (moved to the `deleted` lifecycle stage)."""

    TYPE: ClassVar[str] = "experiment.deleted"


@event
class ExperimentRestored(ExperimentEvent):
    """A deleted experiment was restored."""

    TYPE: ClassVar[str] = "experiment.restored"


@event
class ExperimentTagSet(ExperimentEvent):
    """A tag of an experiment was set (created or overwritten)."""

    TYPE: ClassVar[str] = "experiment_tag.set"
    key: Annotated[str, "The tag's key."]
    value: Annotated[str, "The tag's new value."]


@event
class ExperimentTagDeleted(ExperimentEvent):
    """A tag of an experiment was deleted."""

    TYPE: ClassVar[str] = "experiment_tag.deleted"
    key: Annotated[str, "The tag's key."]


# ------------------------------------------------------------------------- runs
@event
class RunCreated(RunEvent):
    """A run was started."""

    TYPE: ClassVar[str] = "run.created"
    experiment_id: Annotated[str, "The experiment it belongs to."]
    run_name: Annotated[str, "Its name."]
    user_id: Annotated[str, "Who it says started it."]
    status: Annotated[str, "Its status (`RUNNING` unless given)."]
    start_time: Annotated[int, "When it started (ms since the epoch)."]
    tags: Annotated[dict[str, str], "Its tags, `mlflow.runName` included."]


@event
class RunUpdated(RunEvent):
    """A run's status, end time or name changed (how a run ends is recorded here)."""

    TYPE: ClassVar[str] = "run.updated"
    status: Annotated[str, "Its status after the change."]
    end_time: Annotated[int | None, "When it ended (ms since the epoch), if it has."]
    run_name: Annotated[str, "Its name after the change."]


@event
class RunDeleted(RunEvent):
    """A run was deleted (moved to the `deleted` lifecycle stage)."""

    TYPE: ClassVar[str] = "run.deleted"


@event
class RunRestored(RunEvent):
    """A deleted run was restored."""

    TYPE: ClassVar[str] = "run.restored"


@event
class RunParamsLogged(RunEvent):
    """Parameters were logged to a run (one event per call; params never change)."""

    TYPE: ClassVar[str] = "run_params.logged"
    params: Annotated[dict[str, str], "The parameters logged by this call (new keys only)."]


@event
class RunTagSet(RunEvent):
    """A tag of a run was set (created or overwritten)."""

    TYPE: ClassVar[str] = "run_tag.set"
    key: Annotated[str, "The tag's key."]
    value: Annotated[str, "The tag's new value."]


@event
class RunTagDeleted(RunEvent):
    """A tag of a run was deleted."""

    TYPE: ClassVar[str] = "run_tag.deleted"
    key: Annotated[str, "The tag's key."]


@event
class RunInputsLogged(RunEvent):
    """Datasets were linked to a run as its inputs."""

    TYPE: ClassVar[str] = "run_inputs.logged"
    datasets: Annotated[list[str], "Each dataset as `name@digest`."]


@event
class RunModelInputsLogged(RunEvent):
    """Logged models were linked to a run as its inputs (a fine-tuning run's base model)."""

    TYPE: ClassVar[str] = "run_model_inputs.logged"
    model_ids: Annotated[list[str], "The logged models' IDs."]


@event
class RunOutputsLogged(RunEvent):
    """Logged models were linked to a run as its outputs."""

    TYPE: ClassVar[str] = "run_outputs.logged"
    model_ids: Annotated[list[str], "The logged models' IDs."]


# ---------------------------------------------------------------- logged models
@event
class LoggedModelCreated(LoggedModelEvent):
    """A logged model was created (status `PENDING` until finalized)."""

    TYPE: ClassVar[str] = "logged_model.created"
    experiment_id: Annotated[str, "The experiment it belongs to."]
    name: Annotated[str, "Its name."]
    source_run_id: Annotated[str | None, "The run that produced it, if any."]
    model_type: Annotated[str | None, "Its type, if given."]
    params: Annotated[dict[str, str], "Its parameters."]
    tags: Annotated[dict[str, str], "Its tags."]


@event
class LoggedModelFinalized(LoggedModelEvent):
    """A logged model's upload finished (`READY`) or failed (`FAILED`)."""

    TYPE: ClassVar[str] = "logged_model.finalized"
    status: Annotated[str, "`READY` or `FAILED` (or `PENDING` if set back)."]


@event
class LoggedModelDeleted(LoggedModelEvent):
    """A logged model was deleted."""

    TYPE: ClassVar[str] = "logged_model.deleted"


@event
class LoggedModelTagSet(LoggedModelEvent):
    """A tag of a logged model was set (created or overwritten)."""

    TYPE: ClassVar[str] = "logged_model_tag.set"
    key: Annotated[str, "The tag's key."]
    value: Annotated[str, "The tag's new value."]


@event
class LoggedModelTagDeleted(LoggedModelEvent):
    """A tag of a logged model was deleted."""

    TYPE: ClassVar[str] = "logged_model_tag.deleted"
    key: Annotated[str, "The tag's key."]


@event
class LoggedModelParamsLogged(LoggedModelEvent):
    """Parameters were logged to a logged model (one event per call)."""

    TYPE: ClassVar[str] = "logged_model_params.logged"
    params: Annotated[dict[str, str], "The parameters logged by this call."]
