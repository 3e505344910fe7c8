"""The server's thread pool, and how /health tells a starved pool from a busy one."""

from __future__ import annotations

import asyncio
import threading

import pytest

from modelreg.server.runner import Runner


def test_calls_run_on_the_pool_threads() -> None:
    runner = Runner(2)

    async def main() -> str:
        return await runner.run(lambda: threading.current_thread().name)

    try:
        assert asyncio.run(main()).startswith("modelreg-call")
    finally:
        runner.close()


def test_responsive_until_every_thread_is_stuck() -> None:
    runner = Runner(2)
    release = threading.Event()

    async def main() -> tuple[bool, bool, bool]:
        before = await runner.responsive(lambda: None, 5)
        stuck = [asyncio.ensure_future(runner.run(release.wait, 30)) for _ in range(2)]
        await asyncio.sleep(0.1)
        starved = await runner.responsive(lambda: None, 0.3)
        release.set()
        await asyncio.gather(*stuck)
        after = await runner.responsive(lambda: None, 5)
        return before, starved, after

    try:
        assert asyncio.run(main()) == (True, False, True)
    finally:
        release.set()
        runner.close()


def test_a_failing_probe_is_unresponsive() -> None:
    runner = Runner(1)

    def broken() -> None:
        raise OSError("database is down")

    try:
        assert asyncio.run(runner.responsive(broken, 5)) is False
    finally:
        runner.close()


def test_one_probe_at_a_time_waits_in_the_queue() -> None:
    runner = Runner(1)
    release = threading.Event()
    probes = []

    def probe() -> None:
        probes.append(1)

    async def main() -> None:
        stuck = asyncio.ensure_future(runner.run(release.wait, 30))
        await asyncio.sleep(0.05)
        for _ in range(5):  # /health asked five times while the pool is stuck
            assert await runner.responsive(probe, 0.05) is False
        release.set()
        await stuck
        for _ in range(100):
            if probes:
                break
            await asyncio.sleep(0.01)
        assert len(probes) == 1  # the five asks shared one queued probe
        assert await runner.responsive(probe, 5) is True

    try:
        asyncio.run(main())
    finally:
        release.set()
        runner.close()


def test_threads_must_be_positive() -> None:
    with pytest.raises(ValueError, match="threads"):
        Runner(0)
