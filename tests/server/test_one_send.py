"""Each response reaches the socket in one write (no Nagle/delayed-ACK stall)."""

from __future__ import annotations

import asyncio
from typing import Any

from modelreg.server.one_send import CoalescingTransport


class RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 5000) if name == "peername" else None


def test_head_and_body_go_out_in_one_write_as_soon_as_the_body_comes() -> None:
    async def scenario() -> list[bytes]:
        real = RecordingTransport()
        transport = CoalescingTransport(real, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        assert real.writes == []  # the head waits for its body
        assert transport.get_write_buffer_size() == 38
        transport.write(b"{}")
        assert real.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]  # no wait
        await asyncio.sleep(0)
        assert len(real.writes) == 1  # the step's end finds nothing left
        assert transport.get_extra_info("peername") == ("127.0.0.1", 5000)
        return real.writes

    assert len(asyncio.run(scenario())) == 1


def test_a_lone_write_goes_out_at_the_end_of_the_step() -> None:
    # A 100 Continue (or an error uvicorn writes itself) has no second write to wait for.
    async def scenario() -> list[bytes]:
        real = RecordingTransport()
        transport = CoalescingTransport(real, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        assert real.writes == []
        await asyncio.sleep(0)
        transport.write(b"next")
        await asyncio.sleep(0)
        return real.writes

    assert asyncio.run(scenario()) == [b"HTTP/1.1 100 Continue\r\n\r\n", b"next"]


def test_close_flushes_first_and_nothing_is_written_after() -> None:
    async def scenario() -> RecordingTransport:
        real = RecordingTransport()
        transport = CoalescingTransport(real, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"last")
        transport.close()
        transport.write(b"late")
        await asyncio.sleep(0)
        return real

    real = asyncio.run(scenario())
    assert real.writes == [b"last"]
    assert real.closed
