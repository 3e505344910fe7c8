"""Where the server's blocking calls run: a small thread pool of its own.

The service is synchronous (SQLAlchemy, fsspec). Calls that may take a while (writes,
searches, any call on a database across the network, artifact file I/O) run on a
fixed pool of ``threads`` threads rather than anyio's default 40-thread pool: a small
pool keeps the threads from fighting the event loop for the GIL (measured on 2 cores: 8
connections served fewer requests than 1 through the 40-thread pool).

The pool hands each call to the thread that went idle *last*, not to whichever idle
thread the kernel wakes first (``concurrent.futures.ThreadPoolExecutor`` shares one
queue, so sequential calls rotate over all its threads). On SQLite each thread keeps its
own connection (:mod:`modelreg.store.sqlite`), and a connection that has not seen the
last commits re-reads the pages they changed: rotating a writer over 8 threads cost
about 100 µs of CPU a write (create_model_version, in process: 570 → 460 µs), on top of
cold CPU caches. A thread of its own to wake per call, and results handed back with one
``call_soon_threadsafe``, also make the hop itself cheaper than ``run_in_executor``.

Nothing waits on a client while holding one of these threads: request bodies are read
on the event loop and handed over complete (or, for uploads, in complete chunks), so a
slow or stalled client cannot pin a thread. :meth:`Runner.responsive` is how ``/health``
tells a server whose threads are all stuck (a database that stopped answering, calls
that never finish) from a healthy one.
"""

from __future__ import annotations

import asyncio
import contextvars
import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Final, TypeVar

T = TypeVar("T")


class _Job:
    __slots__ = ("args", "context", "fn", "future", "loop", "serial")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[Any],
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        serial: bool = False,
    ) -> None:
        self.loop = loop
        self.future = future
        self.serial = serial
        # A copy of the caller's context, so log lines written on the thread carry the
        # request id (modelreg.server.request_id).
        self.context = contextvars.copy_context()
        self.fn = fn
        self.args = args


# Serial calls (SQLite writes) holding a thread at a time, per process: one holds the
# writer lock while the next does its work before the lock. More only wait for the
# lock and the GIL (measured on 2 cores, 2 workers, 8 connections of create_model_version:
# 8 threads in writes served 0.87-0.91x of 1 connection, 2 to 4 threads 1.05-1.15x).
SERIAL_LANES: Final = 2

# Handed to a worker instead of a job: the runner is closed, the thread ends.
_STOP: Final = None


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():  # the caller went away while the call ran
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _execute(job: _Job) -> tuple[Any, BaseException | None]:
    try:
        return job.context.run(job.fn, *job.args), None
    except BaseException as raised:  # handed to the awaiting coroutine, like an executor
        return None, raised


def _deliver(job: _Job, result: Any, error: BaseException | None) -> None:
    try:
        job.loop.call_soon_threadsafe(_settle, job.future, result, error)
    except RuntimeError:
        pass  # the caller's loop is closed: nobody is left to tell


class _Worker:
    """One pool thread with a mailbox of its own, so the runner chooses who wakes."""

    def __init__(self, runner: Runner, number: int, generation: int) -> None:
        self._runner = runner
        self.generation = generation
        self._mailbox: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        # A daemon: a call still running at interpreter exit (a long search) must not
        # hold the process up. Requests are drained before shutdown, so a write never
        # is; one cut short would be rolled back by the database anyway.
        self.thread = threading.Thread(
            target=self._serve, name=f"modelreg-call_{number}", daemon=True
        )

    def hand(self, job: _Job | None) -> None:
        self._mailbox.put(job)

    def _serve(self) -> None:
        job = self._mailbox.get()
        while job is not _STOP:
            if job.future.cancelled():  # cancelled while it waited: never started
                done: _Job | None = None
            else:
                done = job
                result, error = _execute(job)
            # Idle (or on to the oldest waiting call) *before* the caller hears back, so
            # the caller's next call comes back to this thread and its warm connection.
            job = self._runner._next_or_idle(self, job.serial)
            if done is not None:
                _deliver(done, result, error)
                del done, result, error  # no reference cycle through a traceback
            if job is None:
                job = self._mailbox.get()


