"""Pure input rules for names, tags, aliases, stages and versions.

Each check raises :class:`~modelreg.errors.InvalidArgument` with a message that says
what was wrong and what is allowed. The limits are MLflow's (mlflow-wire.md §7.3, §7.5)
so that data accepted by one registry is accepted by the other.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from modelreg.entities import STAGES
from modelreg.errors import InvalidArgument

MAX_NAME_LENGTH: Final = 256
MAX_TAG_KEY_LENGTH: Final = 250
MAX_TAG_VALUE_LENGTH: Final = 100_000
MAX_ALIAS_LENGTH: Final = 255
MAX_DESCRIPTION_LENGTH: Final = 65_535
MAX_SOURCE_LENGTH: Final = 4_000
MAX_RUN_LINK_LENGTH: Final = 4_000
MAX_RUN_ID_LENGTH: Final = 256
MAX_MODEL_ID_LENGTH: Final = 64
MAX_COMMENT_LENGTH: Final = 65_536

# Versions are 32-bit integers in every database; "²".isdigit() is true, so match ASCII.
MAX_VERSION: Final = 2_147_483_647
# The patterns below are the rules themselves (the checks match them) and are published
# as they are in the OpenAPI document (modelreg.server.schemas), so the two cannot differ.
VERSION_PATTERN: Final = r"^\s*[0-9]{1,10}\s*$"
# No '/' or ':'; not '.', and not starting with '..' (never read as a relative path).
MODEL_NAME_PATTERN: Final = r"^(?:[^/:.]|\.[^/:.])[^/:]*$"
TAG_KEY_PATTERN: Final = r"^[/\w.\- :]*$"
ALIAS_PATTERN: Final = r"^[\w\-]*$"
_VERSION = re.compile(VERSION_PATTERN)
_MODEL_NAME = re.compile(MODEL_NAME_PATTERN)
_TAG_KEY = re.compile(TAG_KEY_PATTERN)
_ALIAS = re.compile(ALIAS_PATTERN)
_RESERVED_VERSION_ALIAS = re.compile(r"^[vV]\d+$")
_CANONICAL_STAGES: Final = {stage.lower(): stage for stage in STAGES}


def _is_normalized_path(value: str) -> bool:
    # MLflow's rule: the value must survive posix normalisation unchanged, so it can
    # never be read as a relative path that escapes ("..", "a/../b", "/abs").
    return (
        posixpath.normpath(value) == value
        and value != "."
        and not value.startswith("..")
        and not value.startswith("/")
    )


def nul_error(field: str) -> InvalidArgument:
    """NUL in a text field: refused with these words in-process and over HTTP alike
    (``modelreg.server.nul`` refuses it in every field of every request)."""
    shown = field.replace("\x00", "\\x00")[:200]  # a key may hold the NUL itself
    return InvalidArgument(
        f"Invalid value for parameter '{shown}': text must not contain NUL (\\x00) characters."
    )


def validate_model_name(name: object) -> str:
    """Return ``name`` if it is a valid registered model name."""
    if not isinstance(name, str):
        raise InvalidArgument(f"Registered model name must be a string, got {type(name).__name__}.")
    if "\x00" in name:
        raise nul_error("name")
    if not name.strip():
        raise InvalidArgument("Registered model name cannot be empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument(
            f"Registered model name is {len(name)} characters long; "
            f"at most {MAX_NAME_LENGTH} are allowed."
        )
    if "/" in name or ":" in name:
        raise InvalidArgument(
            f"Invalid registered model name {name!r}: names cannot contain '/' or ':'."
        )
    if not _MODEL_NAME.match(name):
        raise InvalidArgument(
            f"Invalid registered model name {name!r}: names cannot be '.', start with '..', "
            "or contain NUL characters."
        )
    return name


def validate_tag_key(key: object) -> str:
    """Return ``key`` if it is a valid tag key for models and versions."""
    if not isinstance(key, str) or not key:
        raise InvalidArgument("Tag key must be a non-empty string.")
    if len(key) > MAX_TAG_KEY_LENGTH:
        raise InvalidArgument(
            f"Tag key '{key[:32]}...' is {len(key)} characters long; "
            f"at most {MAX_TAG_KEY_LENGTH} are allowed."
        )
    if not _TAG_KEY.match(key):
        raise InvalidArgument(
            f"Invalid tag key {key!r}: keys may contain only alphanumerics, underscores (_), "
            "dashes (-), periods (.), spaces ( ), colons (:) and slashes (/)."
        )
    if not _is_normalized_path(key):
        raise InvalidArgument(
            f"Invalid tag key {key!r}: keys cannot be '.', start with '..' or '/', "
            "or contain '//' or '/./'."
        )
    return key


def validate_tag_value(key: str, value: object) -> str:
    """Return ``value`` as a string if it is a valid tag value (``str()`` like MLflow)."""
    if value is None:
        raise InvalidArgument(
            f"Tag value for key {key!r} cannot be null; use '' for an empty value."
        )
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_TAG_VALUE_LENGTH:
        raise InvalidArgument(
            f"Tag value for key {key!r} is {len(text)} characters long; "
            f"at most {MAX_TAG_VALUE_LENGTH} are allowed."
        )
    return text


def validate_tags(tags: object) -> dict[str, str]:
    """Validate a mapping (or MLflow-style list of key/value pairs) of tags; last key wins."""
    if tags is None:
        return {}
    pairs: list[tuple[object, object]]
    if isinstance(tags, dict):
        pairs = list(tags.items())
    elif isinstance(tags, list | tuple):
        pairs = []
        for item in tags:
            key = getattr(item, "key", None) if not isinstance(item, dict) else item.get("key")
            value = (
                getattr(item, "value", None) if not isinstance(item, dict) else item.get("value")
            )
            pairs.append((key, value))
    else:
        raise InvalidArgument("Tags must be a mapping of tag keys to values.")
    return {validate_tag_key(k): validate_tag_value(str(k), v) for k, v in pairs}


def unique_params(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Params of one log_batch as a mapping; a key given twice is refused, as in MLflow
    (a param is logged once, so two values in one request cannot both be meant)."""
    found: dict[str, Any] = {}
    duplicates: list[str] = []
    for key, value in pairs:
        if key in found:
            duplicates.append(key)
        found[key] = value
    if duplicates:
        raise InvalidArgument(
            f"Duplicate parameter keys have been submitted: {duplicates}. Please ensure "
            "the request contains only one param value per param key."
        )
    return found


