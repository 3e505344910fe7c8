"""Model versions: registration (with the registry's own copy), reads, edits, tags."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row

from modelreg import events, filters, model_uris, validation
from modelreg.artifacts import safe_relative_path
from modelreg.entities import STAGE_NONE, STATUS_READY, ModelVersion, PagedList, version_text
from modelreg.errors import InvalidArgument, NotFound, PermissionDenied
from modelreg.limits import SEARCH_VERSIONS_DEFAULT, SEARCH_VERSIONS_MAX
from modelreg.model_uris import ModelReference
from modelreg.service import source_rules
from modelreg.service.artifact_locations import (
    PROXY_ROOT,
    ArtifactLocations,
    is_absolute_location,
)
from modelreg.service.paging import fetch_page
from modelreg.service.registry._base import (
    StoreLookup,
    model_not_found,
    read_back,
    version_not_found,
)
from modelreg.service.registry.copies import CopyLifetimes
from modelreg.service.snapshots import SourceFiles, is_registry_copy, version_files_uri
from modelreg.store.copies import CopyStore
from modelreg.store.registry import RegistryStore
from modelreg.store.tracking import TrackingStore

# A read the caller must be allowed: ("model", name | "experiment", id, the refusal).
_Need = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class PreparedSource:
    """A version's source after canonicalisation: lineage and where its files are."""

    source: str
    run_id: str | None
    model_id: str | None
    files_at: str | None = None
    storage_location: str | None = None
    manifest: dict[str, str] | None = None
    # The model_id came with a registered version being copied: its logged model may
    # have been deleted since, which does not stop the copy.
    model_id_inherited: bool = False


