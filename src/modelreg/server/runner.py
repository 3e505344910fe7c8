"""Where the server's blocking calls run: a small thread pool of its own.

The service is synchronous (SQLAlchemy, fsspec). Calls that may take a while (writes,
searches, any call on a database across the network, artifact file I/O) run on a
fixed pool of ``threads`` threads rather than anyio's default 40-thread pool: a hop
through ``loop.run_in_executor`` costs about half of anyio's, and a small pool keeps the
threads from fighting the event loop for the GIL (measured on 2 cores: 8 connections
served fewer requests than 1 through the 40-thread pool).

Nothing waits on a client while holding one of these threads: request bodies are read
on the event loop and handed over complete (or, for uploads, in complete chunks), so a
slow or stalled client cannot pin a thread. :meth:`Runner.responsive` is how ``/health``
tells a server whose threads are all stuck (a database that stopped answering, calls
that never finish) from a healthy one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Runner:
    """A fixed pool of threads for blocking calls, created lazily, closed at shutdown."""

    def __init__(self, threads: int) -> None:
        if threads < 1:
            raise ValueError(f"threads must be 1 or more, got {threads}")
        self.threads = threads
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        # At most one health probe waits in the queue, however often /health is asked.
        self._probe: asyncio.Future[object] | None = None

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                self.threads, thread_name_prefix="modelreg-call"
            )
        return self._pool

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the pool, in a copy of the caller's context (so log lines
        written there carry the request id, modelreg.server.request_id)."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        return await loop.run_in_executor(self._executor(), context.run, fn, *args)

    async def responsive(self, probe: Callable[[], object], timeout_s: float) -> bool:
        """Whether ``probe`` gets a thread and finishes within ``timeout_s`` seconds."""
        loop = asyncio.get_running_loop()
        future = self._probe
        if future is None or future.done() or future.get_loop() is not loop:
            future = self._probe = loop.run_in_executor(self._executor(), probe)
        try:
            await asyncio.wait_for(asyncio.shield(future), timeout_s)
        except TimeoutError:
            return False
        except Exception:  # the probe itself failed (the database is down, say)
            return False
        return True

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