def validate_alias(alias: object) -> str:
    """Return ``alias`` if it is a valid, non-reserved alias name."""
    if not isinstance(alias, str) or not alias:
        raise InvalidArgument("Registered model alias name cannot be empty.")
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidArgument(
            f"Alias '{alias[:32]}...' is {len(alias)} characters long; "
            f"at most {MAX_ALIAS_LENGTH} are allowed."
        )
    if not _ALIAS.match(alias):
        raise InvalidArgument(
            f"Invalid alias name {alias!r}: aliases may contain only alphanumerics, "
            "underscores (_) and dashes (-)."
        )
    if alias.lower() == "latest":
        raise InvalidArgument(
            f"'{alias}' alias name (case insensitive) is reserved: 'latest' always means "
            "the newest version."
        )
    if _RESERVED_VERSION_ALIAS.match(alias):
        raise InvalidArgument(
            f"Version alias name '{alias}' is reserved: 'v<number>' always means that version."
        )
    return alias


def canonical_stage(stage: object) -> str:
    """Return the canonical spelling of ``stage`` (case-insensitive input)."""
    canonical = _CANONICAL_STAGES.get(stage.lower()) if isinstance(stage, str) else None
    if canonical is None:
        raise InvalidArgument(
            f"Invalid Model Version stage: {stage}. Value must be one of {', '.join(STAGES)}."
        )
    return canonical


def parse_version(version: object) -> int:
    """Return ``version`` as a positive int; accepts ``3`` and ``"3"``."""
    if isinstance(version, bool):
        raise InvalidArgument(f"Parameter 'version' must be an integer, got {version!r}.")
    if isinstance(version, int):
        number = version
    elif isinstance(version, str) and _VERSION.match(version):
        number = int(version.strip())
    else:
        raise InvalidArgument(f"Parameter 'version' must be an integer, got {version!r}.")
    if not 1 <= number <= MAX_VERSION:
        raise InvalidArgument(
            f"Parameter 'version' must be between 1 and {MAX_VERSION}, got {number}."
        )
    return number


