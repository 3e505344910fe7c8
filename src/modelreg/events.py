"""Names of the events every mutation records, with what their payload holds.

An event row is written in the same transaction as the change it describes
(DESIGN.md, "One event log"). These names are a stable contract: the audit history
API and webhook subscriptions match on them.
"""

from __future__ import annotations

from typing import Final

REGISTERED_MODEL_CREATED: Final = "registered_model.created"  # name, description, tags
REGISTERED_MODEL_RENAMED: Final = "registered_model.renamed"  # name, old_name
REGISTERED_MODEL_UPDATED: Final = "registered_model.updated"  # name, description
REGISTERED_MODEL_DELETED: Final = "registered_model.deleted"  # name
REGISTERED_MODEL_TAG_SET: Final = "registered_model_tag.set"  # name, key, value
REGISTERED_MODEL_TAG_DELETED: Final = "registered_model_tag.deleted"  # name, key
MODEL_VERSION_CREATED: Final = "model_version.created"  # name, version, source, run_id, ...
MODEL_VERSION_UPDATED: Final = "model_version.updated"  # name, version, description
MODEL_VERSION_DELETED: Final = "model_version.deleted"  # name, version
MODEL_VERSION_STAGE_TRANSITIONED: Final = (
    "model_version.stage_transitioned"  # name, version, from_stage, to_stage, archived
)
MODEL_VERSION_TAG_SET: Final = "model_version_tag.set"  # name, version, key, value
MODEL_VERSION_TAG_DELETED: Final = "model_version_tag.deleted"  # name, version, key
ALIAS_SET: Final = "alias.set"  # name, alias, version, previous_version
ALIAS_DELETED: Final = "alias.deleted"  # name, alias, version

ALL: Final[tuple[str, ...]] = (
    REGISTERED_MODEL_CREATED,
    REGISTERED_MODEL_RENAMED,
    REGISTERED_MODEL_UPDATED,
    REGISTERED_MODEL_DELETED,
    REGISTERED_MODEL_TAG_SET,
    REGISTERED_MODEL_TAG_DELETED,
    MODEL_VERSION_CREATED,
    MODEL_VERSION_UPDATED,
    MODEL_VERSION_DELETED,
    MODEL_VERSION_STAGE_TRANSITIONED,
    MODEL_VERSION_TAG_SET,
    MODEL_VERSION_TAG_DELETED,
    ALIAS_SET,
    ALIAS_DELETED,
)
