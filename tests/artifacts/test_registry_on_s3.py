"""The whole model workflow with artifacts on an S3-compatible server (moto on loopback)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

import modelreg
from modelreg import MlflowClient
from modelreg.client import embedded
from modelreg.errors import IntegrityFailure
from tests.artifacts.conftest import BUCKET

np = pytest.importorskip("numpy")
linear = pytest.importorskip("sklearn.linear_model")


@pytest.fixture
def s3_registry(
    s3_options: dict[str, Any], sqlite_uri: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    root = f"s3://{BUCKET}/{uuid.uuid4().hex}"
    monkeypatch.setenv("MODELREG_ARTIFACT_ROOT", root)
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", s3_options["endpoint_url"])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    modelreg.set_tracking_uri(sqlite_uri)
    try:
        yield root
    finally:
        while modelreg.active_run() is not None:
            modelreg.end_run()
        modelreg.set_tracking_uri(None)
        embedded.reset()


def test_log_register_load_on_s3(s3_registry: str, s3_client: Any) -> None:
    features = np.random.default_rng(0).normal(size=(60, 3))
    labels = (features[:, 0] > 0).astype(int)
    model = linear.LogisticRegression().fit(features, labels)
    with modelreg.start_run() as run:
        info = modelreg.sklearn.log_model(model, name="model", registered_model_name="s3-model")
    assert run.info.artifact_uri.startswith(s3_registry)
    client = MlflowClient()
    download_uri = client.get_model_version_download_uri("s3-model", 1)
    assert download_uri.startswith(f"{s3_registry}/_registry/")
    loaded = modelreg.pyfunc.load_model("models:/s3-model/1")
    assert (loaded.predict(features) == model.predict(features)).all()
    assert modelreg.pyfunc.load_model(info.model_uri).predict(features).tolist() == (
        model.predict(features).tolist()
    )
    # Overwrite a file of the registry copy behind the registry's back: loads refuse it.
    key = f"{download_uri.removeprefix(f's3://{BUCKET}/')}/MLmodel"
    s3_client.put_object(Bucket=BUCKET, Key=key, Body=b"flavors: {}\n")
    with pytest.raises(IntegrityFailure, match="MLmodel"):
        modelreg.pyfunc.load_model("models:/s3-model/1")
