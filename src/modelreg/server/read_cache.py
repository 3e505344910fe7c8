"""Responses of bounded reads, kept while the database has not changed at all.

The registry's hottest calls are reads of a fixed few rows that deploy tooling asks for
again and again (a version, the version an alias points to, the latest version in a
stage). On SQLite the statements of one such read cost more than everything else the
server does for the request, and a search that returns a handful of rows costs a few
times that. So each worker keeps the encoded response of recent bounded reads and of
registry searches, keyed by the exact request (path, method, query string or body,
content type, ``Authorization``), together with the database's change token
(:meth:`~modelreg.store.database.Database.change_token`: SQLite's ``data_version``,
which moves whenever any other connection, in this process or another, commits).

A kept response is served only if the token is still the one it was computed under,
checked on every request: after any commit anywhere, every kept response is stale and
the read runs again. Only 200 responses are kept; errors are computed every time. The
cache holds at most ``entries`` responses and ``max_bytes`` of them (least recently
used go first; a search page bigger than a 64th of the budget is never kept, so one
large answer cannot push out thousands of small ones) and is off for databases without
a change token (PostgreSQL, MySQL: another replica may change them at any time).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Final

CacheKey = tuple[Any, ...]

DEFAULT_MAX_BYTES: Final = 64 * 1024 * 1024


class ReadCache:
    """An LRU map from a request to (change token, encoded 200 response)."""

    def __init__(self, entries: int, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if entries < 1:
            raise ValueError(f"entries must be 1 or more, got {entries}")
        if max_bytes < 64:
            raise ValueError(f"max_bytes must be 64 or more, got {max_bytes}")
        self.entries = entries
        self.max_bytes = max_bytes
        self._largest = max_bytes // 64
        self._bytes = 0
        self._kept: OrderedDict[CacheKey, tuple[int, bytes]] = OrderedDict()

    def get(self, key: CacheKey, token: int) -> bytes | None:
        found = self._kept.get(key)
        if found is None:
            return None
        if found[0] != token:
            del self._kept[key]
            self._bytes -= len(found[1])
            return None
        self._kept.move_to_end(key)
        return found[1]

    def put(self, key: CacheKey, token: int, body: bytes) -> None:
        if len(body) > self._largest:
            return
        replaced = self._kept.pop(key, None)
        if replaced is not None:
            self._bytes -= len(replaced[1])
        self._kept[key] = (token, body)
        self._bytes += len(body)
        while len(self._kept) > self.entries or self._bytes > self.max_bytes:
            self._bytes -= len(self._kept.popitem(last=False)[1][1])

    @property
    def kept_bytes(self) -> int:
        """The size of the kept response bodies."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._kept)
