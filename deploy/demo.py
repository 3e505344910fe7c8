"""The deployment demo: two ``modelreg server`` replicas on PostgreSQL, artifacts on S3
(a moto server on loopback), behind a round-robin load balancer (deploy/lb.py), and
the register -> transition -> load workflow run through it.

    bash scripts/deploy-demo            # or: python deploy/demo.py [--keep]

Needs a PostgreSQL server (``MODELREG_DEMO_PG``, default
``postgresql://postgres@127.0.0.1:5432/postgres``: an account that may create
databases) and the dev install (moto, boto3, scikit-learn). Everything listens on
127.0.0.1; a fresh database ``modelreg_demo_<random>`` is made and dropped at the end.
docs/deployment.md shows the same layout on real hosts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

ADMIN_URI = os.environ.get("MODELREG_DEMO_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BUCKET = "modelreg-demo"
REPLICAS = 2
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_DEFAULT_REGION": "us-east-1",
}

# What a user runs against the load balancer: train, log and register, promote, load.
WORKFLOW = """
import modelreg
from modelreg import MlflowClient
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True, as_frame=True)
with modelreg.start_run():
    model = LogisticRegression(max_iter=500).fit(X, y)
    info = modelreg.sklearn.log_model(model, name="model", registered_model_name="iris")
client = MlflowClient()
version = info.registered_model_version
client.transition_model_version_stage("iris", version, "Production")
loaded = modelreg.pyfunc.load_model("models:/iris/Production")
same = (loaded.predict(X[:20]) == model.predict(X[:20])).all()
print("workflow:", "version", version, "in Production, predictions match:", bool(same))
assert same
"""


def say(message: str) -> None:
    sys.stdout.write(f"==> {message}\n")
    sys.stdout.flush()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {timeout:g} s:\n{log.read_text()[-3000:]}")


class Processes:
    """Every process the demo starts, stopped (SIGTERM, then SIGKILL) in reverse order."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self, name: str, command: list[str], env: dict[str, str]
    ) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.folder / f"{name}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                command, stdout=sink, stderr=sink, env=env, start_new_session=True
            )
        self.started.append((name, process))
        return process, log

    def stop_all(self) -> None:
        for _name, process in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _name, process in reversed(self.started):
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def demo_database() -> Iterator[str]:
    import psycopg

    name = f"modelreg_demo_{uuid.uuid4().hex[:12]}"
    admin = ADMIN_URI
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _db = ADMIN_URI.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_moto(processes: Processes, env: dict[str, str]) -> str:
    port = free_port()
    process, log = processes.start(
        "moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env
    )
    endpoint = f"http://127.0.0.1:{port}"
    wait_for(f"{endpoint}/moto-api/", process, log)
    import boto3  # type: ignore[import-untyped]

    boto3.client("s3", endpoint_url=endpoint, **_boto_credentials()).create_bucket(Bucket=BUCKET)
    return endpoint


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": S3_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": S3_ENV["AWS_SECRET_ACCESS_KEY"],
        "region_name": S3_ENV["AWS_DEFAULT_REGION"],
    }


def start_webhook_worker(processes: Processes, env: dict[str, str], backend: str) -> None:
    """The webhook worker beside the replicas, on the same database.

    One per deployment is enough (the delivery queue lives in the database; more share
    the work without sending an attempt twice); the replicas run with
    ``--no-webhook-worker`` so delivery happens only here.
    """
    processes.start(
        "worker",
        [sys.executable, "-m", "modelreg.cli", "worker", "--backend-store-uri", backend],
        env,
    )
    say("webhook worker started")


def served_requests(metrics_text: str) -> float:
    """API requests a replica served (its /metrics, without /metrics and /health)."""
    total = 0.0
    for line in metrics_text.splitlines():
        if line.startswith("modelreg_http_request_duration_seconds_count{") and (
            'route="/api/' in line
        ):
            total += float(line.rpartition(" ")[2])
    return total


def run(keep: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="modelreg-demo-"))
    processes = Processes(folder)
    env = {**os.environ, **S3_ENV}
    for name in ("MODELREG_TRACKING_URI", "MLFLOW_TRACKING_URI", "MODELREG_ARTIFACT_ROOT"):
        env.pop(name, None)
    try:
        with demo_database() as backend:
            say(f"PostgreSQL database {backend.rpartition('/')[2]}")
            endpoint = start_moto(processes, env)
            env["AWS_ENDPOINT_URL"] = endpoint
            say(f"S3 (moto) at {endpoint}, bucket {BUCKET}")
            artifacts = f"s3://{BUCKET}/registry"
            modelreg = [sys.executable, "-m", "modelreg.cli"]
            say("modelreg db upgrade (the only way a shared database is migrated)")
            subprocess.run(
                [*modelreg, "db", "upgrade", "--backend-store-uri", backend], env=env, check=True
            )
            ports = [free_port() for _ in range(REPLICAS)]
            for index, port in enumerate(ports, 1):
                process, log = processes.start(
                    f"replica-{index}",
                    [
                        *modelreg,
                        "server",
                        "--port",
                        str(port),
                        "--workers",
                        "1",
                        "--backend-store-uri",
                        backend,
                        "--artifacts-destination",
                        artifacts,
                        "--no-webhook-worker",
                    ],
                    env,
                )
                wait_for(f"http://127.0.0.1:{port}/health", process, log)
                say(f"replica {index} on http://127.0.0.1:{port}")
            start_webhook_worker(processes, env, backend)
            lb_port = free_port()
            lb_process, lb_log = processes.start(
                "lb",
                [
                    sys.executable,
                    str(Path(__file__).with_name("lb.py")),
                    "--listen",
                    f"127.0.0.1:{lb_port}",
                    *(f"127.0.0.1:{port}" for port in ports),
                ],
                env,
            )
            url = f"http://127.0.0.1:{lb_port}"
            wait_for(f"{url}/health", lb_process, lb_log)
            say(f"load balancer on {url}")
            say("workflow through the load balancer: register -> Production -> load")
            subprocess.run(
                [sys.executable, "-c", WORKFLOW],
                env={**env, "MODELREG_TRACKING_URI": url},
                cwd=folder,
                check=True,
            )
            # Round robin is per connection: new connections reach every replica, and
            # each answers from the same database.
            for _ in range(2 * REPLICAS):
                response = httpx.get(
                    f"{url}/api/2.0/mlflow/registered-models/get",
                    params={"name": "iris"},
                    headers={"connection": "close"},
                )
                stage = response.json()["registered_model"]["latest_versions"][0]["current_stage"]
                if stage != "Production":
                    raise SystemExit(f"a replica answered {response.text}")
            served = [
                served_requests(httpx.get(f"http://127.0.0.1:{port}/metrics").text)
                for port in ports
            ]
            say(f"API requests served per replica: {json.dumps(served)}")
            import boto3

            s3 = boto3.client("s3", endpoint_url=endpoint, **_boto_credentials())
            stored = s3.list_objects_v2(Bucket=BUCKET, Prefix="registry/").get("KeyCount", 0)
            say(f"files in s3://{BUCKET}/registry: {stored}")
            if not stored:
                raise SystemExit("no artifacts reached S3")
            if not all(served):
                raise SystemExit("a replica served nothing: the load balancer did not balance")
            say("deployment demo: ok")
    finally:
        processes.stop_all()
        if keep:
            say(f"logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the logs folder")
    run(parser.parse_args().keep)


if __name__ == "__main__":
    main()