class Runner:
    """A fixed pool of threads for blocking calls, started lazily, closed at shutdown."""

    def __init__(self, threads: int, serial_lanes: int = SERIAL_LANES) -> None:
        if threads < 1:
            raise ValueError(f"threads must be 1 or more, got {threads}")
        if serial_lanes < 1:
            raise ValueError(f"serial_lanes must be 1 or more, got {serial_lanes}")
        self.threads = threads
        self.serial_lanes = serial_lanes
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        # Idle threads as a stack: the last to go idle is the first handed a call.
        self._idle: list[_Worker] = []
        # Calls waiting for a thread, oldest first.
        self._waiting: deque[_Job] = deque()
        # Serial calls (run_serial) on a thread or waiting for one, and those waiting
        # for a lane, oldest first: they hold no thread while they wait.
        self._serial_running = 0
        self._serial_waiting: deque[_Job] = deque()
        # Bumped by close(): threads of an earlier generation end after their call,
        # and the next call starts a new one (an app may be started again).
        self._generation = 0
        # At most one health probe waits in the queue, however often /health is asked.
        self._probe: asyncio.Future[object] | None = None

    def _submit(
        self, fn: Callable[..., Any], args: tuple[Any, ...], serial: bool = False
    ) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        job = _Job(loop, loop.create_future(), fn, args, serial)
        started: _Worker | None = None
        with self._lock:
            if serial:
                if self._serial_running >= self.serial_lanes:
                    self._serial_waiting.append(job)
                    return job.future
                self._serial_running += 1
            if self._idle:
                worker = self._idle.pop()
            elif len(self._workers) < self.threads:
                number = len(self._workers) + 1
                worker = started = _Worker(self, number, self._generation)
                self._workers.append(worker)
            else:
                self._waiting.append(job)
                return job.future
        if started is not None:
            started.thread.start()
        worker.hand(job)
        return job.future

    def _next_or_idle(self, worker: _Worker, finished_serial: bool) -> _Job | None:
        """For a worker that finished a call: the next serial call if it freed a lane,
        else the oldest waiting call, else None (and the worker is idle, to be handed
        its next call through its mailbox)."""
        with self._lock:
            if worker.generation != self._generation:
                worker.hand(_STOP)  # closed while it ran its call
                return None
            if finished_serial:
                self._serial_running -= 1
                if self._serial_waiting:
                    # The same thread runs the next one: its work is warm in its caches.
                    self._serial_running += 1
                    return self._serial_waiting.popleft()
            if self._waiting:
                return self._waiting.popleft()
            self._idle.append(worker)
            return None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the pool, in a copy of the caller's context."""
        result: T = await self._submit(fn, args)
        return result

    async def run_serial(self, fn: Callable[..., T], *args: Any) -> T:
        """Like :meth:`run`, for a call that queues on a lock of its own (a SQLite
        write): at most ``serial_lanes`` such calls hold a thread at a time."""
        result: T = await self._submit(fn, args, serial=True)
        return result

    async def responsive(self, probe: Callable[[], object], timeout_s: float) -> bool:
        """Whether ``probe`` gets a thread and finishes within ``timeout_s`` seconds."""
        loop = asyncio.get_running_loop()
        future = self._probe
        if future is None or future.done() or future.get_loop() is not loop:
            future = self._probe = self._submit(probe, ())
        try:
            await asyncio.wait_for(asyncio.shield(future), timeout_s)
        except TimeoutError:
            return False
        except Exception:  # the probe itself failed (the database is down, say)
            return False
        return True

    def close(self) -> None:
        """Cancel the calls still waiting for a thread and let every thread end once its
        current call returns (a later :meth:`run` starts new threads)."""
        with self._lock:
            self._generation += 1
            self._workers = []
            waiting = [*self._waiting, *self._serial_waiting]
            self._waiting, self._serial_waiting = deque(), deque()
            self._serial_running = 0
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.hand(_STOP)
        for job in waiting:
            try:
                job.loop.call_soon_threadsafe(job.future.cancel)
            except RuntimeError:
                pass  # its loop is closed already
