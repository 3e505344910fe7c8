"""Process helpers for ``bench/server_bench.py``: start/stop servers, sample their memory.

Not a script of its own; ``server_bench.py`` imports it (``bench/`` is on ``sys.path``
when that script runs). Everything here is Linux-only (it reads ``/proc``).

* :func:`start_server` launches a server command in its own session (so the whole
  tree it forks can be signalled through its process group), logs to a file, and
  waits until ``GET <url>/health`` answers 200.
* :func:`tree_memory` sums ``VmRSS`` (and optionally ``Pss``) over a process and all
  its descendants, found through ``/proc/<pid>/task/<tid>/children``.
* :class:`RssSampler` polls :func:`tree_memory` from a thread and keeps the peak.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- memory


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (all its threads' children), [] if it is gone."""
    found: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            text = Path(f"/proc/{pid}/task/{tid}/children").read_text()
        except OSError:
            continue
        found.extend(int(c) for c in text.split())
    return found


def process_tree(pid: int) -> list[int]:
    """``pid`` and every descendant, parents first."""
    tree, queue = [], [pid]
    while queue:
        current = queue.pop(0)
        tree.append(current)
        queue.extend(children(current))
    return tree


def _status_kib(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None  # a zombie or kernel thread has no VmRSS line


def _pss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


@dataclass(frozen=True, slots=True)
class TreeMemory:
    """Memory of a process tree at one instant (KiB), with the processes counted."""

    rss_kib: int
    processes: int
    pss_kib: int | None = None
    per_process: tuple[tuple[int, str, int], ...] = ()  # (pid, name, rss KiB)

    @property
    def rss_mib(self) -> float:
        return round(self.rss_kib / 1024, 1)

    def as_json(self) -> dict[str, object]:
        return {
            "rss_mib": self.rss_mib,
            "pss_mib": round(self.pss_kib / 1024, 1) if self.pss_kib is not None else None,
            "processes": self.processes,
            "per_process": [
                {"pid": pid, "name": name, "rss_mib": round(kib / 1024, 1)}
                for pid, name, kib in self.per_process
            ],
        }


def _name(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [w.decode(errors="replace") for w in raw if w]
    # "python -m modelreg.cli server" -> "modelreg.cli server"; keep it short
    shown = [os.path.basename(w) if i == 0 else w for i, w in enumerate(words[:4])]
    return " ".join(shown)[:80]


def tree_memory(pid: int, *, detail: bool = False) -> TreeMemory:
    """Sum of VmRSS over ``pid``'s tree; with ``detail`` also PSS and per-process rows.

    RSS counts pages shared between forked workers once per process, so the sum is an
    upper bound of the memory the tree holds; PSS splits shared pages between their
    users and sums to the tree's real share.
    """
    rss = 0
    pss: int | None = 0 if detail else None
    rows: list[tuple[int, str, int]] = []
    pids = process_tree(pid)
    counted = 0
    for p in pids:
        kib = _status_kib(p, "VmRSS:")
        if kib is None:
            continue
        counted += 1
        rss += kib
        if detail:
            rows.append((p, _name(p), kib))
            p_pss = _pss_kib(p)
            if pss is not None and p_pss is not None:
                pss += p_pss
    return TreeMemory(rss, counted, pss, tuple(rows))


_CLK_TCK = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by ``pid``'s tree (live processes only)."""
    total = 0
    for p in process_tree(pid):
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / _CLK_TCK


def wait_quiet(
    pid: int, *, below: float = 0.05, window: float = 2.0, timeout: float = 180.0
) -> float:
    """Wait until ``pid``'s tree uses < ``below`` of a core over a ``window``-second span.

    A server answering /health is not yet idle: MLflow's job-runner and huey consumer
    processes keep importing for a while after start-up. Returns the seconds waited
    (``timeout`` at most).
    """
    started = time.perf_counter()
    last = tree_cpu_seconds(pid)
    while time.perf_counter() - started < timeout:
        time.sleep(window)
        now = tree_cpu_seconds(pid)
        if now - last < below * window:
            break
        last = now
    return round(time.perf_counter() - started, 1)


@dataclass
class RssSampler:
    """Poll the tree's summed RSS every ``interval`` seconds from a thread; keep the peak."""

    pid: int
    interval: float = 0.05
    peak_kib: int = 0
    samples: int = 0
    start_kib: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self.start_kib = tree_memory(self.pid).rss_kib
        self.peak_kib = self.start_kib
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_kib = max(self.peak_kib, tree_memory(self.pid).rss_kib)
            self.samples += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.peak_kib = max(self.peak_kib, tree_memory(self.pid).rss_kib)

    @property
    def peak_mib(self) -> float:
        return round(self.peak_kib / 1024, 1)

    @property
    def growth_mib(self) -> float:
        return round((self.peak_kib - self.start_kib) / 1024, 1)


# --------------------------------------------------------------------------- servers


@dataclass
class Server:
    """A server process we started (in its own session), with its log file."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    startup_s: float

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM the server's process group (only what we started), then SIGKILL."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        # Workers of a supervisor may outlive it briefly; the group is ours alone.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.returncode


def http_status(url: str, timeout: float = 1.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None


def start_server(
    name: str,
    command: Sequence[str],
    port: int,
    log: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120.0,
    ready_path: str = "/health",
) -> Server:
    """Launch ``command`` and wait (at most ``timeout`` s) for ``ready_path`` to answer 200."""
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(command),
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    server = Server(name, url, process, log, 0.0)
    deadline = started + timeout
    try:
        while http_status(url + ready_path) != 200:
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{tail}")
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{name} did not answer {ready_path} within {timeout:.0f} s")
            time.sleep(0.05)
    except BaseException:
        server.stop()
        raise
    server.startup_s = round(time.perf_counter() - started, 2)
    return server


def settle(server: Server, seconds: float = 2.0) -> tuple[TreeMemory, float]:
    """Wait ``seconds``, then until the tree is quiet; its memory in detail, seconds waited."""
    time.sleep(seconds)
    waited = wait_quiet(server.pid)
    return tree_memory(server.pid, detail=True), round(seconds + waited, 1)
