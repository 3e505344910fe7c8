"""Run artifacts on ``MlflowClient``: log, list and download files of a run."""

from __future__ import annotations

import os
import posixpath
import tempfile
from pathlib import Path

from modelreg.artifacts import FileInfo, safe_relative_path
from modelreg.client.artifact_repos import repository_for
from modelreg.errors import InvalidArgument, NotFound
from modelreg.protocols import Tracking


class ArtifactMethods:
    """MlflowClient's artifact methods; mixed into :class:`~modelreg.client.MlflowClient`."""

    _tracking: Tracking
    _tracking_uri: str

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Upload one local file under the run's artifacts (optionally in ``artifact_path``)."""
        source = Path(local_path)
        if not source.is_file():
            raise InvalidArgument(f"log_artifact needs an existing file, got {str(source)!r}.")
        artifact_uri = self._tracking.get_run(run_id).info.artifact_uri
        repo = repository_for(artifact_uri, self._tracking_uri)
        folder = safe_relative_path(artifact_path or "")
        repo.write_file(posixpath.join(folder, source.name) if folder else source.name, source)

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Upload every file under ``local_dir``, keeping its layout."""
        source = Path(local_dir)
        if not source.is_dir():
            raise InvalidArgument(f"log_artifacts needs an existing folder, got {str(source)!r}.")
        artifact_uri = self._tracking.get_run(run_id).info.artifact_uri
        repo = repository_for(artifact_uri, self._tracking_uri)
        repo.upload_tree(source, safe_relative_path(artifact_path or ""))

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """One level of the run's artifacts; paths are relative to the run's artifact root."""
        artifact_uri = self._tracking.get_run(run_id).info.artifact_uri
        repo = repository_for(artifact_uri, self._tracking_uri)
        return repo.list_dir(safe_relative_path(path or ""))

    def list_logged_model_artifacts(self, model_id: str, path: str | None = None) -> list[FileInfo]:
        """One level of the logged model's artifacts; paths are relative to its root."""
        return self._tracking.list_logged_model_artifacts(model_id, path)

    def download_artifacts(
        self, run_id: str, path: str, dst_path: str | os.PathLike[str] | None = None
    ) -> str:
        """Download a file or folder of the run's artifacts; returns the local path."""
        artifact_uri = self._tracking.get_run(run_id).info.artifact_uri
        repo = repository_for(artifact_uri, self._tracking_uri)
        rel = safe_relative_path(path)
        target = Path(dst_path) if dst_path is not None else Path(tempfile.mkdtemp())
        target.mkdir(parents=True, exist_ok=True)
        if repo.is_dir(rel) or not rel:
            return repo.download_tree(rel, target / posixpath.basename(rel) if rel else target)
        if not repo.exists(rel):
            raise NotFound(f"No artifact at {path!r} in run {run_id}.")
        local = target / posixpath.basename(rel)
        with open(local, "wb") as out:
            for chunk in repo.iter_read(rel):
                out.write(chunk)
        return str(local)
