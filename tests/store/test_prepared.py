"""store/prepared.py: statements compiled once, per shape and per IN-list bucket."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select

from modelreg.service import RegistryService
from modelreg.store.prepared import PreparedCache, PreparedLists
from modelreg.store.tables import registered_models as rm


def test_prepared_lists_compile_once_per_bucket_and_pad_harmlessly(
    service: RegistryService,
) -> None:
    for i in range(9):
        service.create_registered_model(f"m{i}")
    built: list[int] = []

    def build(names: list[Any]) -> Any:
        built.append(len(names))
        return select(rm.c.name).where(rm.c.name.in_(names)).order_by(rm.c.name)

    statement = PreparedLists(build)
    with service.db.read() as conn:

        def names(wanted: list[str]) -> list[str]:
            return [row[0] for row in statement.all(conn, {"names": wanted})]

        assert names(["m1"]) == ["m1"]
        assert names(["m2", "m0", "m1"]) == ["m0", "m1", "m2"]  # padded to 4
        assert names(["m3", "m4", "m5", "nope"]) == ["m3", "m4", "m5"]  # 4 again
        assert names([f"m{i}" for i in range(5)]) == [f"m{i}" for i in range(5)]  # 8
        assert names([f"m{i}" for i in range(9)]) == [f"m{i}" for i in range(9)]  # 16
    assert built == [1, 4, 8, 16]


def test_prepared_cache_builds_once_per_key_and_stays_bounded() -> None:
    cache = PreparedCache(limit=2)
    built: list[str] = []

    def build(key: str) -> Any:
        built.append(key)
        return select(rm.c.id).where(rm.c.name == bindparam("name"))

    first = cache.get("a", lambda: build("a"))
    assert cache.get("a", lambda: build("a")) is first
    cache.get("b", lambda: build("b"))
    assert len(cache) == 2
    cache.get("c", lambda: build("c"))  # past the limit: starts over
    assert len(cache) == 1
    assert built == ["a", "b", "c"]
