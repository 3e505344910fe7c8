"""The event catalogue: one frozen dataclass per event type, with its payload (pure).

Every mutation records its events in the same transaction as the change
(DESIGN.md, "One event log"); the audit history, webhooks and the UI read them. An
event's ``TYPE`` is a stable contract (history queries and webhook subscriptions
match on it) and its ``SCHEMA_VERSION`` goes into the row beside the payload: a
payload change that readers could trip on (a field renamed, removed, or changing
type) bumps it; adding a field does not.

To add an event: declare a class in the module of its area (``registry``,
``tracking``, a new ``approvals`` imported below) with ``@event``, a docstring,
``TYPE`` and ``Annotated`` fields that say what they hold; export it here; run
``python -m modelreg.events > docs/events.md``. tests/events checks all of it.
"""

from __future__ import annotations

from modelreg.events._base import (
    CATALOGUE,
    DomainEvent,
    ModelEvent,
    VersionEvent,
    catalogued,
    event,
    parse,
    render_markdown,
)
from modelreg.events.registry import (
    AliasDeleted,
    AliasSet,
    ModelVersionCreated,
    ModelVersionDeleted,
    ModelVersionStageTransitioned,
    ModelVersionTagDeleted,
    ModelVersionTagSet,
    ModelVersionUpdated,
    RegisteredModelCreated,
    RegisteredModelDeleted,
    RegisteredModelRenamed,
    RegisteredModelTagDeleted,
    RegisteredModelTagSet,
    RegisteredModelUpdated,
)
from modelreg.events.tracking import (
    ExperimentCreated,
    ExperimentDeleted,
    ExperimentRenamed,
    ExperimentRestored,
    ExperimentTagDeleted,
    ExperimentTagSet,
    LoggedModelCreated,
    LoggedModelDeleted,
    LoggedModelFinalized,
    LoggedModelParamsLogged,
    LoggedModelTagDeleted,
    LoggedModelTagSet,
    RunCreated,
    RunDeleted,
    RunInputsLogged,
    RunModelInputsLogged,
    RunOutputsLogged,
    RunParamsLogged,
    RunRestored,
    RunTagDeleted,
    RunTagSet,
    RunUpdated,
)
from modelreg.events.webhooks import (
    WebhookCreated,
    WebhookDeleted,
    WebhookDisabled,
    WebhookUpdated,
)

__all__ = [
    "CATALOGUE",
    "AliasDeleted",
    "AliasSet",
    "DomainEvent",
    "ExperimentCreated",
    "ExperimentDeleted",
    "ExperimentRenamed",
    "ExperimentRestored",
    "ExperimentTagDeleted",
    "ExperimentTagSet",
    "LoggedModelCreated",
    "LoggedModelDeleted",
    "LoggedModelFinalized",
    "LoggedModelParamsLogged",
    "LoggedModelTagDeleted",
    "LoggedModelTagSet",
    "ModelEvent",
    "ModelVersionCreated",
    "ModelVersionDeleted",
    "ModelVersionStageTransitioned",
    "ModelVersionTagDeleted",
    "ModelVersionTagSet",
    "ModelVersionUpdated",
    "RegisteredModelCreated",
    "RegisteredModelDeleted",
    "RegisteredModelRenamed",
    "RegisteredModelTagDeleted",
    "RegisteredModelTagSet",
    "RegisteredModelUpdated",
    "RunCreated",
    "RunDeleted",
    "RunInputsLogged",
    "RunModelInputsLogged",
    "RunOutputsLogged",
    "RunParamsLogged",
    "RunRestored",
    "RunTagDeleted",
    "RunTagSet",
    "RunUpdated",
    "VersionEvent",
    "catalogued",
    "event",
    "parse",
    "render_markdown",
    "WebhookCreated",
    "WebhookDeleted",
    "WebhookDisabled",
    "WebhookUpdated",
]
