"""A live MLflow server, read through its public REST API (httpx; never the mlflow package).

Only documented endpoints are used: the searches (experiments, runs, logged models,
registered models, model versions, all with page tokens), metric histories, model
version download URIs, and the artifact proxy (``/api/2.0/mlflow-artifacts/...``)
for files. Credentials come from ``MLFLOW_TRACKING_USERNAME``/``PASSWORD`` or
``MLFLOW_TRACKING_TOKEN`` (or their ``MODELREG_`` forms), as for the client.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from modelreg.config import tracking_credentials
from modelreg.errors import InvalidArgument, RegistryError
from modelreg.migrate.source import Location

PROXY_SCHEME = "mlflow-artifacts"
PAGE = 1000
HISTORY_PAGE = 25_000
LOGGED_MODELS_PAGE = 100
_RETRIES = 4


class MlflowSourceError(RegistryError):
    """The MLflow server answered something the import cannot use."""


def proxy_path(uri: str | None) -> str | None:
    """The path under the artifact proxy of an ``mlflow-artifacts:`` URI, else None.

    ``mlflow-artifacts:/1/abc/artifacts`` and ``mlflow-artifacts://host:5000/1/abc/
    artifacts`` are both the proxy's ``1/abc/artifacts``; any other scheme (``s3://``,
    a local path of the server) is outside what the server serves.
    """
    if not uri:
        return None
    parts = urlsplit(uri)
    if parts.scheme != PROXY_SCHEME:
        return None
    return parts.path.strip("/")


class MlflowSource:
    """Reads one MLflow server (``http(s)://host:port``)."""

    def __init__(
        self, url: str, *, timeout: float = 60.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise InvalidArgument(
                f"--from {url!r}: give the MLflow server's URL (http://host:port) or its "
                "database URI (sqlite:///mlflow.db, postgresql://…, mysql://…)."
            )
        credentials = tracking_credentials()
        headers = {}
        auth: httpx.BasicAuth | None = None
        if credentials.token:
            headers["Authorization"] = f"Bearer {credentials.token}"
        elif credentials.username:
            auth = httpx.BasicAuth(credentials.username, credentials.password or "")
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url,
            timeout=timeout,
            headers=headers,
            auth=auth,
            follow_redirects=True,
            transport=transport,
        )

    @property
    def name(self) -> str:
        return self.url

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------- transport
    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One JSON call, retried on connection errors and 429/5xx (a busy server)."""
        for attempt in range(_RETRIES + 1):
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError as error:
                if attempt == _RETRIES:
                    raise MlflowSourceError(f"MLflow server {self.url}: {error}") from None
            else:
                if response.status_code < 400:
                    found: dict[str, Any] = response.json() if response.content else {}
                    return found
                if response.status_code not in (429, 500, 502, 503, 504) or attempt == _RETRIES:
                    raise MlflowSourceError(
                        f"MLflow server {self.url}: {method} {path} answered "
                        f"{response.status_code}: {response.text[:300]}"
                    )
            time.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _pages(
        self, method: str, path: str, key: str, body: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            request = {**body, **({"page_token": token} if token else {})}
            if method == "GET":
                page = self._call("GET", path, params=request)
            else:
                page = self._call("POST", path, json=request)
            yield from page.get(key, [])
            token = page.get("next_page_token")
            if not token:
                return

    # ---------------------------------------------------------------- reads
    def experiments(self) -> Iterator[dict[str, Any]]:
        return self._pages(
            "POST",
            "/api/2.0/mlflow/experiments/search",
            "experiments",
            {"max_results": PAGE, "view_type": "ALL"},
        )

    def runs(self, experiment_id: str) -> Iterator[dict[str, Any]]:
        return self._pages(
            "POST",
            "/api/2.0/mlflow/runs/search",
            "runs",
            {"experiment_ids": [experiment_id], "max_results": PAGE, "run_view_type": "ALL"},
        )

    def metric_history(self, run_id: str, key: str) -> Iterator[dict[str, Any]]:
        return self._pages(
            "GET",
            "/api/2.0/mlflow/metrics/get-history",
            "metrics",
            {"run_id": run_id, "metric_key": key, "max_results": HISTORY_PAGE},
        )

    def logged_models(self, experiment_id: str) -> Iterator[dict[str, Any]]:
        return self._pages(
            "POST",
            "/api/2.0/mlflow/logged-models/search",
            "models",
            {"experiment_ids": [experiment_id], "max_results": LOGGED_MODELS_PAGE},
        )

    def registered_models(self) -> Iterator[dict[str, Any]]:
        return self._pages(
            "GET",
            "/api/2.0/mlflow/registered-models/search",
            "registered_models",
            {"max_results": PAGE},
        )

    def model_versions(self, name: str) -> Iterator[dict[str, Any]]:
        escaped = name.replace("\\", "\\\\").replace("'", "\\'")
        return self._pages(
            "GET",
            "/api/2.0/mlflow/model-versions/search",
            "model_versions",
            {"filter": f"name='{escaped}'", "max_results": PAGE},
        )

    def download_uri(self, name: str, version: str) -> str | None:
        found = self._call(
            "GET",
            "/api/2.0/mlflow/model-versions/get-download-uri",
            params={"name": name, "version": version},
        )
        uri = found.get("artifact_uri")
        return str(uri) if uri else None

    def last_version(self, name: str) -> int | None:
        # The API hides deleted versions: a deleted highest number cannot be seen.
        return None

    # ---------------------------------------------------------------- files
    def locate(self, uri: str | None) -> Location:
        path = proxy_path(uri)
        if path is not None:
            return Location(path)
        return Location(
            None,
            f"files at {uri!r} are outside the MLflow server's artifact store "
            "(not served by its artifact proxy)",
        )

    def list_files(self, path: str) -> Iterator[tuple[str, int]]:
        """Every file under ``path`` of the artifact proxy: (path, size), depth first."""
        listing = self._call("GET", "/api/2.0/mlflow-artifacts/artifacts", params={"path": path})
        for entry in listing.get("files", []):
            # The proxy lists names relative to the folder listed.
            child = f"{path}/{entry['path']}" if path else str(entry["path"])
            if entry.get("is_dir"):
                yield from self.list_files(child)
            else:
                yield child, int(entry.get("file_size") or 0)

    def download(self, path: str) -> Iterator[bytes]:
        """The bytes of one proxied file, streamed."""
        url = f"/api/2.0/mlflow-artifacts/artifacts/{quote(path)}"
        with self._http.stream("GET", url) as response:
            if response.status_code >= 400:
                response.read()
                raise MlflowSourceError(
                    f"MLflow server {self.url}: downloading {path!r} answered "
                    f"{response.status_code}: {response.text[:300]}"
                )
            yield from response.iter_bytes(1024 * 1024)
