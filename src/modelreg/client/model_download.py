"""Resolve model URIs to local folders, verifying registered versions against their manifest.

Handles ``models:/name/<version|stage|latest>``, ``models:/name@alias``,
``models:/m-<id>``, ``runs:/<run_id>/<path>``, and artifact locations (a local folder,
``file://``, ``s3://``, ``mlflow-artifacts:/``). Registered in the loaders' resolver
table by :func:`install_resolvers`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from modelreg.client.artifact_repos import repository_for
from modelreg.client.logged_models import logged_model_for_run
from modelreg.client.registry_client import MlflowClient
from modelreg.config import get_tracking_uri
from modelreg.errors import InvalidArgument, NotFound
from modelreg.model_uris import parse_models_uri
from modelreg.models.manifest import verify_manifest
from modelreg.models.resolve import register_resolver


def _client() -> MlflowClient:
    return MlflowClient(tracking_uri=get_tracking_uri())


def fetch_location(location: str, tracking_uri: str) -> Path:
    """A local folder with the files at ``location`` (downloaded unless already local)."""
    parts = urlsplit(location)
    if parts.scheme in ("", "file") and not location.startswith("mlflow-artifacts:"):
        local = Path(unquote(parts.path) if parts.scheme == "file" else location)
        if not local.exists():
            raise NotFound(f"No model files at {location!r}.")
        return local
    repo = repository_for(location, tracking_uri)
    if not repo.is_dir(""):
        raise NotFound(f"No model files at {location!r}.")
    target = Path(tempfile.mkdtemp(prefix="modelreg-model-"))
    return Path(repo.download_tree("", target))


def resolve_models_uri(uri: str, client: MlflowClient | None = None) -> Path:
    """The verified local folder of the model a ``models:/`` URI names."""
    c = client or _client()
    ref = parse_models_uri(uri)
    if ref.model_id is not None:
        logged = c.get_logged_model(ref.model_id)
        return fetch_location(logged.artifact_location, c.tracking_uri)
    version = c._registry.resolve_model_uri(uri)
    location = c.get_model_version_download_uri(version.name, version.version)
    if location.startswith(("models:/", "runs:/")):
        return resolve_any(location, c)
    folder = fetch_location(location, c.tracking_uri)
    manifest = c.get_model_version_manifest(version.name, version.version)
    if manifest is not None:
        # A registered version must be byte-for-byte what was registered.
        verify_manifest(folder, manifest)
    return folder


def resolve_runs_uri(uri: str, client: MlflowClient | None = None) -> Path:
    """``runs:/<run_id>/<path>``: files under the run, else the model it logged as ``path``."""
    c = client or _client()
    run_id, _, path = uri.removeprefix("runs:/").strip("/").partition("/")
    if not run_id:
        raise InvalidArgument(f"Invalid runs URI {uri!r}: expected runs:/<run_id>/<path>.")
    run = c.get_run(run_id)
    path = path.strip("/")
    base = run.info.artifact_uri.rstrip("/")
    if path and any(f.path.endswith("MLmodel") for f in c.list_artifacts(run_id, path)):
        return fetch_location(f"{base}/{path}", c.tracking_uri)
    if not path:
        return fetch_location(base, c.tracking_uri)
    model_id = logged_model_for_run(c, run, path)
    return fetch_location(c.get_logged_model(model_id).artifact_location, c.tracking_uri)


def resolve_any(uri: str, client: MlflowClient | None = None) -> Path:
    if uri.startswith("models:/"):
        return resolve_models_uri(uri, client)
    if uri.startswith("runs:/"):
        return resolve_runs_uri(uri, client)
    c = client or _client()
    return fetch_location(uri, c.tracking_uri)


def install_resolvers() -> None:
    """Teach the model loaders the URI schemes the client serves."""
    register_resolver("models", resolve_models_uri)
    register_resolver("runs", resolve_runs_uri)
    for scheme in ("s3", "mlflow-artifacts"):
        register_resolver(scheme, resolve_any)
