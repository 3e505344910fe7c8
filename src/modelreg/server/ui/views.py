"""What each page shows, read through the services (never SQL): plain dicts for templates.

Each function runs on the server's worker threads (blocking service calls) and makes a
fixed number of service calls whatever the data size: every list is one page, every
chart a bounded number of sampled histories.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from modelreg import filters
from modelreg.entities import STAGES, ModelVersion
from modelreg.errors import InvalidArgument, NotFound, RegistryError
from modelreg.principal import Principal
from modelreg.server.ui.access import UiAccess
from modelreg.server.ui.charts import Line, chart
from modelreg.server.ui.format import path_part
from modelreg.server.ui.sections import Page, SectionContext, Sections
from modelreg.service.assembly import Services
from modelreg.service.audit_log import AuditLog
from modelreg.service.version_files import VersionFiles
from modelreg.tracking_entities import Run

MODELS_PAGE: Final = 50
VERSIONS_PAGE: Final = 25
EXPERIMENTS_PAGE: Final = 50
RUNS_PAGE: Final = 50
AUDIT_PAGE: Final = 50
ARTIFACTS_PAGE: Final = 100
PARAMS_SHOWN: Final = 200
# Charts per page, and points per line (sampled evenly by the tracking service).
MAX_CHARTS: Final = 4
CHART_POINTS: Final = 500
MAX_COMPARE: Final = 6

MODEL_SORTS: Final = {
    "name": ["name ASC"],
    "-name": ["name DESC"],
    "-updated": ["last_updated_timestamp DESC"],
    "updated": ["last_updated_timestamp ASC"],
}
# Text that starts like a filter clause (``name LIKE``, ``tags.team =``, ...) is one.
_FILTER_LIKE = re.compile(
    r"^\s*(`[^`]+`|\"[^\"]+\"|[A-Za-z_][\w.]*)\s*(=|!=|<|>|\bI?LIKE\b|\bIN\b)", re.I
)
# The routes the model and version pages' own forms post to (the sections name theirs):
# each form shows only if the caller may post to its route (modelreg.server.ui.access).
MODEL_ACTIONS: Final = {"describe": "/models/{name}/description"}
_V: Final = "/models/{name}/versions/{version}"
VERSION_ACTIONS: Final = {
    "describe": f"{_V}/description",
    "stage": f"{_V}/stage",
    "alias": f"{_V}/aliases",
    "unalias": f"{_V}/aliases/delete",
    "verify": f"{_V}/verify",
}
# A run's page: what a caller needs to see a run's params, metrics and tags anywhere.
RUN_PAGE: Final = "/runs/{run_id}"
CODE_TAGS: Final = (
    ("Git commit", "mlflow.source.git.commit"),
    ("Repository", "mlflow.source.git.repoURL"),
    ("Branch", "mlflow.source.git.branch"),
    ("Source", "mlflow.source.name"),
    ("Source type", "mlflow.source.type"),
)


@dataclass(frozen=True, slots=True)
class Ui:
    """The services a UI request reads through, the page sections, and what the
    routes require of a caller."""

    services: Services
    audit: AuditLog
    files: VersionFiles
    sections: Sections
    access: UiAccess

    def acting(self, principal: Principal) -> Services:
        return self.services.as_actor(principal)

    def can(
        self, who: Principal, page: Page, own: Mapping[str, str], path: Mapping[str, str]
    ) -> dict[str, bool]:
        """Which of a page's actions (its own and its sections') ``who`` may take."""
        return self.access.allowed(who, {**self.sections.actions(page), **own}, path)


def quoted(value: str) -> str:
    """``value`` as a single-quoted filter string (a quote is doubled)."""
    return "'" + value.replace("'", "''") + "'"


def text_filter(query: str, column: str = "name") -> tuple[str | None, str]:
    """The filter for a search box's text, and whether it was taken as text or a filter."""
    query = query.strip()
    if not query:
        return None, "all"
    if _FILTER_LIKE.match(query):
        return query, "filter"
    return f"{column} ILIKE {quoted('%' + query + '%')}", "text"


