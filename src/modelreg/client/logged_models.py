"""Finding the model a run logged under a name (MLflow 3's ``runs:/<run>/<name>``)."""

from __future__ import annotations

from modelreg.client.registry_client import MlflowClient
from modelreg.errors import NotFound
from modelreg.tracking_entities import Run


def logged_model_for_run(c: MlflowClient, run: Run, name: str) -> str:
    """The id of the model logged as ``name`` by ``run`` (the latest step wins)."""
    steps = {o.model_id: o.step for o in run.outputs.model_outputs}
    found = [
        m
        for m in c.search_logged_models(
            [run.info.experiment_id], filter_string=f"name = '{name}'", max_results=1000
        )
        if m.source_run_id == run.info.run_id
    ]
    if not found:
        raise NotFound(
            f"Run {run.info.run_id} has no artifacts at '{name}' and logged no model named "
            f"{name!r}."
        )
    found.sort(key=lambda m: (steps.get(m.model_id, -1), m.creation_timestamp))
    return found[-1].model_id
