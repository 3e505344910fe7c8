"""The access log: one JSON line per request, the same whichever way it is written."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest

from modelreg.server.logging import (
    ACCESS_LOGGER,
    FLUSH_AFTER_SECONDS,
    FLUSH_AT_BYTES,
    AccessLog,
    log_config,
)


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


@pytest.fixture
def stream() -> Iterator[CountingStream]:
    """The server's logging set-up, writing to a string; nothing else on the logger.

    pytest's log capture adds handlers of its own to loggers that do not propagate
    when a test runs (with them there, each line goes through logging, as it should);
    tests of the direct path take them off (``_only_the_servers_handler``).
    """
    logging.config.dictConfig(log_config("info", access_log=True))
    logger = logging.getLogger(ACCESS_LOGGER)
    handler = logger.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    sink = CountingStream()
    previous = handler.setStream(sink)
    try:
        yield sink
    finally:
        handler.setStream(previous)


def _only_the_servers_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    monkeypatch.setattr(logger, "handlers", logger.handlers[:1])


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_direct_lines_are_the_lines_logging_writes(
    stream: CountingStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_the_servers_handler(monkeypatch)
    access = AccessLog()
    access.write("GET", "/api/2.0/mlflow/model-versions/get", 200, 0.000412, 314)
    # A filter of one's own: each line goes through logging (records, formatter).
    logger = logging.getLogger(ACCESS_LOGGER)
    keep_all = logging.Filter()
    logger.addFilter(keep_all)
    try:
        access.write("GET", "/api/2.0/mlflow/model-versions/get", 200, 0.000412, 314)
    finally:
        logger.removeFilter(keep_all)
    direct, through_logging = _lines(stream)
    assert direct.pop("time") and through_logging.pop("time")
    assert (
        direct
        == through_logging
        == {
            "level": "INFO",
            "logger": ACCESS_LOGGER,
            "message": "GET /api/2.0/mlflow/model-versions/get 200",
            "method": "GET",
            "path": "/api/2.0/mlflow/model-versions/get",
            "status": 200,
            "duration_ms": 0.412,
            "bytes": 314,
        }
    )


def test_lines_are_written_together_within_the_flush_interval(
    stream: CountingStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_the_servers_handler(monkeypatch)
    access = AccessLog()
    waiting_before_the_interval = []

    async def requests() -> None:
        for n in range(5):
            access.write("GET", f"/p{n}", 200, 0.001, 2)
        await asyncio.sleep(0)
        waiting_before_the_interval.append(stream.writes)
        await asyncio.sleep(FLUSH_AFTER_SECONDS * 4)

    asyncio.run(requests())
    assert waiting_before_the_interval == [0]
    assert [line["path"] for line in _lines(stream)] == [f"/p{n}" for n in range(5)]
    assert stream.writes == 1


def test_a_full_buffer_is_written_at_once(
    stream: CountingStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_the_servers_handler(monkeypatch)
    access = AccessLog()
    long_path = "/" + "x" * 1000

    async def requests() -> int:
        written = 0
        while not stream.writes:  # no await: only the size can trigger the write
            access.write("GET", long_path, 200, 0.001, 2)
            written += 1
        return written

    written = asyncio.run(requests())
    assert len(stream.getvalue()) >= FLUSH_AT_BYTES
    assert written <= FLUSH_AT_BYTES // 1000 + 1


def test_off_an_event_loop_each_line_is_written_at_once(
    stream: CountingStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_the_servers_handler(monkeypatch)
    access = AccessLog()
    access.write("GET", '/odd "path"\\', 404, 0.0005, 7)
    [line] = _lines(stream)
    assert line["path"] == '/odd "path"\\'
    assert line["message"] == 'GET /odd "path"\\ 404'
    assert line["duration_ms"] == 0.5


def test_nothing_is_written_when_the_access_log_is_off() -> None:
    logging.config.dictConfig(log_config("info", access_log=False))
    assert not AccessLog().enabled()
