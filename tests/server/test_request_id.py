"""X-Request-Id: accepted (validated, bounded) or generated, echoed, and in every log
line of its request, 5xx errors included."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from modelreg.server.logging import JsonFormatter, TextFormatter
from modelreg.service import RegistryService
from tests.server.asgi import TestClient

API = "/api/2.0/mlflow"
GENERATED = re.compile(r"[0-9a-f]{12}-[0-9a-f]+")


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Every modelreg log line of the test, as the server formats them (JSON)."""
    monkeypatch.setattr(logging.getLogger("modelreg.access"), "propagate", False)
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger("modelreg"), logging.getLogger("modelreg.access")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield sink
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def _lines(sink: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in sink.getvalue().splitlines()]


@pytest.mark.parametrize(
    "path", [f"{API}/registered-models/get?name=m", "/health", f"{API}/logged-models/x-1"]
)
def test_a_valid_id_is_echoed_and_logged(http: TestClient, log: io.StringIO, path: str) -> None:
    given = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
    response = http.get(path, headers={"X-Request-Id": given})
    assert response.headers["x-request-id"] == given
    access = [line for line in _lines(log) if line["logger"] == "modelreg.access"]
    assert [line["request_id"] for line in access] == [given]


@pytest.mark.parametrize(
    "given",
    [None, "", "a b", "x" * 129, 'quote"s', "new\nline", "ünïcode"],
)
def test_an_absent_or_unusable_id_is_replaced_by_a_generated_one(
    http: TestClient, given: str | None
) -> None:
    headers = {} if given is None else {"X-Request-Id": given}
    try:
        first = http.get(f"{API}/registered-models/get?name=m", headers=headers)
    except Exception:  # the HTTP client itself refuses some of these values
        headers = {"X-Request-Id": given.encode("utf-8")} if given else {}  # type: ignore[dict-item]
        first = http.get(f"{API}/registered-models/get?name=m", headers=headers)
    second = http.get(f"{API}/registered-models/get?name=m", headers=headers)
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(GENERATED.fullmatch(found) for found in ids), ids
    assert ids[0] != ids[1]


def test_the_longest_accepted_id(http: TestClient) -> None:
    given = "a" * 128
    assert http.get("/health", headers={"X-Request-Id": given}).headers["x-request-id"] == given


def test_a_5xx_error_names_its_request_in_every_line(
    http: TestClient, log: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: RegistryService, name: str) -> None:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(RegistryService, "get_registered_model", broken)
    response = http.get(f"{API}/registered-models/get?name=m", headers={"X-Request-Id": "req-5"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req-5"
    assert "fire" not in response.text  # the traceback is logged, never sent
    lines = _lines(log)
    error = next(line for line in lines if line["level"] == "ERROR")
    assert "the disk is on fire" in str(error["exception"])
    assert {line["request_id"] for line in lines} == {"req-5"}


def test_text_lines_carry_the_id_too() -> None:
    record = logging.makeLogRecord({"name": "modelreg.x", "msg": "hello", "request_id": "r-1"})
    assert "hello  [r-1]" in TextFormatter().format(record)
