"""Where experiments, runs and logged models keep their files.

Locations are stored relative to the artifact root unless a user gave an experiment
an explicit location, so the same database works embedded (root = a folder or bucket)
and behind a server (root = ``mlflow-artifacts:``, served by the artifact proxy).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import urlsplit

from modelreg.errors import InvalidArgument

PROXY_ROOT = "mlflow-artifacts:"


def is_absolute_location(location: str) -> bool:
    return bool(urlsplit(location).scheme) or location.startswith("/")


@dataclass(frozen=True, slots=True)
class ArtifactLocations:
    """Resolves stored locations against ``root``; ``allow_external`` permits user roots."""

    root: str
    allow_external: bool = True

    def resolve(self, stored: str) -> str:
        if is_absolute_location(stored):
            return stored
        if self.root == PROXY_ROOT:
            return f"{PROXY_ROOT}/{stored}"
        return posixpath.join(self.root.rstrip("/"), stored) if stored else self.root

    def experiment_location(self, requested: str | None, experiment_id: int) -> str:
        if not requested:
            return str(experiment_id)
        if not self.allow_external:
            raise InvalidArgument(
                "This server keeps artifacts under its configured artifacts destination; "
                "experiments cannot choose their own artifact_location."
            )
        return requested

    @staticmethod
    def child(parent: str, *parts: str) -> str:
        return posixpath.join(parent.rstrip("/"), *parts) if parent else posixpath.join(*parts)