def paging(token: str | None, limit: int, next_token: str | None) -> dict[str, Any]:
    """Previous/next tokens and the 1-based position of a page."""
    offset = filters.decode_page_token(token)
    previous = None
    if offset > 0:
        back = max(0, offset - limit)
        previous = filters.encode_page_token(back) if back else ""
    return {"next": next_token, "previous": previous, "first": offset + 1, "offset": offset}


# ------------------------------------------------------------------ models
def models_page(ui: Ui, who: Principal, query: Mapping[str, str]) -> dict[str, Any]:
    q = query.get("q", "")
    sort = query.get("sort", "name")
    if sort not in MODEL_SORTS:
        raise InvalidArgument(f"Unknown sort {sort[:40]!r}; choose one of {sorted(MODEL_SORTS)}.")
    token = query.get("page") or None
    filter_string, mode = text_filter(q)
    found = ui.acting(who).registry.search_registered_models(
        filter_string, MODELS_PAGE, MODEL_SORTS[sort], token
    )
    return {
        "models": list(found),
        "q": q,
        "mode": mode,
        "sort": sort,
        "sorts": MODEL_SORTS,
        "paging": paging(token, MODELS_PAGE, found.token),
        "stages": STAGES,
    }


def model_page(ui: Ui, who: Principal, name: str, query: Mapping[str, str]) -> dict[str, Any]:
    services = ui.acting(who)
    model = services.registry.get_registered_model(name)
    token = query.get("page") or None
    versions = services.registry.search_model_versions(
        f"name = {quoted(name)}", VERSIONS_PAGE, ["version_number DESC"], token
    )
    # The model is a form field too (model_name: a new webhook's), for its actions' checks.
    can = ui.can(who, "model", MODEL_ACTIONS, {"name": model.name, "model_name": model.name})
    context = SectionContext(services, who, ui.audit, name, None, query, can)
    return {
        "model": model,
        "versions": list(versions),
        "paging": paging(token, VERSIONS_PAGE, versions.token),
        "sections": ui.sections.load("model", context),
        "stages": STAGES,
        "can": can,
    }


# ------------------------------------------------------------------ versions
def _run_or_none(services: Services, run_id: str | None) -> Run | None:
    if not run_id:
        return None
    try:
        return services.tracking.get_run(run_id)
    except (NotFound, InvalidArgument):
        # Registered from another tracking server: lineage stops at what is known.
        return None


def _readable_run(
    ui: Ui, who: Principal, services: Services, run_id: str | None
) -> tuple[Run | None, bool]:
    """A version's source run, and whether it is hidden: a caller who may read the
    model but not the run's experiment sees the run's id only (the API would refuse
    them the run), never its params, metrics or tags."""
    if run_id and not ui.access.allowed(who, {"run": RUN_PAGE}, {"run_id": run_id})["run"]:
        return None, True
    return _run_or_none(services, run_id), False


def _chart_keys(run_metrics: Sequence[str], asked: Sequence[str]) -> list[str]:
    chosen = [k for k in asked if k in run_metrics] or sorted(run_metrics)
    return chosen[:MAX_CHARTS]


def _run_charts(
    services: Services, runs: Sequence[tuple[str, Run]], keys: Sequence[str]
) -> list[dict[str, Any]]:
    """One chart per key, a line per run (one sampled query per key)."""
    charts = []
    for key in keys:
        ids = [run.info.run_id for _, run in runs]
        points = services.tracking.get_metric_history_bulk_interval(ids, key, CHART_POINTS)
        lines = [
            Line(label, [p for p in points if p.run_id == run.info.run_id]) for label, run in runs
        ]
        charts.append(chart(key, lines))
    return charts


