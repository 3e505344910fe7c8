"""The contract every transport implements: ``Registry`` and ``Tracking`` (pure).

The services (in-process) and the HTTP transports (over MLflow's REST API) both
subclass these Protocols, so mypy checks each of them against one list of methods,
arguments and results: a method added here and missing from a transport, or a
transport's signature that drifts, fails the type check. ``MlflowClient`` holds one
``Registry`` and one ``Tracking`` and never knows which transport it has.

Adding a capability (approvals, webhooks, permissions) is one method here plus one
implementation per transport; the contract suites in ``tests/contract`` run every
method over both.

Versions are accepted as ``3`` or ``"3"`` and returned as MLflow returns them
(``"3"``); results are the frozen entities of :mod:`modelreg.entities` and
:mod:`modelreg.tracking_entities`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from modelreg.approval_entities import (
    ApprovalRequest,
    Comment,
    PromotionPolicy,
    StatusCheck,
)
from modelreg.entities import Event, ModelVersion, PagedList, RegisteredModel
from modelreg.history_entities import ChainReport
from modelreg.limits import (
    BULK_INTERVAL_RESULTS_MAX,
    SEARCH_EVENTS_DEFAULT,
    SEARCH_EXPERIMENTS_DEFAULT,
    SEARCH_LOGGED_MODELS_DEFAULT,
    SEARCH_MODELS_DEFAULT,
    SEARCH_RUNS_DEFAULT,
    SEARCH_VERSIONS_DEFAULT,
)
from modelreg.tracking_entities import (
    ArtifactListing,
    DatasetInput,
    Experiment,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
    Run,
)

Version = int | str


class Registry(Protocol):
    """Registered models, versions, stages, aliases and tags."""

    # ------------------------------------------------------ registered models
    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> RegisteredModel: ...

    def get_registered_model(self, name: str) -> RegisteredModel: ...

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel: ...

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel: ...

    def delete_registered_model(self, name: str) -> None: ...

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_MODELS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]: ...

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]: ...

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None: ...

    def delete_registered_model_tag(self, name: str, key: str) -> None: ...

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
    ) -> ModelVersion: ...

    def get_model_version(self, name: str, version: Version) -> ModelVersion: ...

    def update_model_version(
        self, name: str, version: Version, description: str | None
    ) -> ModelVersion: ...

    def delete_model_version(self, name: str, version: Version) -> None: ...

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_VERSIONS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]: ...

    def get_model_version_download_uri(self, name: str, version: Version) -> str: ...

    def get_model_version_manifest(self, name: str, version: Version) -> dict[str, str] | None:
        """SHA-256 of every file of the registry's copy; None when the source is external."""
        ...

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        """Copy the version ``src_model_uri`` names into ``dst_name`` (created if needed)."""
        ...

    def set_model_version_tag(self, name: str, version: Version, key: str, value: Any) -> None: ...

    def delete_model_version_tag(self, name: str, version: Version, key: str) -> None: ...

    # ------------------------------------------------------ stages and aliases
    def transition_model_version_stage(
        self,
        name: str,
        version: Version,
        stage: str,
        archive_existing_versions: bool = False,
    ) -> ModelVersion: ...

    def set_registered_model_alias(self, name: str, alias: str, version: Version) -> None: ...

    def delete_registered_model_alias(self, name: str, alias: str) -> None: ...

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion: ...

    def resolve_model_uri(self, uri: str) -> ModelVersion:
        """The version a ``models:/name/<version|stage|latest>`` or ``@alias`` URI names."""
        ...


