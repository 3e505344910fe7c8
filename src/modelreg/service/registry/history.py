"""The event log as history: the pull feed, time travel, alias rollback, chain verification.

A model is found by its current name and followed by its stable id
(``registered_models.id``, which every event of it carries): its history includes the
events recorded under the names it had before a rename. A name no model has now
selects, in :meth:`search_events`, the events recorded under that name (a deleted
model's history). Time travel and rollback need the model to exist now.

Time travel reads the model's events up to the instant asked for: "at ``timestamp``"
is the state after every event with ``timestamp <= t``, applied in id order.
"""

from __future__ import annotations

import dataclasses
import json

from modelreg import events, filters, validation
from modelreg.entities import STAGES, Event, PagedList
from modelreg.errors import InvalidArgument, NotFound
from modelreg.events import CATALOGUE
from modelreg.history_entities import ChainBreak, ChainReport
from modelreg.limits import SEARCH_EVENTS_DEFAULT, SEARCH_EVENTS_MAX
from modelreg.protocols import History, Version
from modelreg.service.registry._base import model_not_found
from modelreg.service.registry.stages_aliases import StagesAndAliases
from modelreg.store.history import (
    STAGE_TRANSITIONED,
    VERSION_CREATED,
    VERSION_DELETED,
    EventFilter,
    HistoryStore,
    row_hash,
)
from modelreg.store.registry import RegistryStore


