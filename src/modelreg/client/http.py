"""The HTTP transport: the registry use cases over MLflow's REST API.

:class:`HttpRegistry` implements :class:`~modelreg.protocols.Registry`, as the
in-process service does, so ``MlflowClient`` works the same against a server as
embedded. Entities are decoded by :mod:`modelreg.codec`, the server's own codec.
Error envelopes become the same exception classes (``modelreg.errors.error_for_code``);
an unreachable server is :class:`~modelreg.errors.TemporarilyUnavailable`.

Arguments are converted to their wire types with the shared rules of
:mod:`modelreg.validation` (a version number becomes its decimal string, tag values
are ``str()``-ed), so bad input fails with the same message as in-process.
"""

from __future__ import annotations

import atexit
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Final, Self, TypeVar

import httpx

from modelreg import model_uris, validation
from modelreg._version import __version__
from modelreg.codec.registry import model_version_from_json, registered_model_from_json
from modelreg.config import Credentials, tracking_credentials
from modelreg.entities import ModelVersion, PagedList, RegisteredModel
from modelreg.errors import (
    Conflict,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RegistryError,
    TemporarilyUnavailable,
    Unauthenticated,
    error_for_code,
)
from modelreg.limits import SEARCH_MODELS_DEFAULT, SEARCH_VERSIONS_DEFAULT
from modelreg.protocols import Registry, Version

_T = TypeVar("_T")

TIMEOUT_SECONDS: Final = 120.0  # MLflow's default request timeout

_API: Final = "/api/2.0/"
_BY_STATUS: Final[dict[int, type[RegistryError]]] = {
    400: InvalidArgument,
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: InvalidArgument,
    429: TemporarilyUnavailable,
    502: TemporarilyUnavailable,
    503: TemporarilyUnavailable,
    504: TemporarilyUnavailable,
}


class _BearerAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers["Authorization"] = self._header
        yield request


_shared: dict[tuple[str | None, ...], httpx.Client] = {}
_shared_lock = threading.Lock()


def shared_client(credentials: Credentials) -> httpx.Client:
    """One connection pool per process and credentials, as MLflow's client keeps one session.

    Every ``MlflowClient("http://…")`` reuses it, so creating clients is cheap and
    keep-alive connections are shared; the pools are closed at interpreter exit.
    """
    key = (credentials.username, credentials.password, credentials.token)
    with _shared_lock:
        client = _shared.get(key)
        if client is None:
            if not _shared:
                atexit.register(_close_shared)
            client = _shared[key] = httpx.Client(
                auth=auth_for(credentials),
                timeout=TIMEOUT_SECONDS,
                headers={"User-Agent": f"modelreg/{__version__}"},
            )
        return client


def _close_shared() -> None:
    with _shared_lock:
        for client in _shared.values():
            client.close()
        _shared.clear()


def auth_for(credentials: Credentials) -> httpx.Auth | None:
    """Basic auth when a username is set (the server records it as the actor), else Bearer."""
    if credentials.username:
        return httpx.BasicAuth(credentials.username, credentials.password or "")
    if credentials.token:
        return _BearerAuth(credentials.token)
    return None


# ------------------------------------------------------------------ entities → wire
def _version_text(version: Version) -> str:
    return str(validation.parse_version(version))


def _tag_list(tags: Mapping[str, Any] | None) -> list[dict[str, str]] | None:
    if tags is None:
        return None
    return [{"key": key, "value": value} for key, value in validation.validate_tags(tags).items()]


def _tag_value(value: Any) -> str | None:
    # None travels as JSON null so the server applies the same "cannot be null" rule.
    return value if value is None or isinstance(value, str) else str(value)


def decode_response(
    base_url: str, method: str, path: str, response: httpx.Response
) -> dict[str, Any]:
    """A 200's JSON object, or the error the server reported, as modelreg's exception."""
    body = response.content
    try:
        data = json.loads(body) if body.strip() else {}
    except ValueError:
        data = None
    if response.status_code == 200:
        if not isinstance(data, dict):
            raise RegistryError(
                f"The server at {base_url} answered {method} {path} with a body "
                "that is not a JSON object."
            )
        return data
    if (
        isinstance(data, dict)
        and isinstance(data.get("error_code"), str)
        and isinstance(data.get("message"), str)
    ):
        raise error_for_code(data["error_code"], data["message"])
    cls = _BY_STATUS.get(response.status_code, RegistryError)
    snippet = response.text[:200].strip()
    raise cls(
        f"HTTP {response.status_code} from {method} {path}" + (f": {snippet}" if snippet else ".")
    )


