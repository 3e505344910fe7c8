"""Scripts the real mlflow client runs (in its own virtualenv) for the import tests."""

POPULATE = r"""
import sys
import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True)
client = MlflowClient()
experiment_id = mlflow.set_experiment("iris").experiment_id
client.set_experiment_tag(experiment_id, "team", "ml")
scratch = client.create_experiment("scratch")
client.delete_experiment(scratch)
for i in range(4):
    with mlflow.start_run(run_name=f"run{i}") as run:
        mlflow.log_params({"C": str(0.5 * (i + 1)), "solver": "lbfgs"})
        for step in range(40):
            mlflow.log_metric("loss", 1.0 / (step + 1) + i, step=step)
        mlflow.log_metric("accuracy", 0.9 + i / 100)
        mlflow.set_tag("kind", "train")
        mlflow.log_input(mlflow.data.from_numpy(X, targets=y, name="iris"), context="training")
        model = LogisticRegression(C=0.5 * (i + 1), max_iter=300).fit(X, y)
        mlflow.sklearn.log_model(
            model, name="model", input_example=X[:2], registered_model_name="iris-clf"
        )
        mlflow.log_text("notes", "notes/readme.txt")
with mlflow.start_run(run_name="failed") as run:
    mlflow.log_param("C", "9")
client.set_terminated(run.info.run_id, "FAILED")
client.update_registered_model("iris-clf", description="Iris classifier")
client.set_registered_model_tag("iris-clf", "domain", "flowers")
client.transition_model_version_stage("iris-clf", "1", "Archived")
client.transition_model_version_stage("iris-clf", "2", "Production")
client.transition_model_version_stage("iris-clf", "4", "Staging")
client.set_registered_model_alias("iris-clf", "champion", "2")
client.set_registered_model_alias("iris-clf", "challenger", "4")
client.set_model_version_tag("iris-clf", "2", "validated", "true")
client.update_model_version("iris-clf", "1", description="the first")
client.delete_model_version("iris-clf", "3")
client.create_registered_model("empty-model", tags={"t": "1"}, description="none yet")
print("OK")
"""

DUMP = r"""
import json, sys
import mlflow
from mlflow import MlflowClient
from mlflow.entities import ViewType
from sklearn.datasets import load_iris

X, _ = load_iris(return_X_y=True)
client = MlflowClient()
out = {"experiments": [], "runs": [], "logged_models": [], "models": [], "predictions": {}}
experiments = client.search_experiments(view_type=ViewType.ALL)
for e in sorted(experiments, key=lambda e: e.experiment_id):
    out["experiments"].append(
        [e.experiment_id, e.name, e.lifecycle_stage, e.tags, e.creation_time]
    )
ids = [e.experiment_id for e in experiments]
for run in sorted(
    client.search_runs(ids, run_view_type=ViewType.ALL, max_results=1000),
    key=lambda r: r.info.run_id,
):
    info = run.info
    history = {
        key: sorted(
            (m.step, m.timestamp, m.value) for m in client.get_metric_history(info.run_id, key)
        )
        for key in sorted(run.data.metrics)
    }
    out["runs"].append({
        "info": [info.run_id, info.experiment_id, info.run_name, info.user_id, info.status,
                 info.start_time, info.end_time, info.lifecycle_stage, info.artifact_uri],
        "params": run.data.params, "tags": run.data.tags, "metrics": run.data.metrics,
        "history": history,
        "datasets": sorted(
            [d.dataset.name, d.dataset.digest, d.dataset.source_type, d.dataset.source,
             d.dataset.schema, sorted((t.key, t.value) for t in d.tags)]
            for d in run.inputs.dataset_inputs
        ),
        "outputs": sorted(o.model_id for o in (run.outputs.model_outputs if run.outputs else [])),
        "artifacts": sorted(f.path for f in client.list_artifacts(info.run_id)),
    })
for m in sorted(client.search_logged_models(ids), key=lambda m: m.model_id):
    out["logged_models"].append([m.model_id, m.experiment_id, m.name, str(m.status),
        m.source_run_id, m.params, m.tags, m.creation_timestamp, m.model_type])
for rm in sorted(client.search_registered_models(), key=lambda m: m.name):
    versions = []
    found = client.search_model_versions(f"name='{rm.name}'")
    for v in sorted(found, key=lambda v: int(v.version)):
        versions.append([v.version, v.current_stage, v.description, v.tags, v.source, v.run_id,
                         v.status, v.creation_timestamp, v.last_updated_timestamp, v.user_id,
                         v.run_link,
                         # search_model_versions leaves aliases out on MLflow: read each.
                         sorted(client.get_model_version(rm.name, v.version).aliases)])
        out["predictions"][f"{rm.name}/{v.version}"] = (
            mlflow.pyfunc.load_model(f"models:/{rm.name}/{v.version}").predict(X[:20]).tolist()
        )
    out["models"].append([rm.name, rm.description, rm.tags, rm.aliases,
                          rm.creation_timestamp, versions])
champion = mlflow.sklearn.load_model("models:/iris-clf@champion")
out["predictions"]["champion"] = champion.predict_proba(X[:20]).tolist()
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
print("OK")
"""

NEW_VERSION = r"""
import sys
from mlflow import MlflowClient

client = MlflowClient()
run_id = sys.argv[2]
# MLflow 3 keeps a run's model as a logged model: register that again, as a new version.
source = client.get_model_version("iris-clf", "1").source
v = client.create_model_version("iris-clf", source, run_id=run_id)
open(sys.argv[1], "w").write(v.version)
print("OK")
"""

CHANGE = r"""
import mlflow
from mlflow import MlflowClient

client = MlflowClient()
run = client.search_runs([mlflow.get_experiment_by_name("iris").experiment_id],
                         filter_string="attributes.run_name = 'run0'")[0]
client.set_tag(run.info.run_id, "reviewed", "yes")
mlflow.set_experiment("iris")
with mlflow.start_run(run_name="late"):
    mlflow.log_metric("loss", 0.01)
client.set_registered_model_alias("iris-clf", "champion", "4")
print("OK")
"""

LOCAL = r"""
import json
import mlflow
from mlflow import MlflowClient
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

# No server: the client writes mlflow.db and keeps the files under ./mlruns itself.
X, y = load_iris(return_X_y=True)
mlflow.set_experiment("local")
with mlflow.start_run(run_name="only"):
    mlflow.log_param("C", "1.0")
    for step in range(5):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    model = LogisticRegression(max_iter=300).fit(X, y)
    mlflow.sklearn.log_model(model, name="model", registered_model_name="local-clf")
    mlflow.sklearn.log_model(model, name="again", registered_model_name="local-clf")
MlflowClient().delete_model_version("local-clf", "2")
predicted = mlflow.pyfunc.load_model("models:/local-clf/1").predict(X[:20]).tolist()
json.dump(predicted, open("predictions.json", "w"))
print("OK")
"""

PREDICT = r"""
import json, sys
import mlflow
from mlflow import MlflowClient
from sklearn.datasets import load_iris

X, _ = load_iris(return_X_y=True)
predicted = mlflow.pyfunc.load_model("models:/local-clf/1").predict(X[:20]).tolist()
json.dump(predicted, open(sys.argv[1], "w"))
client = MlflowClient()
v1 = client.get_model_version("local-clf", "1")
print("next", client.create_model_version("local-clf", v1.source, run_id=v1.run_id).version)
print("OK")
"""
