"""Progress for long commands: rich bars on a terminal, plain lines otherwise.

The commands report through :class:`Progress` only, so they never know which one
they talk to; tests use :class:`SilentProgress`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Protocol


class Progress(Protocol):
    """Phases with optional totals, advanced as work is done."""

    def phase(self, name: str, total: int | None = None) -> None: ...

    def advance(self, count: int = 1, nbytes: int = 0) -> None: ...

    def note(self, message: str) -> None: ...

    def close(self) -> None: ...


class SilentProgress:
    """Reports nothing (library callers and tests)."""

    def phase(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, count: int = 1, nbytes: int = 0) -> None:
        pass

    def note(self, message: str) -> None:
        pass

    def close(self) -> None:
        pass


class LineProgress:
    """One line when a phase starts, every ``every_s`` seconds while it runs, and at its end.

    For logs and pipes, where a redrawn bar would be noise.
    """

    def __init__(self, echo: Callable[[str], None], every_s: float = 5.0) -> None:
        self._echo = echo
        self._every_s = every_s
        self._name: str | None = None
        self._total: int | None = None
        self._done = 0
        self._bytes = 0
        self._last = 0.0

    def phase(self, name: str, total: int | None = None) -> None:
        self._finish()
        self._name, self._total, self._done, self._bytes = name, total, 0, 0
        self._last = time.monotonic()
        self._echo(f"{name}: started" + (f" ({total} to do)" if total is not None else ""))

    def advance(self, count: int = 1, nbytes: int = 0) -> None:
        self._done += count
        self._bytes += nbytes
        now = time.monotonic()
        if now - self._last >= self._every_s:
            self._last = now
            self._echo(f"{self._name}: {self._status()}")

    def note(self, message: str) -> None:
        self._echo(message)

    def close(self) -> None:
        self._finish()

    def _status(self) -> str:
        done = f"{self._done}/{self._total}" if self._total is not None else str(self._done)
        return done + (f", {format_bytes(self._bytes)}" if self._bytes else "")

    def _finish(self) -> None:
        if self._name is not None:
            self._echo(f"{self._name}: done, {self._status()}")
            self._name = None


class RichProgress:
    """A bar per phase (rich), left on screen when the phase ends."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as Bars

        self._bars = Bars(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[size]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._bars.start()
        self._task: Any = None
        self._bytes = 0

    def phase(self, name: str, total: int | None = None) -> None:
        self._bytes = 0
        self._task = self._bars.add_task(name, total=total, size="")

    def advance(self, count: int = 1, nbytes: int = 0) -> None:
        if self._task is None:
            return
        self._bytes += nbytes
        size = format_bytes(self._bytes) if self._bytes else ""
        self._bars.update(self._task, advance=count, size=size)

    def note(self, message: str) -> None:
        self._bars.console.print(message, markup=False, highlight=False)

    def close(self) -> None:
        self._bars.stop()


def terminal_progress(echo: Callable[[str], None]) -> Progress:
    """Bars when stderr is a terminal and rich is installed, else plain lines."""
    if sys.stderr.isatty():
        try:
            return RichProgress()
        except ImportError:
            pass
    return LineProgress(echo)


def format_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"  # pragma: no cover
