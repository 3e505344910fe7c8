"""``build_services(settings)``: the one assembly of the services.

The server (``create_app``), the embedded client and a future ``modelreg worker``
all build their services here, so a new service (approvals, webhooks, auth) is wired
once. Where they differ (artifact locations served through the proxy, or local
paths the user owns) is a setting (:class:`~modelreg.config.Settings`), not a
second assembly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from modelreg.config import Settings, is_http_uri, webhook_settings
from modelreg.errors import InvalidArgument
from modelreg.principal import Principal
from modelreg.service.access import ALLOW_ALL, ReadAccess
from modelreg.service.approvals import ApprovalsService
from modelreg.service.artifact_locations import PROXY_ROOT, ArtifactLocations
from modelreg.service.artifact_proxy import ArtifactProxy
from modelreg.service.auth.access import GrantAccess
from modelreg.service.auth.policy import GrantPolicy
from modelreg.service.auth.service import AuthService
from modelreg.service.registry import RegistryService
from modelreg.service.snapshots import open_snapshotter
from modelreg.service.tracking import TrackingService
from modelreg.service.webhooks import WebhookService
from modelreg.store.database import Database


@dataclass(frozen=True, slots=True)
class Services:
    """Every service of one process, over one database and one artifact store."""

    db: Database
    registry: RegistryService
    tracking: TrackingService
    # Reads and writes the artifact store for remote clients (the server's proxy).
    artifacts: ArtifactProxy
    # Comments, requests, promotion policies and status checks (#9).
    approvals: ApprovalsService
    # Webhook subscriptions and deliveries (the worker is built from the same settings).
    webhooks: WebhookService
    # Users, tokens, groups and grants (enforced by a server with --auth).
    auth: AuthService

    def as_actor(self, actor: str | Principal) -> Services:
        """The same services acting for ``actor`` (a request's caller, a job's owner)."""
        return replace(
            self,
            registry=self.registry.as_actor(actor),
            tracking=self.tracking.as_actor(actor),
            approvals=self.approvals.as_actor(actor),
            webhooks=self.webhooks.as_actor(actor),
        )


def build_services(
    settings: Settings,
    *,
    database: Database | None = None,
    grants: GrantPolicy | None = None,
    access: ReadAccess | None = None,
) -> Services:
    """The services for ``settings``; ``database`` shares an already-open one.

    ``grants`` (a server with ``--auth``) restricts every search to what the acting
    principal may read (a webhook list: to the webhooks of models it manages).
    ``access`` decides what a caller may read of others' models, experiments and
    stored files when a version is registered from them (default: everything, or,
    with ``grants``, what the grants allow: :mod:`modelreg.service.access`).
    """
    if is_http_uri(settings.tracking_uri):
        raise InvalidArgument(
            f"modelreg stores its metadata in a database, not at {settings.tracking_uri}:"
            " give sqlite:///…, postgresql://… or mysql://…."
        )
    db = database or Database(
        settings.tracking_uri,
        auto_upgrade_sqlite=settings.auto_upgrade_sqlite,
        statement_timeout_ms=settings.statement_timeout_ms,
        filter_limits=settings.filter_limits,
    )
    # Served, locations are artifact-proxy URIs (mlflow-artifacts:/…) that clients read
    # and write through the server; embedded, they are paths under the artifact root.
    locations = ArtifactLocations(
        root=PROXY_ROOT if settings.serve_artifacts else settings.artifact_root,
        allow_external=settings.allow_external_artifacts,
    )
    snapshotter = open_snapshotter(locations, settings.artifact_root, settings.copy_limits)
    auth = AuthService(db, grants)
    if access is None:
        # With permissions, what a caller may read of others' data comes from the grants.
        access = ALLOW_ALL if grants is None else GrantAccess(auth)
    registry = RegistryService(
        db,
        actor=settings.actor,
        snapshotter=snapshotter,
        grants=grants,
        access=access,
        allowed_source_schemes=settings.allowed_source_schemes,
    )
    return Services(
        db=db,
        registry=registry,
        tracking=TrackingService(
            db, locations, actor=settings.actor, artifacts=snapshotter.store, grants=grants
        ),
        # The proxy serves the store the registry copies into: one destination. Copies
        # are reached only through their version (resolved on every request).
        artifacts=ArtifactProxy(snapshotter.store, registry.version_files),
        approvals=ApprovalsService(db, actor=settings.actor, snapshotter=snapshotter),
        webhooks=WebhookService(
            db, settings.webhooks or webhook_settings(), actor=settings.actor, grants=grants
        ),
        auth=auth,
    )


__all__ = ["Services", "build_services"]
