"""The model registry's use cases: versions, stages, aliases, tags and searches.

Each public method is one transaction. Rules (version allocation, stage and alias
rules, validation) live here; every mutation records its event in the same transaction.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection

from modelreg import events as ev
from modelreg import filters, validation
from modelreg.artifacts import safe_relative_path
from modelreg.entities import (
    ACTIVE_STAGES,
    STAGE_NONE,
    STAGES,
    STATUS_READY,
    Event,
    ModelVersion,
    PagedList,
    RegisteredModel,
)
from modelreg.errors import AlreadyExists, InvalidArgument, NotFound, RegistryError
from modelreg.service.artifact_locations import ArtifactLocations
from modelreg.service.clock import Clock, now_ms
from modelreg.service.model_uris import ModelReference, parse_models_uri
from modelreg.service.paging import fetch_page
from modelreg.service.snapshots import Snapshotter, SourceFiles
from modelreg.store.database import Database
from modelreg.store.registry import RegistryStore
from modelreg.store.tracking import TrackingStore

_T = TypeVar("_T")

SEARCH_MODELS_MAX_RESULTS = 1000
SEARCH_MODELS_DEFAULT = 100
SEARCH_VERSIONS_MAX_RESULTS = 200_000
SEARCH_VERSIONS_DEFAULT = 10_000


@dataclass(frozen=True, slots=True)
class PreparedSource:
    """A version's source after canonicalisation: lineage and where its files are."""

    source: str
    run_id: str | None
    model_id: str | None
    files_at: str | None = None
    storage_location: str | None = None
    manifest: dict[str, str] | None = None


def _model_not_found(name: str) -> NotFound:
    return NotFound(f"Registered Model with name={name} not found")


def _version_not_found(name: str, version: int) -> NotFound:
    return NotFound(f"Model Version (name={name}, version={version}) not found")


