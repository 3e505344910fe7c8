"""Events of the model registry: models, versions, stages, aliases and tags.

Payload field names and types are those the event log has always carried (versions
are integers here, as in the ``version`` column).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from modelreg.events._base import ModelEvent, VersionEvent, event


@event
class RegisteredModelCreated(ModelEvent):
    """A registered model was created."""

    TYPE: ClassVar[str] = "registered_model.created"
    description: Annotated[str, 'Its description (`""` when none).']
    tags: Annotated[dict[str, str], "Its tags."]


@event
class RegisteredModelRenamed(ModelEvent):
    """A registered model was renamed; `name` is the new name."""

    TYPE: ClassVar[str] = "registered_model.renamed"
    old_name: Annotated[str, "The name it had before."]


@event
class RegisteredModelUpdated(ModelEvent):
    """A registered model's description was set (or cleared)."""

    TYPE: ClassVar[str] = "registered_model.updated"
    description: Annotated[str, "The new description."]


@event
class RegisteredModelDeleted(ModelEvent):
    """A registered model was deleted with all its versions, tags and aliases."""

    TYPE: ClassVar[str] = "registered_model.deleted"


@event
class RegisteredModelTagSet(ModelEvent):
    """A tag of a registered model was set (created or overwritten)."""

    TYPE: ClassVar[str] = "registered_model_tag.set"
    key: Annotated[str, "The tag's key."]
    value: Annotated[str, "The tag's new value."]


@event
class RegisteredModelTagDeleted(ModelEvent):
    """A tag of a registered model was deleted (recorded only if it existed)."""

    TYPE: ClassVar[str] = "registered_model_tag.deleted"
    key: Annotated[str, "The tag's key."]


@event
class ModelVersionCreated(VersionEvent):
    """A new version of a registered model was registered."""

    TYPE: ClassVar[str] = "model_version.created"
    source: Annotated[str, "Where its files came from (`models:/…` sources canonical)."]
    run_id: Annotated[str | None, "The run that produced it, if known."]
    model_id: Annotated[str | None, "The logged model it was registered from, if any."]
    tags: Annotated[dict[str, str], "Its tags."]
    description: Annotated[str, 'Its description (`""` when none).']


@event
class ModelVersionUpdated(VersionEvent):
    """A version's description was set (or cleared)."""

    TYPE: ClassVar[str] = "model_version.updated"
    description: Annotated[str, "The new description."]


@event
class ModelVersionDeleted(VersionEvent):
    """A version was deleted with its tags and the aliases that pointed to it."""

    TYPE: ClassVar[str] = "model_version.deleted"


@event
class ModelVersionStageTransitioned(VersionEvent):
    """A version moved to another stage."""

    TYPE: ClassVar[str] = "model_version.stage_transitioned"
    from_stage: Annotated[str, "The stage it was in."]
    to_stage: Annotated[str, "The stage it is in now."]
    archived_versions: Annotated[
        list[int], "Versions moved from `to_stage` to Archived by the same call."
    ]
    # Added after the type shipped: rows written before it have no comment (see parse).
    comment: Annotated[
        str, "The mover's comment (Databricks' transition-stage; `\"\"` when none)."
    ] = ""


@event
class ModelVersionTagSet(VersionEvent):
    """A tag of a version was set (created or overwritten)."""

    TYPE: ClassVar[str] = "model_version_tag.set"
    key: Annotated[str, "The tag's key."]
    value: Annotated[str, "The tag's new value."]


@event
class ModelVersionTagDeleted(VersionEvent):
    """A tag of a version was deleted (recorded only if it existed)."""

    TYPE: ClassVar[str] = "model_version_tag.deleted"
    key: Annotated[str, "The tag's key."]


@event
class AliasSet(VersionEvent):
    """An alias was pointed at a version; `version` is where it points now."""

    TYPE: ClassVar[str] = "alias.set"
    alias: Annotated[str, "The alias."]
    previous_version: Annotated[int | None, "Where it pointed before (null if it is new)."]


@event
class AliasDeleted(VersionEvent):
    """An alias was deleted; `version` is where it pointed (recorded only if it existed)."""

    TYPE: ClassVar[str] = "alias.deleted"
    alias: Annotated[str, "The alias."]
