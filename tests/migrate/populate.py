"""A registry with a bit of everything, made through the services (for archive tests)."""

from __future__ import annotations

import math

from modelreg.artifacts import open_artifact_store
from modelreg.service.assembly import Services
from modelreg.service.auth import Level
from modelreg.tracking_entities import (
    Dataset,
    DatasetInput,
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
)


def populate(services: Services, artifact_root: str) -> None:
    """Experiments, runs with metric histories, datasets, logged models, versions, aliases."""
    tracking, registry = services.tracking, services.registry
    store = open_artifact_store(artifact_root)
    experiment_id = tracking.create_experiment("fraud", tags={"team": "risk"})
    tracking.create_experiment("scratch")
    registry.create_registered_model("fraud-model", tags={"owner": "risk"}, description="d1")
    previous: str | None = None
    for index in range(3):
        run = tracking.create_run(experiment_id, start_time=1_000 + index, run_name=f"r{index}")
        run_id = run.info.run_id
        tracking.log_batch(
            run_id,
            metrics=[Metric("loss", 1.0 / (step + 1), 2_000 + step, step) for step in range(20)]
            + [Metric("odd", math.nan, 5, 0), Metric("odd", math.inf, 6, 1)],
            params={"alpha": str(index), "solver": "lbfgs"},
            tags={"stage": "dev"},
        )
        tracking.log_inputs(
            run_id,
            [
                DatasetInput(
                    Dataset("train", f"d{index}", "local", '{"uri": "x"}', schema="{}"),
                    {"mlflow.data.context": "training"},
                )
            ],
        )
        model = tracking.create_logged_model(
            experiment_id,
            name="model",
            source_run_id=run_id,
            params={"alpha": str(index)},
            tags={"flavor": "sklearn"},
        )
        prefix = f"{experiment_id}/{run_id}/artifacts/model"
        store.write_stream(f"{prefix}/MLmodel", [b"flavors: {}\n"])
        store.write_stream(f"{prefix}/model.pkl", [bytes(range(256)) * (index + 1)])
        model_prefix = f"{experiment_id}/models/{model.model_id}/artifacts"
        store.write_stream(f"{model_prefix}/MLmodel", [b"flavors: {}\n"])
        tracking.finalize_logged_model(model.model_id, "LOGGED_MODEL_READY")
        tracking.log_outputs(run_id, [LoggedModelOutput(model.model_id, 0)])
        if previous is not None:
            tracking.log_inputs(run_id, models=[LoggedModelInput(previous)])
        previous = model.model_id
        tracking.update_run(run_id, status="FINISHED", end_time=9_000 + index)
        registry.create_model_version(
            "fraud-model", f"runs:/{run_id}/model", run_id=run_id, tags={"i": str(index)}
        )
    registry.transition_model_version_stage("fraud-model", 2, "Production")
    registry.set_registered_model_alias("fraud-model", "champion", 2)
    registry.delete_model_version("fraud-model", 3)
    registry.set_model_version_tag("fraud-model", 1, "validated", "yes")
    _collaboration(services)


def _collaboration(services: Services) -> None:
    """Approvals, users and grants, and a webhook: their tables travel too."""
    reviewer = services.approvals.as_actor("reviewer")
    approvals = services.approvals.as_actor("author")
    approvals.create_comment("fraud-model", 1, "Looks **good**.")
    approvals.set_status_check("fraud-model", 1, "ci/tests", "success", "https://ci/1", "ok")
    approvals.set_promotion_policy("fraud-model", "Staging", required_approvals=1)
    approvals.create_transition_request("fraud-model", 1, "Staging", "please")
    reviewer.approve_transition_request("fraud-model", 1, "Staging", comment="ok")
    auth = services.auth
    auth.create_user("ana", "a long enough password")
    role = auth.create_role("ml-leads", "leads")
    auth.assign_role("ana", role.id)
    auth.grant("ana", "registered_model", "fraud-model", Level.EDIT)
    auth.grant("group:ml-leads", "experiment", "1", Level.READ)
    auth.create_token("ana", "ci", 30)
    services.webhooks.create_webhook(
        "to-ci", "https://ci.example/hook", ["model_version.created"], kind="http"
    )