def version_page(
    ui: Ui, who: Principal, name: str, version: str, query: Mapping[str, str]
) -> dict[str, Any]:
    services = ui.acting(who)
    found = services.registry.get_model_version(name, version)
    model = services.registry.get_registered_model(name)
    run, run_hidden = _readable_run(ui, who, services, found.run_id)
    try:
        files_offset = int(query.get("files", "0"))
    except ValueError:
        raise InvalidArgument("The files offset must be a whole number.") from None
    files, card = ui.files.overview(name, found.number, max(0, files_offset))
    charts: list[dict[str, Any]] = []
    if run is not None:
        keys = _chart_keys(list(run.data.metrics), _asked_metrics(query))
        charts = _run_charts(services, [(f"run {run.info.run_name}", run)], keys)
    can = ui.can(who, "version", VERSION_ACTIONS, {"name": found.name, "version": version})
    context = SectionContext(
        services, who, ui.audit, name, found.number, query, can, found.user_id or ""
    )
    return {
        "can": can,
        "model": model,
        "version": found,
        "run": run,
        "run_hidden": run_hidden,
        "params": _limited(run.data.params if run else {}),
        "metrics": _limited(run.data.metrics if run else {}),
        "shown": PARAMS_SHOWN,
        "charts": charts,
        "code": [
            (label, run.data.tags[tag]) for label, tag in CODE_TAGS if run and tag in run.data.tags
        ],
        "files": files,
        "card": card,
        "stages": STAGES,
        "sections": ui.sections.load("version", context),
    }


def verify_version(ui: Ui, who: Principal, name: str, version: str) -> dict[str, Any]:
    found = ui.acting(who).registry.get_model_version(name, version)
    return {"version": found, "report": ui.files.verify(name, found.number)}


def _asked_metrics(query: Mapping[str, str]) -> list[str]:
    raw = query.get("metrics", "")
    return [k for k in (part.strip() for part in raw.split(",")) if k]


