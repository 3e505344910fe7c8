"""Data for the UI tests: a model with versions whose run has params, metric history,
a dataset and real files (MLmodel with a signature and input example), registered
through the services as a client would."""

from __future__ import annotations

import json
from dataclasses import dataclass

from modelreg.service.assembly import Services
from modelreg.tracking_entities import Dataset, DatasetInput, Metric

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'

MLMODEL = """\
flavors:
  python_function:
    loader_module: modelreg.pyfunc
model_uuid: 0123456789abcdef
utc_time_created: '2026-01-01 00:00:00.000000'
signature:
  inputs: '[{"type": "double", "name": "x", "required": true}]'
  outputs: '[{"type": "long", "required": true}]'
  params: null
saved_input_example_info:
  artifact_path: input_example.json
  type: dataframe
  pandas_orient: split
"""


@dataclass(frozen=True)
class Seeded:
    name: str
    experiment_id: str
    run_ids: list[str]


def seed_model(
    services: Services,
    name: str = "churn",
    versions: int = 2,
    *,
    description: str = "Predicts **churn**.",
    run_name: str = "train",
) -> Seeded:
    tracking, registry = services.tracking, services.registry
    found = tracking.get_experiment_by_name(f"{name}-exp")
    experiment_id = found.experiment_id if found else tracking.create_experiment(f"{name}-exp")
    registry.create_registered_model(name, tags={"team": "ds"}, description=description)
    run_ids = []
    for number in range(1, versions + 1):
        run = tracking.create_run(experiment_id, run_name=f"{run_name}-{number}")
        run_id = run.info.run_id
        run_ids.append(run_id)
        history = [
            Metric("loss", 1.0 / (step + number), 1_700_000_000_000 + step, step)
            for step in range(5)
        ]
        tracking.log_batch(
            run_id,
            metrics=[*history, Metric("acc", 0.8 + number / 100, 1_700_000_000_000, 0)],
            params={"alpha": str(0.5 * number), "depth": "3"},
            tags={"mlflow.source.git.commit": "abc123" + str(number)},
        )
        tracking.log_inputs(
            run_id,
            [DatasetInput(Dataset("train-set", f"d{number}", "local", "/data/train.csv"))],
        )
        root = run.info.artifact_uri.removeprefix("mlflow-artifacts:").strip("/")
        services.artifacts.write(f"{root}/model/MLmodel", [MLMODEL.encode()])
        example = {"columns": ["x"], "data": [[1.5]]}
        services.artifacts.write(f"{root}/model/input_example.json", [json.dumps(example).encode()])
        services.artifacts.write(f"{root}/model/weights.bin", [b"\x00" * (1000 * number)])
        registry.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
    return Seeded(name, experiment_id, run_ids)