class Tracking(Protocol):
    """Experiments, runs, params, metrics, tags, datasets and logged models."""

    # ----------------------------------------------------------- experiments
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> str: ...

    def get_experiment(self, experiment_id: str | int) -> Experiment: ...

    def get_experiment_by_name(self, name: str) -> Experiment | None: ...

    def search_experiments(
        self,
        view_type: str = "ACTIVE_ONLY",
        max_results: int = SEARCH_EXPERIMENTS_DEFAULT,
        filter_string: str | None = None,
        page_token: str | None = None,
        order_by: Sequence[str] | None = None,
    ) -> PagedList[Experiment]:
        """MLflow's ``order_by`` (``name``, ``experiment_id``, ``creation_time``,
        ``last_update_time``); by default the newest first."""
        ...

    def set_experiment_tag(self, experiment_id: str | int, key: str, value: Any) -> None: ...

    def delete_experiment_tag(self, experiment_id: str | int, key: str) -> None: ...

    def rename_experiment(self, experiment_id: str | int, new_name: str) -> None: ...

    def delete_experiment(self, experiment_id: str | int) -> None: ...

    def restore_experiment(self, experiment_id: str | int) -> None: ...

    # ------------------------------------------------------------------ runs
    def create_run(
        self,
        experiment_id: str | int | None = None,
        start_time: int | None = None,
        tags: Mapping[str, Any] | None = None,
        run_name: str | None = None,
        user_id: str | None = None,
    ) -> Run: ...

    def get_run(self, run_id: str) -> Run: ...

    def update_run(
        self,
        run_id: str,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> Run: ...

    def delete_run(self, run_id: str) -> None: ...

    def restore_run(self, run_id: str) -> None: ...

    def search_runs(
        self,
        experiment_ids: Sequence[str | int],
        filter_string: str = "",
        run_view_type: str = "ACTIVE_ONLY",
        max_results: int = SEARCH_RUNS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]: ...

    # ------------------------------------------------ params, metrics, tags
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None: ...

    def log_param(self, run_id: str, key: str, value: Any) -> None: ...

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        model_id: str | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
    ) -> None:
        """``dataset_name`` and ``dataset_digest`` (both or neither) name the dataset the
        value was computed on; logged-model searches filter on it."""
        ...

    def set_tag(self, run_id: str, key: str, value: Any) -> None: ...

    def delete_tag(self, run_id: str, key: str) -> None: ...

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        """Values in MLflow's order (timestamp, step, value); the whole history unless
        ``max_results`` asks for a page (``.token`` then fetches the next)."""
        ...

    def get_metric_history_bulk_interval(
        self,
        run_ids: Sequence[str],
        metric_key: str,
        max_results: int = BULK_INTERVAL_RESULTS_MAX,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[Metric]:
        """Up to ``max_results`` values of one metric per run (at most 100 runs), evenly
        sampled over the steps (``start_step``..``end_step`` inclusive, both or neither)
        keeping each run's last value, as MLflow's UI charts read them."""
        ...

    def log_inputs(
        self,
        run_id: str,
        dataset_inputs: Sequence[DatasetInput] = (),
        models: Sequence[LoggedModelInput] | None = None,
    ) -> None:
        """Link datasets, and logged models (which must exist), to a run as its inputs."""
        ...

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None: ...

    def list_artifacts(self, run_id: str, path: str | None = None) -> ArtifactListing:
        """One level of the run's artifacts under ``path`` (paths relative to the run's
        artifact root, ``root_uri`` that root); a missing folder lists as ``[]``."""
        ...

    # ---------------------------------------------------------- logged models
    def create_logged_model(
        self,
        experiment_id: str | int,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel: ...

    def get_logged_model(self, model_id: str) -> LoggedModel: ...

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel: ...

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, Any]) -> None: ...

    def delete_logged_model_tag(self, model_id: str, key: str) -> None: ...

    def log_logged_model_params(self, model_id: str, params: Mapping[str, Any]) -> None: ...

    def delete_logged_model(self, model_id: str) -> None: ...

    def list_logged_model_artifacts(
        self, model_id: str, path: str | None = None
    ) -> ArtifactListing:
        """One level of the logged model's artifacts, as :meth:`list_artifacts`."""
        ...

    def search_logged_models(
        self,
        experiment_ids: Sequence[str | int],
        filter_string: str | None = None,
        max_results: int = SEARCH_LOGGED_MODELS_DEFAULT,
        order_by: Sequence[Mapping[str, Any]] | None = None,
        page_token: str | None = None,
        datasets: Sequence[Mapping[str, Any]] | None = None,
    ) -> PagedList[LoggedModel]:
        """``datasets`` (``[{"dataset_name", "dataset_digest"?}]``) keeps models with
        metrics on those datasets and limits metric conditions to them."""
        ...