def unreachable(base_url: str, error: httpx.TransportError) -> TemporarilyUnavailable:
    return TemporarilyUnavailable(f"Cannot reach the modelreg server at {base_url}: {error}")


class JsonApi:
    """MLflow's JSON REST conventions over one ``httpx.Client`` (shared by the transports).

    Args:
        base_url: the server, e.g. ``http://registry:5000``.
        http: an ``httpx.Client`` to send requests with (tests pass one bound to the
            ASGI app). Without one, the process-wide pool for the credentials in the
            environment is used (``MODELREG_``/``MLFLOW_TRACKING_USERNAME``/``PASSWORD``/
            ``TOKEN``; see :func:`shared_client`).
    """

    def __init__(self, base_url: str, *, http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._api = self.base_url + _API
        self._http = http or shared_client(tracking_credentials())

    def close(self) -> None:
        """Nothing to release: connections belong to the pool this object was given."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(
        self,
        method: str,
        path: str,
        fields: Mapping[str, Any],
        *,
        keep_null: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """Send ``fields`` (``None`` ones left out, except ``keep_null``) and decode the reply."""
        url = self._api + path
        sent = {k: v for k, v in fields.items() if v is not None or k in keep_null}
        try:
            if method == "GET":
                response = self._http.get(url, params=sent)
            else:
                response = self._http.request(method, url, json=sent)
        except httpx.TransportError as error:
            raise unreachable(self.base_url, error) from None
        return decode_response(self.base_url, method, path, response)

    def _parse(self, parse: Callable[[Any], _T], data: Any) -> _T:
        try:
            return parse(data)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise RegistryError(
                f"The server at {self.base_url} sent a malformed response ({error!r})."
            ) from None


class HttpRegistry(JsonApi, Registry):
    """The registry use cases, served by a modelreg (or MLflow) server at ``base_url``.

    Same constructor as :class:`JsonApi`.
    """

    def _model(self, data: dict[str, Any]) -> RegisteredModel:
        return self._parse(registered_model_from_json, data.get("registered_model"))

    def _version(self, data: dict[str, Any]) -> ModelVersion:
        return self._parse(model_version_from_json, data.get("model_version"))

    def _versions(self, data: dict[str, Any]) -> list[ModelVersion]:
        return self._parse(
            lambda items: [model_version_from_json(mv) for mv in items or ()],
            data.get("model_versions"),
        )

    # ------------------------------------------------------ registered models
    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        fields = {"name": name, "tags": _tag_list(tags), "description": description}
        return self._model(self._call("POST", "mlflow/registered-models/create", fields))

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._model(self._call("GET", "mlflow/registered-models/get", {"name": name}))

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        fields = {"name": name, "new_name": new_name}
        return self._model(self._call("POST", "mlflow/registered-models/rename", fields))

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        fields = {"name": name, "description": description}
        return self._model(self._call("PATCH", "mlflow/registered-models/update", fields))

    def delete_registered_model(self, name: str) -> None:
        self._call("DELETE", "mlflow/registered-models/delete", {"name": name})

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_MODELS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        data = self._call(
            "GET",
            "mlflow/registered-models/search",
            _search(filter_string, max_results, order_by, page_token),
        )
        models = self._parse(
            lambda items: [registered_model_from_json(rm) for rm in items or ()],
            data.get("registered_models"),
        )
        return PagedList(models, data.get("next_page_token") or None)

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        fields = {"name": name, "stages": None if stages is None else list(stages)}
        return self._versions(
            self._call("POST", "mlflow/registered-models/get-latest-versions", fields)
        )

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        fields = {"name": name, "key": key, "value": _tag_value(value)}
        self._call("POST", "mlflow/registered-models/set-tag", fields, keep_null=("value",))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._call("DELETE", "mlflow/registered-models/delete-tag", {"name": name, "key": key})

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
        new = validation.new_version(name, source, run_id, tags, run_link, description, model_id)
        fields = {
            "name": new.name,
            "source": new.source,
            "run_id": new.run_id,
            "tags": _tag_list(new.tags),
            "run_link": new.run_link,
            "description": new.description or None,
            "model_id": new.model_id,
        }
        return self._version(self._call("POST", "mlflow/model-versions/create", fields))

    def get_model_version(self, name: str, version: Version) -> ModelVersion:
        fields = {"name": name, "version": _version_text(version)}
        return self._version(self._call("GET", "mlflow/model-versions/get", fields))

    def update_model_version(
        self, name: str, version: Version, description: str | None
    ) -> ModelVersion:
        fields = {"name": name, "version": _version_text(version), "description": description}
        return self._version(self._call("PATCH", "mlflow/model-versions/update", fields))

    def delete_model_version(self, name: str, version: Version) -> None:
        fields = {"name": name, "version": _version_text(version)}
        self._call("DELETE", "mlflow/model-versions/delete", fields)

    def transition_model_version_stage(
        self,
        name: str,
        version: Version,
        stage: str,
        archive_existing_versions: bool = False,
    ) -> ModelVersion:
        fields = {
            "name": name,
            "version": _version_text(version),
            "stage": stage,
            "archive_existing_versions": bool(archive_existing_versions),
        }
        return self._version(self._call("POST", "mlflow/model-versions/transition-stage", fields))

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_VERSIONS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        data = self._call(
            "GET",
            "mlflow/model-versions/search",
            _search(filter_string, max_results, order_by, page_token),
        )
        return PagedList(self._versions(data), data.get("next_page_token") or None)

    def get_model_version_download_uri(self, name: str, version: Version) -> str:
        fields = {"name": name, "version": _version_text(version)}
        data = self._call("GET", "mlflow/model-versions/get-download-uri", fields)
        return self._parse(lambda uri: str(uri), data["artifact_uri"])

    def get_model_version_manifest(self, name: str, version: Version) -> dict[str, str] | None:
        """SHA-256 of every file of the registry's copy; None when the source is external."""
        fields = {"name": name, "version": _version_text(version)}
        data = self._call("GET", "modelreg/model-versions/get-manifest", fields)
        manifest = data.get("manifest")
        return None if manifest is None else self._parse(lambda m: dict(m), manifest)

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        """Copy a version into ``dst_name`` (created if needed), as MLflow's client does."""
        return model_uris.copy_model_version(self, src_model_uri, dst_name)

    def set_model_version_tag(self, name: str, version: Version, key: str, value: Any) -> None:
        fields = {
            "name": name,
            "version": _version_text(version),
            "key": key,
            "value": _tag_value(value),
        }
        self._call("POST", "mlflow/model-versions/set-tag", fields, keep_null=("value",))

    def delete_model_version_tag(self, name: str, version: Version, key: str) -> None:
        fields = {"name": name, "version": _version_text(version), "key": key}
        self._call("DELETE", "mlflow/model-versions/delete-tag", fields)

    # ------------------------------------------------------------ aliases
    def set_registered_model_alias(self, name: str, alias: str, version: Version) -> None:
        fields = {"name": name, "alias": alias, "version": _version_text(version)}
        self._call("POST", "mlflow/registered-models/alias", fields)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._call("DELETE", "mlflow/registered-models/alias", {"name": name, "alias": alias})

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        fields = {"name": name, "alias": alias}
        return self._version(self._call("GET", "mlflow/registered-models/alias", fields))

    # ----------------------------------------------------------- resolution
    def resolve_model_uri(self, uri: str) -> ModelVersion:
        """The version a ``models:/name/<version|stage|latest>`` or ``@alias`` URI names."""
        # Parsed on this side, as MLflow's client does; the lookups are ordinary calls.
        return model_uris.resolve_reference(model_uris.registered_reference(uri), self)


def _search(
    filter_string: str | None,
    max_results: int,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> dict[str, Any]:
    return {
        "filter": filter_string,
        "max_results": max_results,
        "order_by": None if order_by is None else list(order_by),
        "page_token": page_token,
    }


__all__ = ["HttpRegistry", "JsonApi", "auth_for", "decode_response", "shared_client"]
