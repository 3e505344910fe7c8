"""What ``modelreg import-mlflow`` reads from: one Protocol, two MLflow sources.

:class:`~modelreg.migrate.mlflow_source.MlflowSource` reads a live server over its
REST API; :class:`~modelreg.migrate.mlflow_db.MlflowDatabaseSource` reads an MLflow
tracking database directly. Both hand the importer the same JSON shapes (those of
MLflow's REST API: ``{"info": ..., "data": ...}`` runs, tags as ``[{"key", "value"}]``
lists, string ids), so there is one importer and one set of rules for ids, numbers,
reruns and files.

Files are addressed by a *location*: a relative path that is both where the source
serves them from and where the import writes them under modelreg's artifact root
(``<experiment>/<run>/artifacts``, ``<experiment>/models/<id>/artifacts``), so every
stored URI stays valid after the move.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Location:
    """Where the files of an artifact URI are, or why the import cannot copy them."""

    path: str | None
    why_not: str = ""


class MlflowReader(Protocol):
    """One MLflow installation, read-only, in the shapes of MLflow's REST API."""

    @property
    def name(self) -> str:
        """What the import state is kept under: the URL, or the redacted database URI."""
        ...

    def experiments(self) -> Iterator[dict[str, Any]]: ...

    def runs(self, experiment_id: str) -> Iterator[dict[str, Any]]: ...

    def metric_history(self, run_id: str, key: str) -> Iterator[dict[str, Any]]: ...

    def logged_models(self, experiment_id: str) -> Iterator[dict[str, Any]]: ...

    def registered_models(self) -> Iterator[dict[str, Any]]: ...

    def model_versions(self, name: str) -> Iterator[dict[str, Any]]: ...

    def download_uri(self, name: str, version: str) -> str | None:
        """Where a version's files are (MLflow's ``get-download-uri``)."""
        ...

    def last_version(self, name: str) -> int | None:
        """The highest number MLflow ever gave a version of ``name`` (deleted ones
        included), where the source can tell; None where it cannot."""
        ...

    def locate(self, uri: str | None) -> Location:
        """The location of an artifact URI's files, or why they cannot be copied."""
        ...

    def list_files(self, path: str) -> Iterator[tuple[str, int]]:
        """Every file under a location: (path, size), paths under the same root."""
        ...

    def download(self, path: str) -> Iterator[bytes]:
        """The bytes of one file listed by :meth:`list_files`, streamed."""
        ...

    def close(self) -> None: ...
