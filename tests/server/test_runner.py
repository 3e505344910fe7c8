"""The server's thread pool, and how /health tells a starved pool from a busy one."""

from __future__ import annotations

import asyncio
import contextvars
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


def test_sequential_calls_reuse_the_thread_that_went_idle_last() -> None:
    # Each pool thread has its own SQLite connection: rotating calls over the threads
    # would make every connection re-read what the others wrote.
    runner = Runner(4)
    release = threading.Event()

    async def main() -> set[str]:
        # Start all four threads, so there are several idle ones to choose from.
        busy = [asyncio.ensure_future(runner.run(release.wait, 30)) for _ in range(4)]
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(*busy)
        return {await runner.run(lambda: threading.current_thread().name) for _ in range(20)}

    try:
        assert len(asyncio.run(main())) == 1
    finally:
        release.set()
        runner.close()


def test_calls_beyond_the_pool_wait_for_a_thread_in_order() -> None:
    runner = Runner(1)
    release = threading.Event()
    order: list[int] = []

    async def main() -> list[int]:
        first = asyncio.ensure_future(runner.run(release.wait, 30))
        await asyncio.sleep(0.02)
        rest = [asyncio.ensure_future(runner.run(order.append, n)) for n in range(5)]
        await asyncio.sleep(0.05)
        assert order == []  # the only thread is busy
        release.set()
        await asyncio.gather(first, *rest)
        return order

    try:
        assert asyncio.run(main()) == [0, 1, 2, 3, 4]
    finally:
        release.set()
        runner.close()


def test_errors_reach_the_caller_and_the_thread_goes_on() -> None:
    runner = Runner(1)

    def fail() -> None:
        raise LookupError("no such thing")

    async def main() -> int:
        with pytest.raises(LookupError, match="no such thing"):
            await runner.run(fail)
        return await runner.run(lambda: 7)

    try:
        assert asyncio.run(main()) == 7
    finally:
        runner.close()


def test_a_call_cancelled_while_waiting_never_runs() -> None:
    runner = Runner(1)
    release = threading.Event()
    ran: list[str] = []

    async def main() -> None:
        first = asyncio.ensure_future(runner.run(release.wait, 30))
        await asyncio.sleep(0.02)
        waiting = asyncio.ensure_future(runner.run(ran.append, "cancelled"))
        await asyncio.sleep(0.02)
        waiting.cancel()
        release.set()
        await first
        await runner.run(ran.append, "after")

    try:
        asyncio.run(main())
        assert ran == ["after"]
    finally:
        release.set()
        runner.close()


def test_close_cancels_waiting_calls_and_the_runner_starts_again() -> None:
    runner = Runner(1)
    release = threading.Event()

    async def main() -> str:
        first = asyncio.ensure_future(runner.run(release.wait, 30))
        await asyncio.sleep(0.02)
        waiting = asyncio.ensure_future(runner.run(lambda: "never"))
        await asyncio.sleep(0.02)
        runner.close()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        release.set()
        assert await first is True  # the running call finishes
        return await runner.run(lambda: threading.current_thread().name)

    try:
        assert asyncio.run(main()).startswith("modelreg-call")
    finally:
        release.set()
        runner.close()


def test_the_callers_context_reaches_the_thread() -> None:
    runner = Runner(2)
    name: contextvars.ContextVar[str] = contextvars.ContextVar("name", default="unset")

    async def main() -> str:
        name.set("request-1")
        return await runner.run(name.get)

    try:
        assert asyncio.run(main()) == "request-1"
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


def test_serial_lanes_must_be_positive() -> None:
    with pytest.raises(ValueError, match="serial_lanes"):
        Runner(4, serial_lanes=0)


def _count_running(counter: dict[str, int], lock: threading.Lock, release: threading.Event) -> None:
    with lock:
        counter["now"] += 1
        counter["most"] = max(counter["most"], counter["now"])
    release.wait(30)
    with lock:
        counter["now"] -= 1


def test_at_most_serial_lanes_serial_calls_hold_a_thread() -> None:
    # SQLite writes queue on one writer lock: more of them on threads only wait there.
    runner = Runner(8, serial_lanes=2)
    release = threading.Event()
    counter = {"now": 0, "most": 0}
    lock = threading.Lock()

    async def main() -> None:
        calls = [
            asyncio.ensure_future(runner.run_serial(_count_running, counter, lock, release))
            for _ in range(6)
        ]
        await asyncio.sleep(0.1)
        assert counter["now"] == 2
        release.set()
        await asyncio.gather(*calls)

    try:
        asyncio.run(main())
        assert counter["most"] == 2
    finally:
        release.set()
        runner.close()


def test_serial_calls_waiting_for_a_lane_leave_the_threads_to_other_calls() -> None:
    runner = Runner(3, serial_lanes=1)
    release = threading.Event()

    async def main() -> str:
        busy = [asyncio.ensure_future(runner.run_serial(release.wait, 30)) for _ in range(5)]
        await asyncio.sleep(0.05)
        # One serial call holds a thread, four wait without one: a read still runs now.
        answer = await asyncio.wait_for(runner.run(lambda: "read"), 5)
        release.set()
        await asyncio.gather(*busy)
        return answer

    try:
        assert asyncio.run(main()) == "read"
    finally:
        release.set()
        runner.close()


def test_serial_calls_run_in_order_on_the_thread_that_freed_the_lane() -> None:
    runner = Runner(4, serial_lanes=1)
    release = threading.Event()
    seen: list[tuple[int, str]] = []

    def note(n: int) -> None:
        seen.append((n, threading.current_thread().name))

    async def main() -> None:
        first = asyncio.ensure_future(runner.run_serial(release.wait, 30))
        await asyncio.sleep(0.02)
        rest = [asyncio.ensure_future(runner.run_serial(note, n)) for n in range(5)]
        await asyncio.sleep(0.05)
        assert seen == []
        release.set()
        await asyncio.gather(first, *rest)

    try:
        asyncio.run(main())
        assert [n for n, _ in seen] == [0, 1, 2, 3, 4]
        assert len({name for _, name in seen}) == 1
    finally:
        release.set()
        runner.close()


def test_a_serial_call_cancelled_while_waiting_never_runs_and_frees_its_lane() -> None:
    runner = Runner(2, serial_lanes=1)
    release = threading.Event()
    ran: list[str] = []

    async def main() -> None:
        first = asyncio.ensure_future(runner.run_serial(release.wait, 30))
        await asyncio.sleep(0.02)
        waiting = asyncio.ensure_future(runner.run_serial(ran.append, "cancelled"))
        await asyncio.sleep(0.02)
        waiting.cancel()
        release.set()
        await first
        await asyncio.wait_for(runner.run_serial(ran.append, "after"), 5)
        await asyncio.wait_for(runner.run_serial(ran.append, "and after"), 5)

    try:
        asyncio.run(main())
        assert ran == ["after", "and after"]
    finally:
        release.set()
        runner.close()


def test_close_cancels_serial_calls_waiting_for_a_lane() -> None:
    runner = Runner(2, serial_lanes=1)
    release = threading.Event()

    async def main() -> str:
        first = asyncio.ensure_future(runner.run_serial(release.wait, 30))
        await asyncio.sleep(0.02)
        waiting = asyncio.ensure_future(runner.run_serial(lambda: "never"))
        await asyncio.sleep(0.02)
        runner.close()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        release.set()
        assert await first is True
        # A fresh start: the lane the old call held is not counted against the new pool.
        return await asyncio.wait_for(runner.run_serial(lambda: "again"), 5)

    try:
        assert asyncio.run(main()) == "again"
    finally:
        release.set()
        runner.close()
