"""Responses of bounded reads, kept while the database has not changed at all.

The registry's hottest calls are reads of a fixed few rows that deploy tooling asks for
again and again (a version, the version an alias points to, the latest version in a
stage). On SQLite the statements of one such read cost more than everything else the
server does for the request. So each worker keeps the encoded response of recent
bounded reads, keyed by the exact request (path, method, query string or body, content
type, ``Authorization``), together with the database's change token
(:meth:`~modelreg.store.database.Database.change_token`: SQLite's ``data_version``,
which moves whenever any other connection, in this process or another, commits).

A kept response is served only if the token is still the one it was computed under,
checked on every request: after any commit anywhere, every kept response is stale and
the read runs again. Only 200 responses are kept; errors are computed every time. The
cache holds at most ``entries`` responses (least recently used go first) and is off
for databases without a change token (PostgreSQL, MySQL: another replica may change
them at any time).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

CacheKey = tuple[Any, ...]


class ReadCache:
    """An LRU map from a request to (change token, encoded 200 response)."""

    def __init__(self, entries: int) -> None:
        if entries < 1:
            raise ValueError(f"entries must be 1 or more, got {entries}")
        self.entries = entries
        self._kept: OrderedDict[CacheKey, tuple[int, bytes]] = OrderedDict()

    def get(self, key: CacheKey, token: int) -> bytes | None:
        found = self._kept.get(key)
        if found is None:
            return None
        if found[0] != token:
            del self._kept[key]
            return None
        self._kept.move_to_end(key)
        return found[1]

    def put(self, key: CacheKey, token: int, body: bytes) -> None:
        self._kept[key] = (token, body)
        self._kept.move_to_end(key)
        if len(self._kept) > self.entries:
            self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)
