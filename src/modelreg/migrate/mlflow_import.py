"""``modelreg import-mlflow``: an MLflow server's or database's history, moved in.

Order matters for the foreign keys and the registry copies: experiments, then each
experiment's logged models and runs (with their files, copied from the source to the
same relative paths under modelreg's artifact root, so every stored location stays
valid), then registered models and their versions (a registry copy and manifest made
from the files just imported), then aliases. What is read comes through
:class:`~modelreg.migrate.source.MlflowReader`, whichever MLflow it is.

Every entity is one transaction of :class:`~modelreg.service.imports.ImportService`
with its ``import_state`` row: what is unchanged since the last import (same
fingerprint) is skipped, what changed is replaced, and an import stopped half-way is
finished by running it again.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from modelreg.artifacts import ArtifactStore
from modelreg.errors import RegistryError
from modelreg.migrate.progress import Progress, SilentProgress, format_bytes
from modelreg.migrate.source import MlflowReader
from modelreg.service import imports
from modelreg.service.imports import (
    ExperimentRecord,
    ImportService,
    LoggedModelRecord,
    ModelVersionRecord,
    RegisteredModelRecord,
    RunRecord,
    fingerprint,
    metric_value,
)
from modelreg.service.snapshots import Snapshot, Snapshotter, SourceFiles
from modelreg.tracking_entities import (
    Dataset,
    DatasetInput,
    LoggedModelOutput,
    Metric,
)

KINDS = (
    imports.EXPERIMENT,
    imports.LOGGED_MODEL,
    imports.RUN,
    imports.REGISTERED_MODEL,
    imports.MODEL_VERSION,
)


@dataclass(slots=True)
class Tally:
    new: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(slots=True)
class ImportSummary:
    """What an import did: per kind new / updated / unchanged, files, and what it skipped."""

    counts: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in KINDS})
    metrics: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        for kind, tally in self.counts.items():
            out.append(
                f"  {kind.replace('_', ' ')}s: {tally.new} new, {tally.updated} updated, "
                f"{tally.unchanged} unchanged"
            )
        out.append(f"  metric values: {self.metrics}")
        out.append(f"  files: {self.files} ({format_bytes(self.bytes)})")
        out.append(f"  time: {self.seconds:.1f} s")
        if self.skipped:
            out.append(f"  skipped ({len(self.skipped)}):")
            out += [f"    {reason}" for reason in self.skipped]
        return out


def _tags(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    return {str(t["key"]): str(t.get("value", "")) for t in items or ()}


def _int(value: Any, default: int = 0) -> int:
    return default if value is None or value == "" else int(value)


class MlflowImporter:
    """One import of one MLflow (server or database) into one modelreg registry."""

    def __init__(
        self,
        source: MlflowReader,
        service: ImportService,
        store: ArtifactStore,
        snapshotter: Snapshotter,
        progress: Progress | None = None,
    ) -> None:
        self.source = source
        self.service = service
        self.store = store
        self.snapshotter = snapshotter
        self.progress = progress or SilentProgress()
        self.summary = ImportSummary()

    def run(self) -> ImportSummary:
        started = time.monotonic()
        try:
            experiments = list(self.source.experiments())
            self._experiments(experiments)
            for experiment in experiments:
                self._logged_models(str(experiment["experiment_id"]))
            for experiment in experiments:
                self._runs(str(experiment["experiment_id"]))
            self._registry()
        finally:
            self.summary.seconds = time.monotonic() - started
            self.progress.close()
        return self.summary

    # ------------------------------------------------------------ helpers
    def _tally(self, kind: str, seen: Mapping[str, str], key: str) -> None:
        tally = self.summary.counts[kind]
        if key in seen:
            tally.updated += 1
        else:
            tally.new += 1

    def _copy_tree(self, path: str) -> None:
        """Copy a proxied folder to the same path here (files already here are kept)."""
        for file_path, size in self.source.list_files(path):
            if self.store.exists(file_path) and self.store.size(file_path) == size:
                continue
            written = self.store.write_stream(
                file_path, self.source.download(file_path), size_hint=size
            )
            self.summary.files += 1
            self.summary.bytes += written
            self.progress.advance(0, written)

    def _location(self, uri: str | None, default: str, what: str) -> tuple[str, bool]:
        """Where an entity's files go here, and whether the source can supply them.

        A location the source cannot read is recorded as ``default`` (skipped, with
        the source's reason in the summary).
        """
        found = self.source.locate(uri)
        if found.path is not None:
            return found.path, True
        self.summary.skipped.append(f"{what}: {found.why_not}; metadata imported, files not copied")
        return default, False

    # -------------------------------------------------------- experiments
    def _experiments(self, experiments: list[dict[str, Any]]) -> None:
        seen = self.service.imported(imports.EXPERIMENT)
        self.progress.phase("experiments", len(experiments))
        for raw in experiments:
            key = str(raw["experiment_id"])
            digest = fingerprint(raw)
            if seen.get(key) == digest:
                self.summary.counts[imports.EXPERIMENT].unchanged += 1
            else:
                record = ExperimentRecord(
                    experiment_id=int(key),
                    name=str(raw["name"]),
                    artifact_location=self._location(
                        raw.get("artifact_location"), key, f"experiment {key}"
                    )[0],
                    lifecycle_stage=str(raw.get("lifecycle_stage", "active")),
                    creation_time=_int(raw.get("creation_time")),
                    last_update_time=_int(raw.get("last_update_time")),
                    tags=_tags(raw.get("tags")),
                )
                self.service.import_experiment(record, digest)
                self._tally(imports.EXPERIMENT, seen, key)
            self.progress.advance()

    # ------------------------------------------------------ logged models
    def _logged_models(self, experiment_id: str) -> None:
        seen = self.service.imported(imports.LOGGED_MODEL)
        models = list(self.source.logged_models(experiment_id))
        self.progress.phase(f"logged models (exp. {experiment_id})", len(models))
        for raw in models:
            info, data = raw.get("info", {}), raw.get("data", {})
            key = str(info["model_id"])
            digest = fingerprint(raw)
            if seen.get(key) == digest:
                self.summary.counts[imports.LOGGED_MODEL].unchanged += 1
                self.progress.advance()
                continue
            location, readable = self._location(
                info.get("artifact_uri"),
                f"{experiment_id}/models/{key}/artifacts",
                f"logged model {key}",
            )
            if readable:
                self._copy_tree(location)
            record = LoggedModelRecord(
                model_id=key,
                experiment_id=int(experiment_id),
                name=str(info.get("name", key)),
                artifact_location=location,
                creation_timestamp_ms=_int(info.get("creation_timestamp_ms")),
                last_updated_timestamp_ms=_int(info.get("last_updated_timestamp_ms")),
                status=str(info.get("status", "LOGGED_MODEL_READY")),
                status_message=info.get("status_message"),
                model_type=info.get("model_type"),
                source_run_id=info.get("source_run_id"),
                params=_tags(data.get("params")),
                tags=_tags(info.get("tags")),
            )
            self.service.import_logged_model(record, digest)
            self._tally(imports.LOGGED_MODEL, seen, key)
            self.progress.advance()

    # --------------------------------------------------------------- runs
    def _runs(self, experiment_id: str) -> None:
        seen = self.service.imported(imports.RUN)
        runs = list(self.source.runs(experiment_id))
        self.progress.phase(f"runs (exp. {experiment_id})", len(runs))
        for raw in runs:
            info = raw.get("info", {})
            key = str(info.get("run_id") or info["run_uuid"])
            digest = fingerprint(raw)
            if seen.get(key) == digest:
                self.summary.counts[imports.RUN].unchanged += 1
                self.progress.advance()
                continue
            location, readable = self._location(
                info.get("artifact_uri"), f"{experiment_id}/{key}/artifacts", f"run {key}"
            )
            if readable:
                self._copy_tree(location)
            record, metrics = self._run_record(raw, key, int(experiment_id), location)
            self.service.import_run(record, metrics, digest)
            self.summary.metrics += len(metrics)
            self._tally(imports.RUN, seen, key)
            self.progress.advance()

    def _run_record(
        self, raw: dict[str, Any], run_id: str, experiment_id: int, location: str
    ) -> tuple[RunRecord, list[Metric]]:
        info, data = raw.get("info", {}), raw.get("data", {})
        inputs, outputs = raw.get("inputs", {}), raw.get("outputs", {})
        metrics: list[Metric] = []
        for key in dict.fromkeys(str(m["key"]) for m in data.get("metrics", [])):
            for point in self.source.metric_history(run_id, key):
                metrics.append(
                    Metric(
                        key=key,
                        value=metric_value(point.get("value")),
                        timestamp=_int(point.get("timestamp")),
                        step=_int(point.get("step")),
                        model_id=point.get("model_id") or None,
                        dataset_name=point.get("dataset_name") or None,
                        dataset_digest=point.get("dataset_digest") or None,
                    )
                )
        datasets = [
            DatasetInput(
                Dataset(
                    name=str(d["dataset"]["name"]),
                    digest=str(d["dataset"]["digest"]),
                    source_type=str(d["dataset"].get("source_type", "")),
                    source=str(d["dataset"].get("source", "")),
                    schema=d["dataset"].get("schema"),
                    profile=d["dataset"].get("profile"),
                ),
                _tags(d.get("tags")),
            )
            for d in inputs.get("dataset_inputs", [])
        ]
        record = RunRecord(
            run_id=run_id,
            experiment_id=experiment_id,
            run_name=str(info.get("run_name", "")),
            user_id=info.get("user_id"),
            status=str(info.get("status", "FINISHED")),
            start_time=_int(info.get("start_time")),
            end_time=_int(info["end_time"]) if info.get("end_time") is not None else None,
            lifecycle_stage=str(info.get("lifecycle_stage", "active")),
            artifact_uri=location,
            params=_tags(data.get("params")),
            tags=_tags(data.get("tags")),
            dataset_inputs=datasets,
            model_inputs=[str(m["model_id"]) for m in inputs.get("model_inputs", [])],
            outputs=[
                LoggedModelOutput(str(o["model_id"]), _int(o.get("step")))
                for o in outputs.get("model_outputs", [])
            ],
        )
        return record, metrics

    # ------------------------------------------------------------ registry
    def _registry(self) -> None:
        models = list(self.source.registered_models())
        seen_models = self.service.imported(imports.REGISTERED_MODEL)
        seen_versions = self.service.imported(imports.MODEL_VERSION)
        self.progress.phase("registered models", len(models))
        for raw in models:
            name = str(raw["name"])
            # Versions and aliases are fingerprinted on their own.
            own = {k: v for k, v in raw.items() if k not in ("latest_versions", "aliases")}
            digest = fingerprint(own)
            if seen_models.get(name) == digest:
                self.summary.counts[imports.REGISTERED_MODEL].unchanged += 1
            else:
                self.service.import_registered_model(
                    RegisteredModelRecord(
                        name=name,
                        description=str(raw.get("description", "")),
                        creation_timestamp=_int(raw.get("creation_timestamp")),
                        last_updated_timestamp=_int(raw.get("last_updated_timestamp")),
                        tags=_tags(raw.get("tags")),
                    ),
                    digest,
                )
                self._tally(imports.REGISTERED_MODEL, seen_models, name)
            for version in sorted(
                self.source.model_versions(name), key=lambda v: int(v["version"])
            ):
                self._version(version, seen_versions)
            last = self.source.last_version(name)
            if last:
                # Numbering continues after versions MLflow deleted, the top one too.
                self.service.raise_last_version(name, last)
            aliases = {str(a["alias"]): int(a["version"]) for a in raw.get("aliases", [])}
            self.service.set_aliases(name, aliases, _int(raw.get("last_updated_timestamp")))
            self.progress.advance()

    def _version(self, raw: dict[str, Any], seen: Mapping[str, str]) -> None:
        name, number = str(raw["name"]), int(raw["version"])
        key = f"{name}/{number}"
        digest = fingerprint({k: v for k, v in raw.items() if k != "aliases"})
        if seen.get(key) == digest:
            self.summary.counts[imports.MODEL_VERSION].unchanged += 1
            return
        snapshot = None if key in seen else self._version_files(name, str(number), raw)
        record = ModelVersionRecord(
            name=name,
            version=number,
            creation_timestamp=_int(raw.get("creation_timestamp")),
            last_updated_timestamp=_int(raw.get("last_updated_timestamp")),
            current_stage=str(raw.get("current_stage", "None")),
            description=str(raw.get("description", "")),
            source=str(raw.get("source", "")),
            run_id=raw.get("run_id") or None,
            run_link=raw.get("run_link") or None,
            status=str(raw.get("status", "READY")),
            status_message=raw.get("status_message") or None,
            user_id=raw.get("user_id") or None,
            model_id=raw.get("model_id") or None,
            tags=_tags(raw.get("tags")),
        )
        try:
            self.service.import_model_version(record, snapshot, digest)
        except BaseException:
            if snapshot is not None:
                self.snapshotter.discard(snapshot.location)
            raise
        self._tally(imports.MODEL_VERSION, seen, key)

    def _version_files(self, name: str, version: str, raw: Mapping[str, Any]) -> Snapshot | None:
        """The registry's copy of a version's files, from the files imported with its run."""
        uri = self.source.download_uri(name, version)
        found = self.source.locate(uri)
        path = found.path
        if path is None:
            self.summary.skipped.append(
                f"model version {name}/{version}: source {raw.get('source')!r}: "
                f"{found.why_not}; recorded as a reference, without a registry copy or "
                "manifest"
            )
            return None
        if not self.store.is_dir(path):
            self._copy_tree(path)
        try:
            return self.snapshotter.snapshot(SourceFiles(root_relative=path))
        except RegistryError as error:
            self.summary.skipped.append(f"model version {name}/{version}: no copy made ({error})")
            return None