def _limited(values: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The first :data:`PARAMS_SHOWN` entries by key (the page says how many there are)."""
    return sorted(values.items())[:PARAMS_SHOWN]


# ------------------------------------------------------------------ compare
def parse_versions(raw: str) -> list[str]:
    versions = list(dict.fromkeys(v.strip() for v in raw.replace(" ", ",").split(",") if v.strip()))
    if len(versions) < 2:
        raise InvalidArgument("Compare needs two or more versions, as versions=1,2.")
    if len(versions) > MAX_COMPARE:
        raise InvalidArgument(f"Compare at most {MAX_COMPARE} versions at once.")
    # Oldest first, whatever order the checkboxes or the URL gave them in.
    return sorted(versions, key=lambda v: (not v.isdigit(), int(v) if v.isdigit() else 0, v))


def compare_page(ui: Ui, who: Principal, query: Mapping[str, str]) -> dict[str, Any]:
    name = query.get("name", "")
    if not name:
        raise InvalidArgument("Compare needs a model: /compare?name=<model>&versions=1,2.")
    services = ui.acting(who)
    versions: list[ModelVersion] = [
        services.registry.get_model_version(name, v)
        for v in parse_versions(query.get("versions") or query.get("v", ""))
    ]
    readable = [_readable_run(ui, who, services, v.run_id) for v in versions]
    runs = [run for run, _ in readable]
    param_keys = sorted({k for r in runs if r for k in r.data.params})[:PARAMS_SHOWN]
    metric_keys = sorted({k for r in runs if r for k in r.data.metrics})[:PARAMS_SHOWN]
    params = [
        _row(key, [r.data.params.get(key) if r else None for r in runs]) for key in param_keys
    ]
    metrics = [
        _row(key, [r.data.metrics.get(key) if r else None for r in runs]) for key in metric_keys
    ]
    with_runs = [(f"v{v.version}", r) for v, r in zip(versions, runs, strict=True) if r]
    keys = _chart_keys(metric_keys, _asked_metrics(query))
    charts = _run_charts(services, with_runs, keys) if with_runs else []
    return {
        "name": name,
        "versions": versions,
        "runs": runs,
        "hidden": [hidden for _, hidden in readable],
        "params": params,
        "metrics": metrics,
        "charts": charts,
    }


def _row(key: str, values: list[Any]) -> dict[str, Any]:
    return {
        "key": key,
        "cells": values,
        # A value one version lacks differs too ("None" against a value).
        "differs": len({str(v) for v in values}) > 1,
    }


# ------------------------------------------------------------------ experiments and runs
def experiments_page(ui: Ui, who: Principal, query: Mapping[str, str]) -> dict[str, Any]:
    q = query.get("q", "")
    token = query.get("page") or None
    filter_string, mode = text_filter(q)
    found = ui.acting(who).tracking.search_experiments(
        "ACTIVE_ONLY", EXPERIMENTS_PAGE, filter_string, token, ["name ASC"]
    )
    return {
        "experiments": list(found),
        "q": q,
        "mode": mode,
        "paging": paging(token, EXPERIMENTS_PAGE, found.token),
    }


def experiment_page(
    ui: Ui, who: Principal, experiment_id: str, query: Mapping[str, str]
) -> dict[str, Any]:
    services = ui.acting(who)
    experiment = services.tracking.get_experiment(experiment_id)
    token = query.get("page") or None
    q = query.get("q", "")
    runs = services.tracking.search_runs(
        [experiment.experiment_id],
        q,
        "ACTIVE_ONLY",
        RUNS_PAGE,
        ["attributes.start_time DESC"],
        token,
    )
    return {
        "experiment": experiment,
        "runs": list(runs),
        "q": q,
        "paging": paging(token, RUNS_PAGE, runs.token),
    }


def run_page(
    ui: Ui, who: Principal, experiment_id: str, run_id: str, query: Mapping[str, str]
) -> dict[str, Any]:
    services = ui.acting(who)
    run = services.tracking.get_run(run_id)
    if run.info.experiment_id != str(experiment_id):
        raise NotFound(f"Run {run_id} is not in experiment {experiment_id}.")
    experiment = services.tracking.get_experiment(run.info.experiment_id)
    path = query.get("path", "")
    try:
        listing = list(services.tracking.list_artifacts(run_id, path or None))
        artifacts_problem = None
    except RegistryError as error:
        listing, artifacts_problem = [], str(error)
    try:
        offset = max(0, int(query.get("artifacts", "0")))
    except ValueError:
        raise InvalidArgument("The artifacts offset must be a whole number.") from None
    keys = _chart_keys(list(run.data.metrics), _asked_metrics(query))
    return {
        "experiment": experiment,
        "run": run,
        "params": _limited(run.data.params),
        "metrics": _limited(run.data.metrics),
        "run_tags": _limited(run.data.tags),
        "shown": PARAMS_SHOWN,
        "charts": _run_charts(services, [(run.info.run_name or run_id, run)], keys),
        "path": path,
        "parent": path.rpartition("/")[0] if path else None,
        "artifacts": listing[offset : offset + ARTIFACTS_PAGE],
        "artifacts_total": len(listing),
        "artifacts_offset": offset,
        "artifacts_page": ARTIFACTS_PAGE,
        "artifacts_problem": artifacts_problem,
    }


def run_location(ui: Ui, who: Principal, run_id: str) -> str:
    run = ui.acting(who).tracking.get_run(run_id)
    return f"/experiments/{path_part(run.info.experiment_id)}/runs/{path_part(run.info.run_id)}"


# ------------------------------------------------------------------ audit
def audit_page(ui: Ui, who: Principal, query: Mapping[str, str]) -> dict[str, Any]:
    del who  # with --auth the route already asked: READ on the model filtered on, or admin
    token = query.get("page") or None
    since = _date_ms(query.get("since", ""), "since")
    until = _date_ms(query.get("until", ""), "until", end_of_day=True)
    found = ui.audit.search(
        model_name=query.get("model") or None,
        actor=query.get("actor") or None,
        type=query.get("type") or None,
        since_ms=since,
        until_ms=until,
        max_results=AUDIT_PAGE,
        page_token=token,
    )
    return {
        "events": list(found),
        "filters": {k: query.get(k, "") for k in ("model", "actor", "type", "since", "until")},
        "paging": paging(token, AUDIT_PAGE, found.token),
    }


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date_ms(text: str, what: str, *, end_of_day: bool = False) -> int | None:
    import datetime as dt

    if not text:
        return None
    if not _DATE.match(text):
        raise InvalidArgument(f"The '{what}' date must be YYYY-MM-DD, got {text[:20]!r}.")
    try:
        day = dt.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=dt.UTC)
    except ValueError:
        raise InvalidArgument(f"The '{what}' date {text!r} is not a calendar date.") from None
    if end_of_day:
        day += dt.timedelta(days=1)
    return int(day.timestamp() * 1000)