class ModelVersions(CopyLifetimes):
    """The registry's use cases on model versions."""

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
        new = validation.new_version(name, source, run_id, tags, run_link, description, model_id)
        source_rules.check_source(new.source)
        # What the caller must be allowed to read, asked after the read transaction
        # (the access check may read the grants itself).
        needs: list[_Need] = []
        if new.source.startswith(("models:/", "runs:/")):
            with self.db.read() as conn:
                self._require_model_id(RegistryStore(conn), new.name)
                prepared = self._prepare_source(conn, new.source, new.run_id, new.model_id, needs)
                self._check_run(conn, new.source, new.run_id, needs)
            self._require_reads(needs)
            files = self._files_to_copy(prepared)
        else:
            if new.run_id is not None:
                with self.db.read() as conn:
                    self._check_run(conn, new.source, new.run_id, needs)
                self._require_reads(needs)
            prepared = PreparedSource(new.source, new.run_id, new.model_id, files_at=new.source)
            files = self._files_to_copy(prepared)
            if files is None:
                # Not copied: the URI itself is what clients will download from.
                source_rules.check_reference(new.source, self.allowed_source_schemes)
            else:
                if files.root_relative is not None:
                    self._check_stored_files(files.root_relative)
                # Check before copying a whole tree for a model that does not exist;
                # otherwise the check under the model's lock below is enough.
                with self.db.read() as conn:
                    self._require_model_id(RegistryStore(conn), new.name)
                    self._require_model_directory(conn, new.source, files)
        if new.model_id is not None and not new.source.startswith("models:/"):
            # Checked before anything is copied; models:/<model_id> is checked above.
            logged_needs: list[_Need] = []
            with self.db.read() as conn:
                self._check_logged_model(
                    conn, new.source, prepared.run_id, new.model_id, logged_needs
                )
            self._require_reads(logged_needs)
        snapshot = self._make_copy(files) if files else None
        storage_location = snapshot.location if snapshot else prepared.storage_location
        manifest = snapshot.manifest if snapshot else prepared.manifest
        now = self.clock()
        try:
            with self.db.write() as conn:
                store = RegistryStore(conn)
                allocated = store.allocate_version_by_name(new.name, now)
                if allocated is None:
                    raise model_not_found(new.name)
                parent_id, version = allocated
                if storage_location and is_registry_copy(storage_location):
                    # Counted under the copy's row lock: a copy whose last version was
                    # deleted meanwhile is gone and cannot be referenced again.
                    if not CopyStore(conn).add_reference(
                        storage_location, new=snapshot is not None
                    ):
                        raise NotFound(
                            f"The files of {prepared.source} are gone: its version was "
                            "deleted while this one was being registered."
                        )
                store.insert_version(
                    parent_id,
                    version,
                    creation_timestamp=now,
                    last_updated_timestamp=now,
                    current_stage=STAGE_NONE,
                    description=new.description,
                    source=prepared.source,
                    run_id=prepared.run_id,
                    run_link=new.run_link,
                    status=STATUS_READY,
                    status_message=None,
                    user_id=self.actor,
                    model_id_ref=prepared.model_id,
                    storage_location=storage_location,
                    manifest=None if manifest is None else json.dumps(manifest, sort_keys=True),
                )
                store.set_version_tags(parent_id, version, new.tags, new=True)
                recorded: list[events.DomainEvent] = [
                    events.ModelVersionCreated(
                        name=new.name,
                        version=version,
                        source=prepared.source,
                        run_id=prepared.run_id,
                        model_id=prepared.model_id,
                        tags=new.tags,
                        description=new.description,
                    )
                ]
                if prepared.model_id is not None:
                    recorded += _record_on_logged_model(
                        TrackingStore(conn),
                        prepared.model_id,
                        new.name,
                        version,
                        required=not prepared.model_id_inherited,
                    )
                self._record(conn, now, *recorded)
        except BaseException:
            if snapshot is not None:
                self._drop_copy(snapshot.location)
            raise
        return ModelVersion(
            name=new.name,
            version=version_text(version),
            creation_timestamp=now,
            last_updated_timestamp=now,
            description=new.description,
            source=prepared.source,
            run_id=prepared.run_id or "",
            run_link=new.run_link or "",
            user_id=self.actor,
            model_id=prepared.model_id,
            tags=new.tags,
            storage_location=storage_location,
        )

    def _require_reads(self, needs: Sequence[_Need]) -> None:
        """PermissionDenied unless the caller may read each model or experiment."""
        for kind, key, message in needs:
            if kind == "model":
                allowed = self.access.may_read_model(self.principal, key)
            else:
                allowed = self.access.may_read_experiment(self.principal, key)
            if not allowed:
                raise PermissionDenied(message)

    def _check_run(
        self, conn: Connection, source: str, run_id: str | None, needs: list[_Need]
    ) -> None:
        """The run a version comes from exists, may be read, and holds the source.

        ``run_id`` (or the run of a ``runs:/`` source) must name a run; the caller must
        be allowed to read its experiment; a source on this server's artifact store
        (``mlflow-artifacts:/…`` or root-relative) must lie inside that run's artifacts.
        """
        if source.startswith("runs:/"):
            run_id = source.removeprefix("runs:/").lstrip("/").split("/", 1)[0]
        if run_id is None:
            return
        row = TrackingStore(conn).run_row(run_id)
        if row is None:
            raise InvalidArgument(f"Invalid run_id {run_id!r}: no run has this id.")
        needs.append(
            ("experiment", str(row.experiment_id), f"Permission denied to read run {run_id!r}.")
        )
        inside = _proxy_relative(source)
        if inside is None or _within(inside, row.artifact_uri):
            return
        # A logged model's artifacts (<exp>/models/<m-id>/artifacts) belong to its run.
        parts = inside.split("/")
        if len(parts) >= 3 and parts[1] == "models":
            logged = TrackingStore(conn).logged_model_row(parts[2])
            if (
                logged is not None
                and logged.source_run_id == run_id
                and _within(inside, logged.artifact_location)
            ):
                return
        raise InvalidArgument(
            f"Invalid model version source: '{source[:200]}'. The source must be inside "
            f"the artifacts of run {run_id!r} named by run_id (or of a model it logged)."
        )

    def _check_stored_files(self, relative: str) -> None:
        """The caller may read the stored files a path source names: ``<experiment
        id>/…`` needs READ on that experiment, anything else in the store is read by
        those who may read the whole store (with ``--auth``: admins). Else a source
        written as a path (``1/<run>/artifacts/model``, or the store's own URI) would
        copy another owner's files into the caller's model (security checklist T-08).
        """
        head = relative.split("/", 1)[0]
        if head.isascii() and head.isdigit():
            if not self.access.may_read_experiment(self.principal, head):
                raise PermissionDenied(
                    f"Permission denied to read the files of experiment {head}, the source "
                    "of this version."
                )
        elif not self.access.may_read_store(self.principal):
            raise PermissionDenied(
                f"Permission denied to read {relative[:200]!r}: register from a run "
                "(runs:/…), a logged model (models:/m-…) or a version (models:/name/1)."
            )

    def _check_logged_model(
        self,
        conn: Connection,
        source: str,
        run_id: str | None,
        model_id: str,
        needs: list[_Need],
    ) -> Row[Any]:
        """The logged model a version names exists, holds the source, and (through
        ``needs``, asked after the read transaction) may be read.

        Its ``source_run_id`` must be the ``run_id`` (or the run of a ``runs:/``
        source), and a source on this server's store must lie inside the logged
        model's artifacts or its run's, so a version cannot claim another team's
        logged model (and write its ``mlflow.modelVersions`` tag) for its own files.
        """
        store = TrackingStore(conn)
        logged = store.logged_model_row(model_id)
        if logged is None:
            raise NotFound(f"Logged model with ID '{model_id}' not found.")
        needs.append(
            (
                "experiment",
                str(logged.experiment_id),
                f"Permission denied to read logged model {model_id!r}, the source of this version.",
            )
        )
        if run_id is not None and logged.source_run_id and logged.source_run_id != run_id:
            raise InvalidArgument(
                f"The model_id {model_id!r} names a model logged by run "
                f"{logged.source_run_id!r}, not by run {run_id!r} named by run_id or the source."
            )
        inside = _proxy_relative(source)
        if inside is None or _within(inside, logged.artifact_location):
            return logged
        run = store.run_row(logged.source_run_id) if logged.source_run_id else None
        if run is not None and _within(inside, run.artifact_uri):
            return logged
        raise InvalidArgument(
            f"Invalid model version source: '{source[:200]}'. The source must be inside "
            f"the artifacts of logged model {model_id!r} named by model_id (or of its run)."
        )

    def _require_model_directory(self, conn: Connection, source: str, files: SourceFiles) -> None:
        """A path source is one model: ``MLmodel`` at its root, or a run's or logged
        model's artifacts (what ``runs:/`` and ``models:/`` name), never a whole
        experiment or the artifact root.
        """
        if self.snapshotter is None or self.snapshotter.holds_model(files) is not False:
            return  # a model, or nothing to copy (snapshot() tells which)
        inside = files.root_relative
        if inside is not None and _in_owned_artifacts(TrackingStore(conn), inside):
            return
        raise InvalidArgument(
            f"Invalid model version source: '{source[:200]}'. A source must be a model "
            "directory: a folder with an MLmodel file at its root, or a path inside the "
            "artifacts of a run or logged model (runs:/<run_id>/<path>, models:/<model_id>)."
        )

    def _prepare_source(
        self,
        conn: Connection,
        source: str,
        run_id: str | None,
        model_id: str | None,
        needs: list[_Need],
    ) -> PreparedSource:
        """Canonicalise ``source`` and find the files behind it, inheriting lineage."""
        if source.startswith("models:/"):
            ref = model_uris.parse_models_uri(source)
            if ref.model_id is None:
                return self._from_registered_version(conn, source, ref, run_id, model_id, needs)
            if model_id is not None and model_id != ref.model_id:
                raise InvalidArgument(
                    f"The model_id {model_id!r} does not match the source {source!r}."
                )
            logged = self._check_logged_model(conn, source, run_id, ref.model_id, needs)
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
        needs: list[_Need],
    ) -> PreparedSource:
        """``models:/name/<v|stage|@alias>`` → ``models:/name/<number>``, sharing its copy."""
        store = RegistryStore(conn)
        origin = model_uris.resolve_reference(ref, StoreLookup(store))
        # The copy would hand the caller model B's files: only if B is theirs to read.
        needs.append(
            (
                "model",
                origin.name,
                f"Permission denied to read registered model {origin.name!r}, the source "
                "of this version.",
            )
        )
        for field, sent, inherited in (
            ("run_id", run_id, origin.run_id or None),
            ("model_id", model_id, origin.model_id),
        ):
            if sent is not None and inherited is not None and sent != inherited:
                raise InvalidArgument(
                    f"The {field} {sent!r} does not match the {field} {inherited!r} of {source}."
                )
        row = store.version_row(origin.name, origin.number)
        return PreparedSource(
            source=f"models:/{origin.name}/{origin.version}",
            run_id=run_id or origin.run_id or None,
            model_id=model_id or origin.model_id,
            storage_location=origin.storage_location or origin.source,
            manifest=json.loads(row.manifest) if row is not None and row.manifest else None,
            model_id_inherited=origin.model_id is not None,
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
            raise version_not_found(name, number)
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
            row = self._require_version_row(store, name, number)
            store.update_version(row.model_id, number, description=text, last_updated_timestamp=now)
            self._record(
                conn,
                now,
                events.ModelVersionUpdated(name=name, version=number, description=text),
            )
            return read_back(store.get_version(name, number), "The updated version")

    def delete_model_version(self, name: str, version: int | str) -> None:
        name = validation.validate_model_name(name)
        number = validation.parse_version(version)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            row = self._lock_version(store, name, number, now)
            parent_id = row.model_id
            store.delete_version(parent_id, number)
            location = row.storage_location
            freed = (
                CopyStore(conn).release([location])
                if location and is_registry_copy(location)
                else []
            )
            self._record(conn, now, events.ModelVersionDeleted(name=name, version=number))
        # After the commit: no version references these copies, none can again.
        self._remove_files(freed)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_VERSIONS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        limit = filters.validate_max_results(
            max_results, maximum=SEARCH_VERSIONS_MAX, default=SEARCH_VERSIONS_DEFAULT
        )
        conditions = filters.parse_model_version_filter(filter_string, self.db.filter_limits)
        order = filters.parse_model_version_order_by(order_by)
        visible = self._visibility()

        def fetch(offset: int, count: int) -> list[ModelVersion]:
            with self.db.read() as conn:
                return RegistryStore(conn).search_versions(
                    conditions, order, offset, count, visible
                )

        return fetch_page(fetch, page_token, limit)

    def get_model_version_download_uri(self, name: str, version: int | str) -> str:
        """Where the version's files are: the registry's copy, else its source.

        Served, a copy is reached through its version (``mlflow-artifacts:/_model-versions/
        <name>/<version>``), never at ``_registry/<uuid>``: the artifact proxy resolves
        that path through the version row, so a deleted version's files are gone.
        """
        found = self.get_model_version(name, version)
        if found.storage_location and self.snapshotter is not None:
            locations = self.snapshotter.locations
            if locations.root == PROXY_ROOT and is_registry_copy(found.storage_location):
                return version_files_uri(found.name, found.number)
            return locations.resolve(found.storage_location)
        return found.storage_location or found.source

    def version_files(self, name: str, version: int | str) -> str:
        """The registry copy holding the version's files (``_registry/<uuid>``).

        ``NotFound`` when the version does not exist (any more) or has no copy.
        """
        found = self.get_model_version(name, version)
        location = found.storage_location
        if not location or not is_registry_copy(location):
            raise NotFound(
                f"Model version {found.name!r} version {found.number} has no files in the "
                "registry's storage."
            )
        return location

    def get_model_version_manifest(self, name: str, version: int | str) -> dict[str, str] | None:
        """SHA-256 of every file of the registry's copy; None when the source is external."""
        name = validation.validate_model_name(name)
        number = validation.parse_version(version)
        with self.db.read() as conn:
            row = self._require_version_row(RegistryStore(conn), name, number)
        return dict(json.loads(row.manifest)) if row.manifest else None

    # -------------------------------------------------------------- tags
    def set_model_version_tag(self, name: str, version: int | str, key: str, value: Any) -> None:
        name = validation.validate_model_name(name)
        number = validation.parse_version(version)
        key = validation.validate_tag_key(key)
        text = validation.validate_tag_value(key, value)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            row = self._require_version_row(store, name, number)
            store.set_version_tags(row.model_id, number, {key: text})
            self._record(
                conn,
                now,
                events.ModelVersionTagSet(name=name, version=number, key=key, value=text),
            )

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        name = validation.validate_model_name(name)
        number = validation.parse_version(version)
        key = validation.validate_tag_key(key)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            row = self._require_version_row(store, name, number)
            if store.delete_version_tag(row.model_id, number, key):
                self._record(
                    conn,
                    now,
                    events.ModelVersionTagDeleted(name=name, version=number, key=key),
                )


MODEL_VERSIONS_TAG = "mlflow.modelVersions"


def _record_on_logged_model(
    store: TrackingStore, model_id: str, name: str, version: int, *, required: bool
) -> list[events.DomainEvent]:
    """Add ``{name, version}`` to the logged model's ``mlflow.modelVersions`` tag.

    MLflow's server keeps this list (``set_model_versions_tags``), so every client sees
    which versions a logged model became; the value is byte for byte MLflow's
    (``json.dumps``, the version a number). A ``model_id`` the caller gave must name a
    logged model; one a copy inherited may outlive it, and is then left alone.
    """
    if store.lock_logged_model(model_id) is None:
        if required:
            raise NotFound(f"Logged model with ID '{model_id}' not found.")
        return []
    entry = {"name": name, "version": version}
    try:
        listed = json.loads(store.logged_model_tag(model_id, MODEL_VERSIONS_TAG) or "[]")
    except ValueError:
        listed = []  # someone else's text under our key: start the list afresh
    if not isinstance(listed, list):
        listed = []
    if entry not in listed:
        listed.append(entry)
    value = json.dumps(listed)
    store.set_logged_model_tags(model_id, {MODEL_VERSIONS_TAG: value})
    return [events.LoggedModelTagSet(model_id=model_id, key=MODEL_VERSIONS_TAG, value=value)]


def _proxy_relative(location: str) -> str | None:
    """A location on this server's artifact store as a root-relative path, else None."""
    if location.startswith(PROXY_ROOT):
        return location.removeprefix(PROXY_ROOT).lstrip("/")
    if is_absolute_location(location):
        return None
    return location.lstrip("/")


def _in_owned_artifacts(store: TrackingStore, relative: str) -> bool:
    """Whether a root-relative path lies in a run's or logged model's artifacts.

    Served, they are ``<experiment>/<run id>/artifacts`` and
    ``<experiment>/models/<model id>/artifacts``; the owner's stored location decides.
    """
    parts = relative.split("/")
    location = None
    if len(parts) >= 3 and parts[2] == "artifacts":
        run = store.run_row(parts[1])
        location = run.artifact_uri if run is not None else None
    elif len(parts) >= 4 and parts[1] == "models" and parts[3] == "artifacts":
        logged = store.logged_model_row(parts[2])
        location = logged.artifact_location if logged is not None else None
    root = None if location is None else _proxy_relative(location)
    return root is not None and _within(relative, root)


def _within(relative: str, location: str) -> bool:
    """Whether a root-relative path lies in ``location`` (True when that is elsewhere)."""
    root = _proxy_relative(location)
    if root is None:
        return True  # the run keeps its artifacts off this store: nothing to compare
    root = root.rstrip("/")
    return relative.rstrip("/") == root or relative.startswith(root + "/")
