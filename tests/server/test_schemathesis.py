"""Schemathesis against the OpenAPI document, in-process (issue 8: "OpenAPI truth").

Every documented operation gets a few derandomized requests that fit its schema; any
5xx, or a response its documented schema does not describe, fails. The artifact
proxy's byte streams (raw bodies and downloads) are left out: their bodies are not
JSON. Marked slow: .ci/run runs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from modelreg.config import Settings
from modelreg.server import ServerSettings, create_app
from tests.server.asgi import asgi_client

pytestmark = pytest.mark.slow


def test_operations_keep_to_the_document(sqlite_uri: str, tmp_path: Path) -> None:
    app = create_app(
        Settings(tracking_uri=sqlite_uri, artifact_root=str(tmp_path / "artifacts")),
        ServerSettings(),
    )
    with asgi_client(app) as http:  # runs the lifespan (schema check, webhook worker)
        document = http.get("/openapi.json").json()
        # Routes that only refuse (multipart uploads) document their 501.
        refusing = {
            (path, method.upper())
            for path, operations in document["paths"].items()
            for method, operation in operations.items()
            if "501" in operation["responses"]
        }
        loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
        loaded.config.generation.update(
            modes=[GenerationMode.POSITIVE], max_examples=5, deterministic=True
        )
        # /ajax-api/ serves the same handlers as /api/ under another prefix.
        chosen = loaded.exclude(path_regex="^/ajax-api/").exclude(
            path_regex="^/api/2.0/mlflow-artifacts/artifacts"
        )
        failures: list[str] = []
        operations = 0
        for result in chosen.get_all_operations():
            operation = result.ok()
            operations += 1
            documented_501 = (operation.path, operation.method.upper()) in refusing
            try:
                _exercise(operation, documented_501)
            except BaseException as error:  # run every operation, list every failure
                if isinstance(error, KeyboardInterrupt | SystemExit):
                    raise
                failures.append(f"{operation.label}: {error}")
        assert operations > 100
        assert len(refusing) == 6  # create, complete, abort; /api and /ajax-api
        assert not failures, "\n\n".join(failures)


def _exercise(operation: Any, documented_501: bool) -> None:
    checks = [response_schema_conformance]
    if not documented_501:
        checks.append(not_a_server_error)

    @given(case=operation.as_strategy())
    @settings(
        max_examples=5,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(checks=checks)

    run()
