"""The registry half of ``MlflowClient``: same method names, arguments and defaults as
``mlflow.MlflowClient``, returning modelreg's frozen entities with the field types the
real client returns over REST (``mv.version == "3"``).

The client holds one :class:`~modelreg.protocols.Registry` and one
:class:`~modelreg.protocols.Tracking`: the in-process services for a database URI,
the HTTP transports for ``http(s)://``. Neither is imported until a client needs it,
so a client of a server never loads SQLAlchemy or the service layer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from modelreg.client.approvals_client import ApprovalMethods
from modelreg.client.artifacts_client import ArtifactMethods
from modelreg.client.history_client import HistoryMethods
from modelreg.client.tracking_client import TrackingMethods
from modelreg.config import Settings, get_registry_uri, is_http_uri, normalize_tracking_uri
from modelreg.entities import STAGES, ModelVersion, PagedList, RegisteredModel
from modelreg.errors import InvalidArgument, NotFound, PermissionDenied
from modelreg.limits import SEARCH_MODELS_DEFAULT, SEARCH_VERSIONS_DEFAULT
from modelreg.protocols import Registry
from modelreg.tracking_entities import Lineage

_T = TypeVar("_T")


class MlflowClient(TrackingMethods, ArtifactMethods, ApprovalMethods, HistoryMethods):
    """Manage experiments, runs, registered models, versions, stages, aliases and tags.

    With no arguments it uses the tracking URI in force (``modelreg.set_tracking_uri``,
    ``MODELREG_TRACKING_URI``, else the embedded ``./.modelreg`` store).
    """

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        uri = normalize_tracking_uri(registry_uri or tracking_uri or get_registry_uri())
        self._tracking_uri = normalize_tracking_uri(tracking_uri) if tracking_uri else uri
        self._registry_uri = uri
        self._registry: Registry
        if is_http_uri(uri):
            self._connect(uri)
            return
        from modelreg.client import embedded

        found = embedded.services(Settings.from_env(uri))
        self._registry = found.registry
        self._tracking = found.tracking
        self._approvals = found.approvals
        self._history = found.registry

    def _connect(self, registry_uri: str) -> None:
        """Speak HTTP to a server: registry, tracking and its artifact proxy, one pool."""
        from modelreg.client import http
        from modelreg.client.artifact_repos import register_proxy
        from modelreg.client.http_artifacts import HttpArtifactRepository
        from modelreg.client.http_history import HttpHistory
        from modelreg.client.http_tracking import HttpTracking
        from modelreg.config import tracking_credentials

        pool = http.shared_client(tracking_credentials())
        server = self._tracking_uri if is_http_uri(self._tracking_uri) else registry_uri
        self._registry = http.HttpRegistry(registry_uri, http=pool)
        self._history = HttpHistory(registry_uri, http=pool)
        self._tracking = HttpTracking(server, http=pool)
        from modelreg.client.http_approvals import HttpApprovals

        self._approvals = HttpApprovals(registry_uri, http=pool)
        # mlflow-artifacts:/… locations this server hands out are read and written
        # through its artifact proxy (model logging, downloads, list_artifacts).
        register_proxy(
            self._tracking_uri, lambda uri: HttpArtifactRepository(uri, server, http=pool)
        )

    @property
    def tracking_uri(self) -> str:
        return self._tracking_uri

    # ------------------------------------------------------ registered models
    def create_registered_model(
        self,
        name: str,
        tags: dict[str, Any] | None = None,
        description: str | None = None,
        deployment_job_id: str | None = None,
    ) -> RegisteredModel:
        return self._registry.create_registered_model(name, tags, description)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._registry.get_registered_model(name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        return self._registry.rename_registered_model(name, new_name)

    def update_registered_model(
        self, name: str, description: str | None = None, deployment_job_id: str | None = None
    ) -> RegisteredModel:
        return self._registry.update_registered_model(name, description)

    def delete_registered_model(self, name: str) -> None:
        self._registry.delete_registered_model(name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_MODELS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        return self._registry.search_registered_models(
            filter_string, max_results, order_by, page_token
        )

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        return self._registry.get_latest_versions(name, stages)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        self._registry.set_registered_model_tag(name, key, value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._registry.delete_registered_model_tag(name, key)

    # --------------------------------------------------------- model versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        await_creation_for: int = 300,
        model_id: str | None = None,
    ) -> ModelVersion:
        # Versions are READY when created, so there is never anything to wait for.
        return self._registry.create_model_version(
            name, source, run_id, tags, run_link, description, model_id
        )

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        return self._registry.get_model_version(name, version)

    def update_model_version(
        self, name: str, version: int | str, description: str | None = None
    ) -> ModelVersion:
        if description is None:
            raise InvalidArgument("Attempting to update model version with no new field values.")
        return self._registry.update_model_version(name, version, description)

    def delete_model_version(self, name: str, version: int | str) -> None:
        self._registry.delete_model_version(name, version)

    def transition_model_version_stage(
        self,
        name: str,
        version: int | str,
        stage: str,
        archive_existing_versions: bool = False,
    ) -> ModelVersion:
        return self._registry.transition_model_version_stage(
            name, version, stage, archive_existing_versions
        )

    def get_model_version_stages(self, name: str, version: int | str) -> list[str]:
        return list(STAGES)

    def get_model_version_download_uri(self, name: str, version: int | str) -> str:
        return self._registry.get_model_version_download_uri(name, version)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_VERSIONS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        return self._registry.search_model_versions(
            filter_string, max_results, order_by, page_token
        )

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        return self._registry.copy_model_version(src_model_uri, dst_name)

    def get_model_version_manifest(self, name: str, version: int | str) -> dict[str, str] | None:
        """SHA-256 of every file of the version's registry copy (modelreg extension)."""
        return self._registry.get_model_version_manifest(name, version)

    def get_model_version_lineage(self, name: str, version: int | str) -> Lineage:
        """Where a version came from: its run's params, metrics, tags, git commit, datasets."""
        found = self._registry.get_model_version(name, version)
        # A version may name a run or logged model this registry never saw (registered
        # from another tracking server): lineage then stops at what is known.
        logged, logged_hidden = _readable(self._tracking.get_logged_model, found.model_id)
        run_id = found.run_id or (logged.source_run_id if logged else None)
        run, run_hidden = _readable(self._tracking.get_run, run_id)
        return Lineage(
            name=found.name,
            version=found.version,
            source=found.source,
            run=run,
            logged_model=logged,
            git_commit=run.data.tags.get("mlflow.source.git.commit") if run else None,
            datasets=list(run.inputs.dataset_inputs) if run else [],
            hidden_run_id=run_id if run_hidden else None,
            hidden_logged_model_id=found.model_id if logged_hidden else None,
        )

    def set_model_version_tag(
        self,
        name: str,
        version: int | str | None = None,
        key: str | None = None,
        value: Any = None,
        stage: str | None = None,
    ) -> None:
        number = self._version_or_stage(name, version, stage)
        self._registry.set_model_version_tag(name, number, _required("key", key), value)

    def delete_model_version_tag(
        self,
        name: str,
        version: int | str | None = None,
        key: str | None = None,
        stage: str | None = None,
    ) -> None:
        number = self._version_or_stage(name, version, stage)
        self._registry.delete_model_version_tag(name, number, _required("key", key))

    def _version_or_stage(
        self, name: str, version: int | str | None, stage: str | None
    ) -> int | str:
        if (version is None) == (stage is None):
            raise InvalidArgument("Exactly one of 'version' and 'stage' must be given.")
        if version is not None:
            return version
        latest = self._registry.get_latest_versions(name, [str(stage)])
        if not latest:
            raise InvalidArgument(f"Could not find any model version in stage {stage!r}.")
        return latest[0].version

    # ------------------------------------------------------------ aliases
    def set_registered_model_alias(self, name: str, alias: str, version: int | str) -> None:
        self._registry.set_registered_model_alias(name, alias, version)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._registry.delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return self._registry.get_model_version_by_alias(name, alias)


def _or_none(fetch: Callable[[str], _T], key: str | None) -> _T | None:
    if not key:
        return None
    try:
        return fetch(key)
    except NotFound:
        return None


def _readable(fetch: Callable[[str], _T], key: str | None) -> tuple[_T | None, bool]:
    """``fetch(key)``, None if unknown; and whether it exists but the caller may not
    read it (a server with --auth answers 403: lineage says so and shows nothing)."""
    try:
        return _or_none(fetch, key), False
    except PermissionDenied:
        return None, True


def _required(field: str, value: str | None) -> str:
    if value is None:
        raise InvalidArgument(f"Missing value for required parameter '{field}'.")
    return value