class RegistryService:
    """The registry as a set of use cases over one database."""

    def __init__(
        self,
        db: Database,
        *,
        actor: str = "unknown",
        clock: Clock = now_ms,
        snapshotter: Snapshotter | None = None,
    ) -> None:
        self.db = db
        self.actor = actor
        self.clock = clock
        self.snapshotter = snapshotter

    def as_actor(self, actor: str) -> RegistryService:
        """The same service acting for ``actor`` (the server passes the caller in)."""
        return RegistryService(self.db, actor=actor, clock=self.clock, snapshotter=self.snapshotter)

    def _event(
        self,
        store: RegistryStore,
        now: int,
        type: str,
        name: str,
        version: int | None = None,
        **payload: Any,
    ) -> None:
        body: dict[str, Any] = {"name": name}
        if version is not None:
            body["version"] = version
        body.update(payload)
        store.record_event(
            timestamp=now,
            actor=self.actor,
            type=type,
            model_name=name,
            version=version,
            payload=body,
        )

    @staticmethod
    def _require_model_id(store: RegistryStore, name: str) -> int:
        model_id = store.model_id(name)
        if model_id is None:
            raise _model_not_found(name)
        return model_id

    # ------------------------------------------------------ registered models
    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        name = validation.validate_model_name(name)
        clean_tags = validation.validate_tags(tags)
        text = validation.validate_description(description)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = store.insert_model(name, text, self.actor, now)
            store.set_model_tags(model_id, clean_tags)
            self._event(
                store, now, ev.REGISTERED_MODEL_CREATED, name, description=text, tags=clean_tags
            )
        return RegisteredModel(
            name=name,
            creation_timestamp=now,
            last_updated_timestamp=now,
            description=text,
            user_id=self.actor,
            tags=clean_tags,
        )

    def get_registered_model(self, name: str) -> RegisteredModel:
        name = validation.validate_model_name(name)
        with self.db.read() as conn:
            model = RegistryStore(conn).get_model(name)
        if model is None:
            raise _model_not_found(name)
        return model

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        name = validation.validate_model_name(name)
        new_name = validation.validate_model_name(new_name)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = self._require_model_id(store, name)
            if new_name != name:
                store.rename_model(model_id, new_name, now)
                self._event(store, now, ev.REGISTERED_MODEL_RENAMED, new_name, old_name=name)
            return _read_back(store.get_model(new_name), "The renamed model")

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        name = validation.validate_model_name(name)
        text = validation.validate_description(description)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = self._require_model_id(store, name)
            store.update_model(model_id, now, description=text)
            self._event(store, now, ev.REGISTERED_MODEL_UPDATED, name, description=text)
            return _read_back(store.get_model(name), "The updated model")

    def delete_registered_model(self, name: str) -> None:
        name = validation.validate_model_name(name)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = store.lock_model(name)
            if model_id is None:
                raise _model_not_found(name)
            store.delete_model(model_id)
            self._event(store, now, ev.REGISTERED_MODEL_DELETED, name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_MODELS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        limit = filters.validate_max_results(
            max_results, maximum=SEARCH_MODELS_MAX_RESULTS, default=SEARCH_MODELS_DEFAULT
        )
        conditions = filters.parse_registered_model_filter(filter_string, self.db.filter_limits)
        order = filters.parse_registered_model_order_by(order_by)

        def fetch(offset: int, count: int) -> list[RegisteredModel]:
            with self.db.read() as conn:
                return RegistryStore(conn).search_models(conditions, order, offset, count)

        return fetch_page(fetch, page_token, limit)

    # --------------------------------------------------------- model versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, Any] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        """Register the next version of ``name``.

        Files the registry can read are first copied into registry-owned storage and
        hashed (see :mod:`modelreg.service.snapshots`); the copy is removed again if
        the version cannot be recorded.
        """
        name = validation.validate_model_name(name)
        source = validation.validate_source(source)
        run_id = validation.validate_optional_text("run_id", run_id, 256)
        run_link = validation.validate_optional_text("run_link", run_link, 4000)
        model_id = validation.validate_optional_text("model_id", model_id, 64)
        clean_tags = validation.validate_tags(tags)
        text = validation.validate_description(description)
        run_id = _check_run_source(source, run_id)
        if source.startswith(("models:/", "runs:/")):
            with self.db.read() as conn:
                self._require_model_id(RegistryStore(conn), name)
                prepared = self._prepare_source(conn, source, run_id, model_id)
            files = self._files_to_copy(prepared)
        else:
            prepared = PreparedSource(source, run_id, model_id, files_at=source)
            files = self._files_to_copy(prepared)
            if files is not None:
                # Check before copying a whole tree for a model that does not exist;
                # otherwise the check under the model's lock below is enough.
                with self.db.read() as conn:
                    self._require_model_id(RegistryStore(conn), name)
        snapshot = self.snapshotter.snapshot(files) if self.snapshotter and files else None
        storage_location = snapshot.location if snapshot else prepared.storage_location
        manifest = snapshot.manifest if snapshot else prepared.manifest
        now = self.clock()
        try:
            with self.db.write() as conn:
                store = RegistryStore(conn)
                allocated = store.allocate_version_by_name(name, now)
                if allocated is None:
                    raise _model_not_found(name)
                parent_id, version = allocated
                store.insert_version(
                    parent_id,
                    version,
                    creation_timestamp=now,
                    last_updated_timestamp=now,
                    current_stage=STAGE_NONE,
                    description=text,
                    source=prepared.source,
                    run_id=prepared.run_id,
                    run_link=run_link,
                    status=STATUS_READY,
                    status_message=None,
                    user_id=self.actor,
                    model_id_ref=prepared.model_id,
                    storage_location=storage_location,
                    manifest=None if manifest is None else json.dumps(manifest, sort_keys=True),
                )
                store.set_version_tags(parent_id, version, clean_tags, new=True)
                self._event(
                    store,
                    now,
                    ev.MODEL_VERSION_CREATED,
                    name,
                    version,
                    source=prepared.source,
                    run_id=prepared.run_id,
                    model_id=prepared.model_id,
                    tags=clean_tags,
                    description=text,
                )
        except BaseException:
            if snapshot is not None and self.snapshotter is not None:
                self.snapshotter.discard(snapshot.location)
            raise
        return ModelVersion(
            name=name,
            version=version,
            creation_timestamp=now,
            last_updated_timestamp=now,
            description=text,
            source=prepared.source,
            run_id=prepared.run_id,
            run_link=run_link or "",
            user_id=self.actor,
            model_id=prepared.model_id,
            tags=clean_tags,
            storage_location=storage_location,
        )

    def _prepare_source(
        self, conn: Connection, source: str, run_id: str | None, model_id: str | None
    ) -> PreparedSource:
        """Canonicalise ``source`` and find the files behind it, inheriting lineage."""
        if source.startswith("models:/"):
            ref = parse_models_uri(source)
            if ref.model_id is None:
                return self._from_registered_version(conn, source, ref, run_id, model_id)
            if model_id is not None and model_id != ref.model_id:
                raise InvalidArgument(
                    f"The model_id {model_id!r} does not match the source {source!r}."
                )
            logged = TrackingStore(conn).logged_model_row(ref.model_id)
            if logged is None:
                raise NotFound(f"Logged model with ID '{ref.model_id}' not found.")
            return PreparedSource(
                source=source,
                run_id=run_id or logged.source_run_id,
                model_id=ref.model_id,
                files_at=logged.artifact_location,
            )
        files_at = source
        if source.startswith("runs:/"):
            source_run, _, path = source.removeprefix("runs:/").lstrip("/").partition("/")
            # Refused whether or not the run exists: the source is stored and handed out.
            clean = safe_relative_path(path)
            row = TrackingStore(conn).run_row(source_run)
            files_at = (
                ArtifactLocations.child(row.artifact_uri, *([clean] if clean else []))
                if row is not None
                else ""
            )
        return PreparedSource(source=source, run_id=run_id, model_id=model_id, files_at=files_at)

    def _from_registered_version(
        self,
        conn: Connection,
        source: str,
        ref: ModelReference,
        run_id: str | None,
        model_id: str | None,
    ) -> PreparedSource:
        """``models:/name/<v|stage|@alias>`` → ``models:/name/<number>``, sharing its copy."""
        store = RegistryStore(conn)
        origin = self._resolve_reference(store, ref)
        for field, sent, inherited in (
            ("run_id", run_id, origin.run_id),
            ("model_id", model_id, origin.model_id),
        ):
            if sent is not None and inherited is not None and sent != inherited:
                raise InvalidArgument(
                    f"The {field} {sent!r} does not match the {field} {inherited!r} of {source}."
                )
        row = store.version_row(origin.name, origin.version)
        return PreparedSource(
            source=f"models:/{origin.name}/{origin.version}",
            run_id=run_id or origin.run_id,
            model_id=model_id or origin.model_id,
            storage_location=origin.storage_location or origin.source,
            manifest=json.loads(row.manifest) if row is not None and row.manifest else None,
        )

    def _files_to_copy(self, prepared: PreparedSource) -> SourceFiles | None:
        """The files behind a source that the registry can read and copy, if any."""
        if self.snapshotter is None or prepared.files_at is None:
            return None
        return self.snapshotter.classify(prepared.files_at)

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        name = validation.validate_model_name(name)
        number = validation.parse_version(version)
        with self.db.read() as conn:
            found = RegistryStore(conn).get_version(name, number)
        if found is None:
            raise _version_not_found(name, number)
        return found

    def update_model_version(
        self, name: str, version: int | str, description: str | None
    ) -> ModelVersion:
        name = validation.validate_model_name(name)
        number = validation.parse_version(version)
        text = validation.validate_description(description)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            row = store.version_row(name, number)
            if row is None:
                raise _version_not_found(name, number)
            store.update_version(row.model_id, number, description=text, last_updated_timestamp=now)
            self._event(store, now, ev.MODEL_VERSION_UPDATED, name, number, description=text)
            return _read_back(store.get_version(name, number), "The updated version")

    def delete_model_version(self, name: str, version: int | str) -> None:
        name = validation.validate_model_name(name)
        number = validation.parse_version(version)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            parent_id = store.lock_model(name, now)
            row = store.version_row(name, number) if parent_id is not None else None
            if parent_id is None or row is None:
                raise _version_not_found(name, number)
            store.delete_version(parent_id, number)
            self._event(store, now, ev.MODEL_VERSION_DELETED, name, number)

    def transition_model_version_stage(
        self,
        name: str,
        version: int | str,
        stage: str,
        archive_existing_versions: bool = False,
    ) -> ModelVersion:
        name = validation.validate_model_name(name)
        number = validation.parse_version(version)
        target = validation.canonical_stage(stage)
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
            parent_id = store.lock_model(name, now)
            row = store.version_row(name, number) if parent_id is not None else None
            if parent_id is None or row is None:
                raise _version_not_found(name, number)
            store.update_version(
                parent_id, number, current_stage=target, last_updated_timestamp=now
            )
            archived = (
                store.archive_stage(parent_id, target, number, now)
                if archive_existing_versions
                else []
            )
            self._event(
                store,
                now,
                ev.MODEL_VERSION_STAGE_TRANSITIONED,
                name,
                number,
                from_stage=row.current_stage,
                to_stage=target,
                archived_versions=archived,
            )
            return _read_back(store.get_version(name, number), "The updated version")

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

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_VERSIONS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        limit = filters.validate_max_results(
            max_results, maximum=SEARCH_VERSIONS_MAX_RESULTS, default=SEARCH_VERSIONS_DEFAULT
        )
        conditions = filters.parse_model_version_filter(filter_string, self.db.filter_limits)
        order = filters.parse_model_version_order_by(order_by)

        def fetch(offset: int, count: int) -> list[ModelVersion]:
            with self.db.read() as conn:
                return RegistryStore(conn).search_versions(conditions, order, offset, count)

        return fetch_page(fetch, page_token, limit)

    def get_model_version_download_uri(self, name: str, version: int | str) -> str:
        """Where the version's files are: the registry's copy, else its source."""
        found = self.get_model_version(name, version)
        if found.storage_location and self.snapshotter is not None:
            return self.snapshotter.locations.resolve(found.storage_location)
        return found.storage_location or found.source

    def get_model_version_manifest(self, name: str, version: int | str) -> dict[str, str] | None:
        """SHA-256 of every file of the registry's copy; None when the source is external."""
        name = validation.validate_model_name(name)
        number = validation.parse_version(version)
        with self.db.read() as conn:
            row = RegistryStore(conn).version_row(name, number)
        if row is None:
            raise _version_not_found(name, number)
        return dict(json.loads(row.manifest)) if row.manifest else None

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        """Copy the version ``src_model_uri`` names into ``dst_name`` (created if needed)."""
        dst_name = validation.validate_model_name(dst_name)
        ref = parse_models_uri(src_model_uri)
        if ref.model_id is not None:
            raise InvalidArgument(
                f"copy_model_version needs a registered model URI, not {src_model_uri!r}."
            )
        with self.db.read() as conn:
            origin = self._resolve_reference(RegistryStore(conn), ref)
        with contextlib.suppress(AlreadyExists):
            self.create_registered_model(dst_name)
        return self.create_model_version(
            dst_name,
            f"models:/{origin.name}/{origin.version}",
            run_id=origin.run_id,
            tags=origin.tags,
            run_link=origin.run_link or None,
            description=origin.description or None,
            model_id=origin.model_id,
        )

    # -------------------------------------------------------------- tags
    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        name = validation.validate_model_name(name)
        key = validation.validate_tag_key(key)
        text = validation.validate_tag_value(key, value)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = self._require_model_id(store, name)
            store.set_model_tags(model_id, {key: text})
            self._event(store, now, ev.REGISTERED_MODEL_TAG_SET, name, key=key, value=text)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        name = validation.validate_model_name(name)
        key = validation.validate_tag_key(key)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = self._require_model_id(store, name)
            if store.delete_model_tag(model_id, key):
                self._event(store, now, ev.REGISTERED_MODEL_TAG_DELETED, name, key=key)

    def set_model_version_tag(self, name: str, version: int | str, key: str, value: Any) -> None:
        name = validation.validate_model_name(name)
        number = validation.parse_version(version)
        key = validation.validate_tag_key(key)
        text = validation.validate_tag_value(key, value)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            row = store.version_row(name, number)
            if row is None:
                raise _version_not_found(name, number)
            store.set_version_tags(row.model_id, number, {key: text})
            self._event(store, now, ev.MODEL_VERSION_TAG_SET, name, number, key=key, value=text)

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        name = validation.validate_model_name(name)
        number = validation.parse_version(version)
        key = validation.validate_tag_key(key)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            row = store.version_row(name, number)
            if row is None:
                raise _version_not_found(name, number)
            if store.delete_version_tag(row.model_id, number, key):
                self._event(store, now, ev.MODEL_VERSION_TAG_DELETED, name, number, key=key)

    # ------------------------------------------------------------ aliases
    def set_registered_model_alias(self, name: str, alias: str, version: int | str) -> None:
        name = validation.validate_model_name(name)
        alias = validation.validate_alias(alias)
        number = validation.parse_version(version)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            row = store.version_row(name, number)
            if row is None:
                if store.model_id(name) is None:
                    raise _model_not_found(name)
                raise _version_not_found(name, number)
            previous = store.alias_version(row.model_id, alias)
            store.set_alias(row.model_id, alias, number)
            self._event(
                store, now, ev.ALIAS_SET, name, number, alias=alias, previous_version=previous
            )

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
                self._event(store, now, ev.ALIAS_DELETED, name, previous, alias=alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        name = validation.validate_model_name(name)
        if not isinstance(alias, str) or not alias:
            raise InvalidArgument("Registered model alias name cannot be empty.")
        with self.db.read() as conn:
            store = RegistryStore(conn)
            if alias.lower() == "latest":
                return self._resolve_reference(store, ModelReference(name=name, latest=True))
            model_id = self._require_model_id(store, name)
            number = store.alias_version(model_id, alias)
            if number is None:
                raise InvalidArgument(f"Registered model alias {alias} not found.")
            found = store.get_version(name, number)
        if found is None:  # pragma: no cover - the alias FK cascades with its version
            raise _version_not_found(name, number)
        return found

    # ----------------------------------------------------------- resolution
    def resolve_model_uri(self, uri: str) -> ModelVersion:
        """The version a ``models:/name/<version|stage|latest>`` or ``@alias`` URI names."""
        ref = parse_models_uri(uri)
        if ref.model_id is not None:
            raise InvalidArgument(f"{uri!r} names a logged model, not a registered version.")
        with self.db.read() as conn:
            return self._resolve_reference(RegistryStore(conn), ref)

    def _resolve_reference(self, store: RegistryStore, ref: ModelReference) -> ModelVersion:
        name = validation.validate_model_name(ref.name)
        if ref.version is not None:
            found = store.get_version(name, ref.version)
            if found is None:
                raise _version_not_found(name, ref.version)
            return found
        model_id = self._require_model_id(store, name)
        if ref.alias is not None:
            number = store.alias_version(model_id, ref.alias)
            if number is None:
                raise InvalidArgument(f"Registered model alias {ref.alias} not found.")
        else:
            stages = [validation.canonical_stage(ref.stage)] if ref.stage else list(STAGES)
            latest = store.latest_of_model(model_id, stages)
            if not latest:
                where = f"in stage '{stages[0]}'" if ref.stage else ""
                raise NotFound(f"No versions of model {name!r} {where}".rstrip() + ".")
            return max(latest, key=lambda mv: mv.version)
        found = store.get_version(name, number)
        if found is None:  # pragma: no cover
            raise _version_not_found(name, number)
        return found

    # ---------------------------------------------------------------- events
    def list_events(self, after_id: int = 0, limit: int = 1000) -> list[Event]:
        """Raw event rows in commit order (the history API builds on this)."""
        with self.db.read() as conn:
            return RegistryStore(conn).list_events(after_id, limit)


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


def _read_back(found: _T | None, what: str) -> _T:
    """A row written in this transaction must be readable in it; anything else is a bug."""
    if found is None:
        raise RegistryError(f"{what} vanished inside its own transaction.")
    return found