def validate_description(description: object) -> str:
    """Return ``description`` ('' for None) if it is within the length limit."""
    if description is None:
        return ""
    if not isinstance(description, str):
        raise InvalidArgument("Description must be a string.")
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidArgument(
            f"Description is {len(description)} characters long; "
            f"at most {MAX_DESCRIPTION_LENGTH} are allowed."
        )
    return description


def validate_comment(comment: object, *, required: bool) -> str:
    """A comment as stored: Markdown, as written (rendering escapes it, never here).

    Absent is ``""`` when the comment is optional (request comments, a transition's).
    """
    if comment is None:
        if required:
            raise InvalidArgument("Missing value for required parameter 'comment'.")
        return ""
    if not isinstance(comment, str):
        raise InvalidArgument("A comment must be a string (Markdown).")
    if required and not comment.strip():
        raise InvalidArgument("A comment cannot be empty.")
    if len(comment) > MAX_COMMENT_LENGTH:
        raise InvalidArgument(
            f"A comment is {len(comment)} characters long; at most {MAX_COMMENT_LENGTH} "
            "are allowed."
        )
    return comment


def validate_source(source: object) -> str:
    """Return ``source`` if it is a non-empty string within the length limit."""
    if not isinstance(source, str) or not source.strip():
        raise InvalidArgument("Missing value for required parameter 'source'.")
    if len(source) > MAX_SOURCE_LENGTH:
        raise InvalidArgument(
            f"Model version source is {len(source)} characters long; "
            f"at most {MAX_SOURCE_LENGTH} are allowed."
        )
    if "\x00" in source:
        raise InvalidArgument("Model version source cannot contain NUL characters.")
    return source


def validate_optional_text(field: str, value: object, limit: int) -> str | None:
    """Return an optional string field (run_id, run_link, ...) if it fits ``limit``."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidArgument(f"Parameter '{field}' must be a string.")
    if len(value) > limit:
        raise InvalidArgument(
            f"Parameter '{field}' is {len(value)} characters long; at most {limit} are allowed."
        )
    return value


@dataclass(frozen=True, slots=True)
class NewVersion:
    """``create_model_version``'s arguments after validation and normalisation."""

    name: str
    source: str
    run_id: str | None
    tags: dict[str, str]
    run_link: str | None
    description: str
    model_id: str | None


def new_version(
    name: object,
    source: object,
    run_id: object = None,
    tags: Mapping[str, Any] | None = None,
    run_link: object = None,
    description: object = None,
    model_id: object = None,
) -> NewVersion:
    """Check ``create_model_version``'s arguments once, for every transport.

    Empty optional texts are unset (MLflow's client sends ``""`` for them); a
    ``runs:/<id>/…`` source names its run, and a different ``run_id`` is refused.
    """
    # Checked in this order, so the first problem reported is the same everywhere.
    clean_name = validate_model_name(name)
    clean_source = validate_source(source)
    clean_run_id = validate_optional_text("run_id", run_id, MAX_RUN_ID_LENGTH)
    clean_run_link = validate_optional_text("run_link", run_link, MAX_RUN_LINK_LENGTH)
    clean_model_id = validate_optional_text("model_id", model_id, MAX_MODEL_ID_LENGTH)
    clean_tags = validate_tags(tags)
    clean_description = validate_description(description)
    return NewVersion(
        name=clean_name,
        source=clean_source,
        run_id=_check_run_source(clean_source, clean_run_id),
        tags=clean_tags,
        run_link=clean_run_link,
        description=clean_description,
        model_id=clean_model_id,
    )


def _check_run_source(source: str, run_id: str | None) -> str | None:
    """A ``runs:/<id>/…`` source must come from the run named by ``run_id``."""
    if not source.startswith("runs:/"):
        return run_id
    source_run = source.removeprefix("runs:/").lstrip("/").split("/", 1)[0]
    if not source_run:
        raise InvalidArgument(f"Invalid source {source!r}: expected runs:/<run_id>/<path>.")
    if run_id is not None and run_id != source_run:
        raise InvalidArgument(
            "The run_id request parameter must identify the resource that contains the source: "
            f"run_id is {run_id!r} but the source is in run {source_run!r}."
        )
    return source_run
