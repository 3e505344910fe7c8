"""Stages and aliases: promotions, the latest version per stage, alias pointers, URIs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelreg import events, model_uris, validation
from modelreg.entities import ACTIVE_STAGES, STAGES, ModelVersion
from modelreg.errors import InvalidArgument
from modelreg.model_uris import ModelReference
from modelreg.service import policy_gate
from modelreg.service.registry._base import (
    RegistryBase,
    StoreLookup,
    model_not_found,
    read_back,
    version_not_found,
)
from modelreg.store.history import HistoryStore
from modelreg.store.registry import RegistryStore


class StagesAndAliases(RegistryBase):
    """The registry's use cases on stages, aliases and ``models:/`` URIs."""

    def transition_model_version_stage(
        self,
        name: str,
        version: int | str,
        stage: str,
        archive_existing_versions: bool = False,
    ) -> ModelVersion:
        return self.transition_stage(name, version, stage, archive_existing_versions)

    def transition_stage(
        self,
        name: str,
        version: int | str,
        stage: str,
        archive_existing_versions: bool = False,
        comment: str | None = None,
    ) -> ModelVersion:
        """MLflow's move with Databricks' ``comment``, stored as written in its event."""
        name = validation.validate_model_name(name)
        number = validation.parse_version(version)
        target = validation.canonical_stage(stage)
        text = validation.validate_comment(comment, required=False)
        if archive_existing_versions and target not in ACTIVE_STAGES:
            raise InvalidArgument(
                f"archive_existing_versions can only be used when transitioning to "
                f"{' or '.join(ACTIVE_STAGES)}, not {target!r}."
            )
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            # The model row lock serialises concurrent promotions of the same model, so
            # exactly one version ends up in the target stage.
            row = self._lock_version(store, name, number, now)
            # A protected stage refuses direct moves (one indexed lookup when unprotected).
            policy_gate.enforce_direct(
                conn, row, policy_gate.stage_target(target), self.snapshotter
            )
            return self.apply_stage_move(
                store,
                row,
                target,
                archive_existing_versions=archive_existing_versions,
                now=now,
                comment=text,
            )

    def apply_stage_move(
        self,
        store: RegistryStore,
        row: Any,
        target: str,
        *,
        archive_existing_versions: bool,
        now: int,
        comment: str = "",
    ) -> ModelVersion:
        """Move version ``row`` to stage ``target`` in ``store``'s open transaction.

        The caller holds the model's row lock and has passed the promotion policy (the
        gate for a direct move, the approvals for a request), so this only changes
        rows and records the event.
        """
        name, number, parent_id = row.name, row.version, row.model_id
        store.update_version(parent_id, number, current_stage=target, last_updated_timestamp=now)
        archived = (
            store.archive_stage(parent_id, target, number, now) if archive_existing_versions else []
        )
        self._record(
            store.conn,
            now,
            events.ModelVersionStageTransitioned(
                name=name,
                version=number,
                from_stage=row.current_stage,
                to_stage=target,
                archived_versions=archived,
                comment=comment,
            ),
        )
        return read_back(store.get_version(name, number), "The updated version")

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        name = validation.validate_model_name(name)
        wanted = [validation.canonical_stage(s) for s in stages] if stages else list(STAGES)
        wanted = list(dict.fromkeys(wanted))
        with self.db.read() as conn:
            store = RegistryStore(conn)
            parent_id = self._require_model_id(store, name)
            latest = store.latest_of_model(parent_id, wanted)
        by_stage = {mv.current_stage: mv for mv in latest}
        return [by_stage[stage] for stage in wanted if stage in by_stage]

    # ------------------------------------------------------------ aliases
    def set_registered_model_alias(self, name: str, alias: str, version: int | str) -> None:
        name = validation.validate_model_name(name)
        alias = validation.validate_alias(alias)
        number = validation.parse_version(version)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            previous = self._move_alias(store, name, alias, number)
            self._record(
                conn,
                now,
                events.AliasSet(name=name, version=number, alias=alias, previous_version=previous),
            )

    def apply_alias_move(self, store: RegistryStore, row: Any, alias: str, *, now: int) -> None:
        """Point ``alias`` at version ``row`` in ``store``'s open transaction (policy passed)."""
        previous = store.alias_version(row.model_id, alias)
        store.set_alias(row.model_id, alias, row.version)
        self._record(
            store.conn,
            now,
            events.AliasSet(
                name=row.name, version=row.version, alias=alias, previous_version=previous
            ),
        )

    def _move_alias(
        self,
        store: RegistryStore,
        name: str,
        alias: str,
        number: int,
        *,
        rollback_to_prior_holder: bool = False,
    ) -> int | None:
        """Point ``alias`` at version ``number`` in the open transaction; where it was before.

        The one path every alias move takes (``set_registered_model_alias``,
        ``rollback_alias``), so a rule on alias moves (promotion policies) is enforced
        here once. ``rollback_to_prior_holder``: the move returns the alias to a version
        that held it before (a rollback), which such rules exempt from new approval; it
        is checked against the event log, so the exemption cannot be claimed falsely.
        """
        row = store.version_row(name, number)
        if row is None:
            if store.model_id(name) is None:
                raise model_not_found(name)
            raise version_not_found(name, number)
        if rollback_to_prior_holder:
            history = HistoryStore(store.conn)
            start = history.incarnation_start(row.model_id)
            if not history.alias_held(row.model_id, alias, number, start):
                raise InvalidArgument(
                    f"Version {number} of {name!r} never held alias {alias!r}: a rollback "
                    "only returns an alias to a version it pointed to before."
                )
        else:
            # A protected alias refuses direct moves (one indexed lookup when unprotected).
            policy_gate.enforce_direct(
                store.conn, row, policy_gate.alias_target(alias), self.snapshotter
            )
        previous = store.alias_version(row.model_id, alias)
        store.set_alias(row.model_id, alias, number)
        return previous

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        name = validation.validate_model_name(name)
        alias = validation.validate_alias(alias)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = self._require_model_id(store, name)
            previous = store.alias_version(model_id, alias)
            if previous is not None:
                store.delete_alias(model_id, alias)
                self._record(
                    conn, now, events.AliasDeleted(name=name, version=previous, alias=alias)
                )

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        name = validation.validate_model_name(name)
        if not isinstance(alias, str) or not alias:
            raise InvalidArgument("Registered model alias name cannot be empty.")
        ref = (
            ModelReference(name=name, latest=True)
            if alias.lower() == "latest"
            else ModelReference(name=name, alias=alias)
        )
        with self.db.read() as conn:
            return model_uris.resolve_reference(ref, StoreLookup(RegistryStore(conn)))

    # ----------------------------------------------------------- resolution
    def resolve_model_uri(self, uri: str) -> ModelVersion:
        """The version a ``models:/name/<version|stage|latest>`` or ``@alias`` URI names."""
        ref = model_uris.registered_reference(uri)
        with self.db.read() as conn:
            return model_uris.resolve_reference(ref, StoreLookup(RegistryStore(conn)))