class Approvals(Protocol):
    """Comments, transition and alias requests, promotion policies and status checks (#9).

    Transition requests follow Databricks' Workspace Model Registry (a request is named
    by model, version and stage; withdrawn by its creator); alias requests are the same
    with an alias. Policy targets are a stage (``Production``) or ``@alias``.
    """

    # -------------------------------------------------------------- comments
    def create_comment(self, name: str, version: Version, comment: str) -> Comment: ...

    def update_comment(self, id: str, comment: str) -> Comment: ...

    def delete_comment(self, id: str) -> None: ...

    def list_comments(self, name: str, version: Version) -> list[Comment]:
        """The version's comments, oldest first."""
        ...

    # --------------------------------------------------- transition requests
    def create_transition_request(
        self, name: str, version: Version, stage: str, comment: str | None = None
    ) -> ApprovalRequest: ...

    def approve_transition_request(
        self,
        name: str,
        version: Version,
        stage: str,
        archive_existing_versions: bool = False,
        comment: str | None = None,
    ) -> ApprovalRequest:
        """Approve the oldest open request; the approval that completes it moves the version."""
        ...

    def reject_transition_request(
        self, name: str, version: Version, stage: str, comment: str | None = None
    ) -> ApprovalRequest: ...

    def list_transition_requests(self, name: str, version: Version) -> list[ApprovalRequest]:
        """Open transition requests on the version, oldest first."""
        ...

    def delete_transition_request(
        self, name: str, version: Version, stage: str, creator: str, comment: str | None = None
    ) -> ApprovalRequest: ...

    def transition_stage(
        self,
        name: str,
        version: Version,
        stage: str,
        archive_existing_versions: bool = False,
        comment: str | None = None,
    ) -> ModelVersion:
        """Databricks' direct move: ``transition_model_version_stage`` (promotion policies
        apply) with a comment, recorded in the move's event."""
        ...

    # -------------------------------------------------------- alias requests
    def create_alias_request(
        self, name: str, version: Version, alias: str, comment: str | None = None
    ) -> ApprovalRequest: ...

    def approve_alias_request(
        self, name: str, version: Version, alias: str, comment: str | None = None
    ) -> ApprovalRequest: ...

    def reject_alias_request(
        self, name: str, version: Version, alias: str, comment: str | None = None
    ) -> ApprovalRequest: ...

    def list_alias_requests(self, name: str, version: Version) -> list[ApprovalRequest]: ...

    def delete_alias_request(
        self, name: str, version: Version, alias: str, creator: str, comment: str | None = None
    ) -> ApprovalRequest: ...

    # ---------------------------------------------------- promotion policies
    def set_promotion_policy(
        self,
        name: str,
        target: str,
        required_approvals: int = 0,
        approvers: Sequence[str] | None = None,
        four_eyes: bool = False,
        required_tags: Mapping[str, Any] | None = None,
        required_checks: Sequence[str] | None = None,
        require_integrity: bool = False,
    ) -> PromotionPolicy: ...

    def get_promotion_policy(self, name: str, target: str) -> PromotionPolicy: ...

    def list_promotion_policies(self, name: str) -> list[PromotionPolicy]: ...

    def delete_promotion_policy(self, name: str, target: str) -> None: ...

    # --------------------------------------------------------- status checks
    def set_status_check(
        self,
        name: str,
        version: Version,
        check_name: str,
        state: str,
        details_url: str | None = None,
        description: str | None = None,
    ) -> StatusCheck: ...

    def list_status_checks(
        self, name: str, version: Version, history: bool = False
    ) -> list[StatusCheck]:
        """The latest result per check name; every posting, oldest first, with ``history``."""
        ...


__all__ = ["Approvals", "Registry", "Tracking", "Version"]
__all__ = ["History", "Registry", "Tracking", "Version"]


class History(Protocol):
    """The event log as history: the pull feed, time travel, rollback, verification.

    docs/history.md. Timestamps are milliseconds since the epoch, like every MLflow
    timestamp; versions are returned as MLflow returns them (``"3"``).
    """

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
    ) -> PagedList[Event]: ...

    def get_alias_at(self, name: str, alias: str, timestamp: int) -> str: ...

    def get_stage_versions_at(self, name: str, stage: str, timestamp: int) -> list[str]: ...

    def rollback_alias(self, name: str, alias: str, timestamp: int | None = None) -> str: ...

    def verify_events(self, name: str | None = None) -> ChainReport: ...