def validate_timestamp(value: object, name: str = "timestamp") -> int:
    """A millisecond timestamp: a non-negative integer (or its decimal text)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgument(
            f"Invalid value {value!r} for parameter '{name}': expected a timestamp in "
            "milliseconds since the epoch (a non-negative integer)."
        )
    return value


def _optional_timestamp(value: object, name: str) -> int | None:
    return None if value is None else validate_timestamp(value, name)


def _after_id(page_token: str | None) -> int:
    if page_token is None or page_token == "":
        return 0
    if not page_token.isdigit() or not page_token.isascii():
        raise InvalidArgument(
            f"Invalid page_token {page_token!r}: expected the id of the last event seen "
            "(a non-negative integer), as next_page_token returns it."
        )
    return int(page_token)


def _event_type(value: str | None) -> str | None:
    if value is None or value in CATALOGUE:
        return value
    raise InvalidArgument(
        f"Unknown event type {value!r}: expected one of the types of docs/events.md "
        "(e.g. alias.set, model_version.created)."
    )


class RegistryHistory(StagesAndAliases, History):
    """The history use cases of the registry (part of ``RegistryService``)."""

    # ------------------------------------------------------------ pull feed
    def search_events(
        self,
        name: str | None = None,
        version: Version | None = None,
        type: str | None = None,
        actor: str | None = None,
        since: int | None = None,
        until: int | None = None,
        max_results: int = SEARCH_EVENTS_DEFAULT,
        page_token: str | None = None,
    ) -> PagedList[Event]:
        """Events in id order, filtered; ``next_page_token`` is the last id of a full page.

        Ids only grow, so a consumer that keeps the last id it processed resumes with
        ``page_token=str(last_id)`` (docs/history.md, "Pull feed").
        """
        limit = filters.validate_max_results(
            max_results, maximum=SEARCH_EVENTS_MAX, default=SEARCH_EVENTS_DEFAULT
        )
        after = _after_id(page_token)
        start = _optional_timestamp(since, "since")
        end = _optional_timestamp(until, "until")
        if start is not None and end is not None and start > end:
            raise InvalidArgument(f"since ({start}) is after until ({end}): no event fits.")
        if name is not None:
            name = validation.validate_model_name(name)
        number = None
        if version is not None:
            if name is None:
                raise InvalidArgument("version needs name: versions are numbered per model.")
            number = validation.parse_version(version)
        if actor is not None and (not isinstance(actor, str) or not actor):
            raise InvalidArgument("actor must be a non-empty user name.")
        where = EventFilter(
            version=number, type=_event_type(type), actor=actor, since=start, until=end
        )
        with self.db.read() as conn:
            history = HistoryStore(conn)
            if name is not None:
                model_id = RegistryStore(conn).model_id(name)
                if model_id is None:
                    where = dataclasses.replace(where, model_name=name)
                else:
                    where = dataclasses.replace(where, model_id=model_id)
                    # From its own creation (SQLite may reuse a deleted model's id).
                    after = max(after, history.incarnation_start(model_id) - 1)
            found = history.search(where, after, limit + 1)
        token = str(found[limit - 1].id) if len(found) > limit else None
        return PagedList(found[:limit], token)

    # ---------------------------------------------------------- time travel
    def get_alias_at(self, name: str, alias: str, timestamp: int) -> str:
        name = validation.validate_model_name(name)
        alias = validation.validate_alias(alias)
        at = validate_timestamp(timestamp)
        with self.db.read() as conn:
            history = HistoryStore(conn)
            model_id = self._model_id(RegistryStore(conn), name)
            found = _alias_at(history, model_id, alias, at)
        if found is None:
            raise NotFound(f"Alias {alias!r} of registered model {name!r} pointed nowhere at {at}.")
        return str(found)

    def get_stage_versions_at(self, name: str, stage: str, timestamp: int) -> list[str]:
        """The versions in ``stage`` at ``timestamp``, in version order.

        Replays the model's stage transitions up to then (indexed by model and type):
        the cost grows with that model's transitions, never with the rest of the log.
        """
        name = validation.validate_model_name(name)
        wanted = validation.canonical_stage(stage)
        at = validate_timestamp(timestamp)
        with self.db.read() as conn:
            history = HistoryStore(conn)
            model_id = self._model_id(RegistryStore(conn), name)
            start = history.incarnation_start(model_id)
            rows = history.model_events(
                model_id, (VERSION_CREATED, STAGE_TRANSITIONED, VERSION_DELETED), start, at
            )
        stage_of: dict[int, str] = {}
        for row in rows:
            if row.type == VERSION_CREATED:
                stage_of[row.version] = STAGES[0]
            elif row.type == VERSION_DELETED:
                stage_of.pop(row.version, None)
            else:
                payload = json.loads(row.payload)
                stage_of[row.version] = payload["to_stage"]
                for archived in payload.get("archived_versions") or ():
                    if archived in stage_of:
                        stage_of[archived] = "Archived"
        return [str(v) for v in sorted(v for v, s in stage_of.items() if s == wanted)]

    # -------------------------------------------------------------- rollback
    def rollback_alias(self, name: str, alias: str, timestamp: int | None = None) -> str:
        """Point ``alias`` back where it was before its last move (or at ``timestamp``).

        One transaction under the model's row lock: the target is read from the log and
        the alias moved through the same path as ``set_registered_model_alias``
        (:meth:`_move_alias`), flagged as a return to a version that held the alias.
        Returns the version the alias points to now.
        """
        name = validation.validate_model_name(name)
        alias = validation.validate_alias(alias)
        at = _optional_timestamp(timestamp, "timestamp")
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = store.lock_model(name)
            if model_id is None:
                raise model_not_found(name)
            history = HistoryStore(conn)
            current = store.alias_version(model_id, alias)
            target = (
                _alias_before_last_move(history, model_id, name, alias)
                if at is None
                else _alias_at(history, model_id, alias, at)
            )
            if target is None:
                raise NotFound(
                    f"Alias {alias!r} of registered model {name!r} pointed nowhere at {at}."
                )
            if target == current:
                return str(current)  # already there: nothing moves, nothing is recorded
            if store.version_row(name, target) is None:
                raise InvalidArgument(
                    f"Cannot roll alias {alias!r} back to version {target} of {name!r}: "
                    "that version has been deleted."
                )
            self._move_alias(store, name, alias, target, rollback_to_prior_holder=True)
            self._record(
                conn,
                now,
                events.AliasRolledBack(
                    name=name, version=target, alias=alias, from_version=current, to_timestamp=at
                ),
            )
        return str(target)

    # ---------------------------------------------------------- verification
    def verify_events(self, name: str | None = None) -> ChainReport:
        """Recompute the hash chains (one model's, or all) and name each first broken link."""
        with self.db.read() as conn:
            history = HistoryStore(conn)
            model_id = None
            if name is not None:
                name = validation.validate_model_name(name)
                model_id = history.chain_model_id(name)
                if model_id is None:
                    raise model_not_found(name)
            heads = history.heads(model_id)
            return _verify(history, heads, model_id)

    @staticmethod
    def _model_id(store: RegistryStore, name: str) -> int:
        model_id = store.model_id(name)
        if model_id is None:
            raise model_not_found(name)
        return model_id


def _alias_at(history: HistoryStore, model_id: int, alias: str, at: int) -> int | None:
    start = history.incarnation_start(model_id)
    last = history.last_alias_move(model_id, alias, start, at)
    if last is None or last.type == "alias.deleted":
        return None
    version: int = last.version
    # Deleting a version drops its aliases without an alias event of their own.
    gone = history.model_events(model_id, (VERSION_DELETED,), last.id, at)
    return None if any(row.version == version for row in gone) else version


def _alias_before_last_move(
    history: HistoryStore, model_id: int, name: str, alias: str
) -> int | None:
    start = history.incarnation_start(model_id)
    last = history.last_alias_move(model_id, alias, start)
    if last is None:
        raise NotFound(f"Alias {alias!r} of registered model {name!r} has never been set.")
    payload = json.loads(last.payload)
    before: int | None
    if last.type == "alias.set":
        before = payload.get("previous_version")
    elif last.type == "alias.rolled_back":
        before = payload.get("from_version")
    else:  # alias.deleted: it pointed at the deleted event's version
        before = last.version
    if before is None:
        raise InvalidArgument(
            f"Alias {alias!r} of registered model {name!r} pointed nowhere before its last "
            "move (it was created then): delete it instead, or give a timestamp."
        )
    return before


def _verify(
    history: HistoryStore, heads: dict[int, tuple[int, str]], only: int | None
) -> ChainReport:
    breaks: list[ChainBreak] = []
    seen: dict[int, tuple[int, str | None, str | None]] = {}  # length, last hash, name
    broken: set[int] = set()
    for row in history.chain_rows(only):
        model_id = int(row.model_id)
        length, prev, _ = seen.get(model_id, (0, None, None))
        seen[model_id] = (length + 1, row.hash, row.model_name)
        if model_id in broken:
            continue
        problem = None
        if row.prev_hash != prev:
            problem = (
                f"its prev_hash is {row.prev_hash}, but the chain's previous event hashes "
                f"to {prev}: an event before it was deleted, or its link edited"
            )
        elif row_hash(row) != row.hash:
            problem = (
                f"its content hashes to {row_hash(row)}, not to its stored hash {row.hash}: "
                "the row was edited"
            )
        if problem is not None:
            broken.add(model_id)
            breaks.append(ChainBreak(model_id, row.model_name, int(row.id), problem))
    for model_id, (length, head) in heads.items():
        if model_id in broken:
            continue
        count, last, name = seen.get(model_id, (0, None, None))
        if (count, last) != (length, head):
            breaks.append(
                ChainBreak(
                    model_id,
                    name,
                    None,
                    f"the chain head records {length} events ending in {head}, but "
                    f"{count} events ending in {last} remain: events at its end were deleted",
                )
            )
            broken.add(model_id)
    for model_id in seen.keys() - heads.keys() - broken:
        breaks.append(
            ChainBreak(model_id, seen[model_id][2], None, "the chain's head row is missing")
        )
    return ChainReport(
        chains=len(seen.keys() | heads.keys()),
        events=sum(count for count, _, _ in seen.values()),
        breaks=tuple(sorted(breaks, key=lambda b: b.model_id)),
    )
