"""SQL for the model registry: one class, bound to the transaction the service opened.

Reads are a fixed few statements whatever the number of versions; writes never
commit (the service owns the unit of work).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    null,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError

from modelreg.entities import STAGE_ARCHIVED, STAGES, ModelVersion, RegisteredModel
from modelreg.errors import AlreadyExists
from modelreg.filters import Condition, OrderKey
from modelreg.store import search
from modelreg.store.auth import Visibility
from modelreg.store.prepared import Prepared, PreparedCache, PreparedLists
from modelreg.store.rows import (
    MODEL_COLUMN_NAMES,
    VERSION_COLUMN_NAMES,
    model_from_row,
    version_from_row,
)
from modelreg.store.tables import (
    VALUE_PREFIX_LENGTH,
    model_aliases,
    model_version_tags,
    model_versions,
    registered_model_tags,
    registered_models,
)
from modelreg.store.upsert import delete_pair, upsert_pairs

rm = registered_models
mv = model_versions
_VERSION_COLUMNS = (rm.c.name, *[c for c in mv.c if c.name != "model_id"], mv.c.model_id)
if tuple(c.name for c in _VERSION_COLUMNS) != VERSION_COLUMN_NAMES:  # pragma: no cover
    raise RuntimeError("model_versions columns changed: update store/rows.py to match")
if tuple(c.name for c in rm.c) != MODEL_COLUMN_NAMES:  # pragma: no cover
    raise RuntimeError("registered_models columns changed: update store/rows.py to match")
_VERSIONS_WITH_NAME = mv.join(rm, rm.c.id == mv.c.model_id)
_MID: Any = bindparam("mid")

# The single-entity reads every get goes through, compiled once per dialect.
_MODEL_ID = Prepared(select(rm.c.id).where(rm.c.name == bindparam("name")))
_MODEL_ROW = Prepared(select(rm).where(rm.c.name == bindparam("name")))


def _model_extras(where: Callable[[Table], Any]) -> Any:
    """A model's tags and aliases in one statement: rows (model id, tag key or alias,
    tag value or NULL, NULL or aliased version); a NULL value marks an alias."""
    t, a = registered_model_tags, model_aliases
    return union_all(
        select(t.c.model_id, t.c.key, t.c.value, null().label("version")).where(where(t)),
        select(a.c.model_id, a.c.alias, null(), a.c.version).where(where(a)),
    )


def _version_extras(where: Callable[[Table], Any]) -> Any:
    """Versions' tags and aliases in one statement: rows (model id, version, tag key or
    alias, tag value or NULL); tag values are never NULL, so a NULL marks an alias."""
    t, a = model_version_tags, model_aliases
    return union_all(
        select(t.c.model_id, t.c.version, t.c.key, t.c.value).where(where(t)),
        select(a.c.model_id, a.c.version, a.c.alias, null()).where(where(a)),
    )


_MODEL_EXTRAS = Prepared(_model_extras(lambda table: table.c.model_id == _MID))
_VERSION_ROW = Prepared(
    select(*_VERSION_COLUMNS)
    .select_from(_VERSIONS_WITH_NAME)
    .where(rm.c.name == bindparam("name"), mv.c.version == bindparam("version"))
)
_ALIAS_VERSION = Prepared(
    select(model_aliases.c.version).where(
        model_aliases.c.model_id == _MID, model_aliases.c.alias == bindparam("alias")
    )
)
# Tags and aliases of up to four versions of one model (a version, or the latest per
# stage): one statement per number of versions, because each value of an IN list is an
# index probe of its own (a probe for a padding value costs as much as a real one:
# ~10k instructions on SQLite, most of a single-version read's tag lookup).
_SLOTS: tuple[Any, ...] = tuple(bindparam(f"v{i}") for i in range(len(STAGES)))


def _in_slots(column: Any, count: int) -> Any:
    return column == _SLOTS[0] if count == 1 else column.in_(_SLOTS[:count])


# Tags only (the versions' aliases are known from the model's), by number of versions.
_FEW_VERSION_TAGS = {
    count: Prepared(
        select(
            model_version_tags.c.version, model_version_tags.c.key, model_version_tags.c.value
        ).where(
            model_version_tags.c.model_id == _MID,
            _in_slots(model_version_tags.c.version, count),
        )
    )
    for count in range(1, len(_SLOTS) + 1)
}


def _few_version_extras(count: int) -> Prepared:
    """Tags and aliases of ``count`` versions of one model, in one statement."""
    return Prepared(
        _version_extras(
            lambda table: and_(table.c.model_id == _MID, _in_slots(table.c.version, count))
        )
    )


_FEW_VERSION_EXTRAS = {count: _few_version_extras(count) for count in range(1, len(_SLOTS) + 1)}
# The write path of create_model_version, the registry's hottest write.
_BUMP_COUNTER = Prepared(
    update(rm)
    .where(rm.c.name == bindparam("name"))
    .values(last_version=rm.c.last_version + 1, last_updated_timestamp=bindparam("now"))
)
_COUNTER = Prepared(select(rm.c.id, rm.c.last_version).where(rm.c.name == bindparam("name")))
_LOCK_MODEL = Prepared(
    update(rm).where(rm.c.name == bindparam("name")).values(last_updated_timestamp=bindparam("now"))
)
# The same row lock without changing anything (a no-op assignment).
_LOCK_MODEL_ONLY = Prepared(
    update(rm)
    .where(rm.c.name == bindparam("name"))
    .values(last_updated_timestamp=rm.c.last_updated_timestamp)
)
# The write path of transition_model_version_stage.
_VERSION_KEY = (mv.c.model_id == _MID, mv.c.version == bindparam("v"))
_SET_STAGE = Prepared(
    update(mv)
    .where(*_VERSION_KEY)
    .values(current_stage=bindparam("stage"), last_updated_timestamp=bindparam("now"))
)
_IN_STAGE = Prepared(
    select(mv.c.version).where(
        mv.c.model_id == _MID,
        mv.c.current_stage == bindparam("stage"),
        mv.c.version != bindparam("v"),
    )
)
_INSERT_VERSION = Prepared(insert(mv).values({c: bindparam(f"p_{c.name}") for c in mv.c}))
_DELETE_VERSION_TAG = Prepared(
    delete(model_version_tags).where(
        model_version_tags.c.model_id == _MID,
        model_version_tags.c.version == bindparam("v"),
        model_version_tags.c.key == bindparam("k"),
    )
)
_INSERT_VERSION_TAG = Prepared(
    insert(model_version_tags).values({c: bindparam(f"p_{c.name}") for c in model_version_tags.c})
)

# Tags and aliases of a page of versions (see RegistryStore._version_extras).
_RANGE: tuple[Any, Any] = (bindparam("lo"), bindparam("hi"))
_MODEL_RANGE_EXTRAS = Prepared(
    _version_extras(lambda table: and_(table.c.model_id == _MID, table.c.version.between(*_RANGE)))
)
_PAGE_VERSION_EXTRAS = PreparedLists(
    lambda mids, versions: _version_extras(
        lambda table: and_(table.c.model_id.in_(mids), table.c.version.in_(versions))
    )
)

# Tags, aliases and latest version per stage of a page of models.
_PAGE_MODEL_EXTRAS = PreparedLists(
    lambda mids: _model_extras(lambda table: table.c.model_id.in_(mids))
)


def _page_latest(mids: list[Any], stages: list[Any] | None = None) -> Any:
    conditions = [mv.c.model_id.in_(mids)]
    if stages is not None:
        conditions.append(mv.c.current_stage.in_(stages))
    newest = (
        select(
            mv.c.model_id.label("mid"),
            mv.c.current_stage.label("stage"),
            func.max(mv.c.version).label("top"),
        )
        .where(*conditions)
        .group_by(mv.c.model_id, mv.c.current_stage)
        .subquery()
    )
    return select(*_VERSION_COLUMNS).select_from(
        newest.join(mv, (mv.c.model_id == newest.c.mid) & (mv.c.version == newest.c.top)).join(
            rm, rm.c.id == mv.c.model_id
        )
    )


_PAGE_LATEST = PreparedLists(_page_latest)
# Every stage (a search page's latest versions): without the stage list, one range scan
# per model instead of one probe per model and stage, half the statement's time.
_PAGE_LATEST_ALL_STAGES = PreparedLists(_page_latest)

# The latest version in each stage: one indexed LIMIT 1 probe per stage, in one statement.
_LATEST_PER_STAGE = {
    stages: Prepared(
        union_all(
            *[
                select(*_VERSION_COLUMNS)
                .select_from(_VERSIONS_WITH_NAME)
                .where(mv.c.model_id == _MID, mv.c.current_stage == stage)
                .order_by(mv.c.version.desc())
                .limit(1)
                .subquery()
                .select()
                for stage in stages
            ]
        )
        if len(stages) > 1
        else select(*_VERSION_COLUMNS)
        .select_from(_VERSIONS_WITH_NAME)
        .where(mv.c.model_id == _MID, mv.c.current_stage == stages[0])
        .order_by(mv.c.version.desc())
        .limit(1)
    )
    for stages in [STAGES, *[(stage,) for stage in STAGES]]
}


# Search pages, compiled once per filter shape and ordering (see store/search.py).
_MODEL_SEARCHES = PreparedCache()
_VERSION_SEARCHES = PreparedCache()


def _paged(query: Any) -> Any:
    return query.offset(bindparam("offset")).limit(bindparam("limit"))


class RegistryStore:
    """Queries and statements for models, versions, tags, aliases and events."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ----------------------------------------------------------------- models
    def model_id(self, name: str) -> int | None:
        found: int | None = _MODEL_ID.scalar(self.conn, {"name": name})
        return found

    def model_row(self, name: str) -> Any:
        return _MODEL_ROW.first(self.conn, {"name": name})

    def lock_model(self, name: str, now: int | None = None) -> int | None:
        """Take the model's row lock for this transaction (optionally bumping its timestamp).

        Every write that must serialise with others on the same model starts here, so
        version allocation and archive-on-promotion see each other's committed rows.
        """
        # An UPDATE takes the row lock on every backend (and SQLite's write lock, already
        # held since BEGIN IMMEDIATE); a no-op assignment locks without changing anything.
        if now is None:
            _LOCK_MODEL_ONLY.execute(self.conn, {"name": name})
        else:
            _LOCK_MODEL.execute(self.conn, {"name": name, "now": now})
        return self.model_id(name)

    def insert_model(self, name: str, description: str, user_id: str | None, now: int) -> int:
        try:
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(rm).values(
                        name=name,
                        creation_timestamp=now,
                        last_updated_timestamp=now,
                        description=description,
                        user_id=user_id,
                        last_version=0,
                    )
                )
        except IntegrityError:
            raise AlreadyExists(f"Registered Model (name={name}) already exists.") from None
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def rename_model(self, model_id: int, new_name: str, now: int) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    update(rm)
                    .where(rm.c.id == model_id)
                    .values(name=new_name, last_updated_timestamp=now)
                )
        except IntegrityError:
            raise AlreadyExists(f"Registered Model (name={new_name}) already exists.") from None
        self.conn.execute(
            update(mv).where(mv.c.model_id == model_id).values(last_updated_timestamp=now)
        )

    def update_model(self, model_id: int, now: int, **values: Any) -> None:
        self.conn.execute(
            update(rm).where(rm.c.id == model_id).values(last_updated_timestamp=now, **values)
        )

    def delete_model(self, model_id: int) -> None:
        # Children are deleted explicitly too: MySQL and SQLite cascade, but being
        # explicit keeps the behaviour independent of the FK enforcement setting.
        self.conn.execute(delete(model_aliases).where(model_aliases.c.model_id == model_id))
        self.conn.execute(
            delete(model_version_tags).where(model_version_tags.c.model_id == model_id)
        )
        self.conn.execute(delete(mv).where(mv.c.model_id == model_id))
        self.conn.execute(
            delete(registered_model_tags).where(registered_model_tags.c.model_id == model_id)
        )
        self.conn.execute(delete(rm).where(rm.c.id == model_id))

    def get_model(self, name: str) -> RegisteredModel | None:
        row = self.model_row(name)
        if row is None:
            return None
        found = self.model_tags_and_aliases([row.id], _MODEL_EXTRAS.all(self.conn, {"mid": row.id}))
        tags, aliases = found[0][row.id], found[1][row.id]
        latest = self.latest_of_model(row.id, STAGES, aliases)
        return model_from_row(row, tags, aliases, latest)

    def search_models(
        self,
        filters: Sequence[Condition],
        order: Sequence[OrderKey],
        offset: int,
        limit: int,
        visible: Visibility | None = None,
    ) -> list[RegisteredModel]:
        def build() -> Any:
            query = select(rm).where(*search.where(filters, search.REGISTERED_MODELS))
            if visible is not None:  # --auth: only what the caller may read, in SQL
                query = query.where(visible.models(rm.c.id))
            return _paged(search.order_registered_models(query, order))

        shape = (search.shape(filters), tuple(order), visible and visible.shape)
        statement = _MODEL_SEARCHES.get(shape, build)
        params = {**search.filter_params(filters), "offset": offset, "limit": limit}
        if visible is not None:
            params.update(visible.params())
        rows = statement.all(self.conn, params)
        ids = [row[0] for row in rows]  # by position (MODEL_COLUMN_NAMES): cheaper
        tags, aliases = self.model_tags_and_aliases(ids)
        latest = self.latest_versions(ids)
        return [
            model_from_row(row, tags[id_], aliases[id_], latest.get(id_, ()))
            for row, id_ in zip(rows, ids, strict=True)
        ]

    # --------------------------------------------------------------- versions
    def allocate_version_by_name(self, name: str, now: int) -> tuple[int, int] | None:
        """(model id, next version) for ``name``, under the model's row lock; None if absent.

        The counter is incremented by an UPDATE, which takes the row lock, so concurrent
        creates on one model serialise here and each reads its own new value.
        """
        _BUMP_COUNTER.execute(self.conn, {"name": name, "now": now})
        row = _COUNTER.first(self.conn, {"name": name})
        return None if row is None else (int(row.id), int(row.last_version))

    def insert_version(self, model_id: int, version: int, **values: Any) -> None:
        columns: dict[str, Any] = {c.name: None for c in mv.c}
        columns.update(values, model_id=model_id, version=version)
        _INSERT_VERSION.execute(self.conn, {f"p_{k}": v for k, v in columns.items()})

    def version_row(self, name: str, version: int) -> Any:
        """The version's row (with its model's name), or None."""
        return _VERSION_ROW.first(self.conn, {"name": name, "version": version})

    def get_version(self, name: str, version: int) -> ModelVersion | None:
        row = self.version_row(name, version)
        if row is None:
            return None
        return self._with_tags_and_aliases(row.model_id, [row])[0]

    def _with_tags_and_aliases(
        self,
        model_id: int,
        rows: Sequence[Any],
        model_aliases: Mapping[str, int] | None = None,
    ) -> list[ModelVersion]:
        """Versions (at most four) of one model, with their tags and aliases.

        When the model's aliases are already known (a model read), the versions'
        aliases come from them instead of another statement.
        """
        params: dict[str, int] = {"mid": model_id}
        for slot, row in zip(_SLOTS, rows, strict=False):
            params[slot.key] = row.version
        count = len(rows)
        tags: dict[int, dict[str, str]] = defaultdict(dict)
        aliases: dict[int, list[str]] = defaultdict(list)
        if model_aliases is None:
            for _, version, key, value in _FEW_VERSION_EXTRAS[count].all(self.conn, params):
                if value is None:
                    aliases[version].append(key)
                else:
                    tags[version][key] = value
        else:
            for version, key, value in _FEW_VERSION_TAGS[count].all(self.conn, params):
                tags[version][key] = value
            for alias, version in model_aliases.items():
                aliases[version].append(alias)
        # Rows are unpacked by position: attribute lookups on rows cost more.
        return [version_from_row(r, tags[r[1]], aliases[r[1]]) for r in rows]

    def latest_of_model(
        self,
        model_id: int,
        stages: Sequence[str],
        model_aliases: Mapping[str, int] | None = None,
    ) -> list[ModelVersion]:
        """The newest version in each of ``stages`` (with tags and aliases), in stage order."""
        statement = _LATEST_PER_STAGE.get(tuple(stages))
        if statement is None:
            rows: Sequence[Any] = self._latest_rows([model_id], stages)[model_id]
        else:
            rows = statement.all(self.conn, {"mid": model_id})
        return self._with_tags_and_aliases(model_id, rows, model_aliases) if rows else []

    def update_version(self, model_id: int, version: int, **values: Any) -> None:
        if values.keys() == {"current_stage", "last_updated_timestamp"}:
            self.set_stage(
                model_id, [version], values["current_stage"], values["last_updated_timestamp"]
            )
            return
        self.conn.execute(
            update(mv).where(mv.c.model_id == model_id, mv.c.version == version).values(**values)
        )

    def set_stage(self, model_id: int, versions: Sequence[int], stage: str, now: int) -> None:
        """Put ``versions`` of a model in ``stage``."""
        rows = [{"mid": model_id, "v": v, "stage": stage, "now": now} for v in versions]
        if len(rows) == 1:
            _SET_STAGE.execute(self.conn, rows[0])
        elif rows:
            _SET_STAGE.execute_many(self.conn, rows)

    def archive_stage(self, model_id: int, stage: str, keep_version: int, now: int) -> list[int]:
        """Move every other version in ``stage`` to Archived; returns the versions moved."""
        moved = [
            row[0]
            for row in _IN_STAGE.all(
                self.conn, {"mid": model_id, "stage": stage, "v": keep_version}
            )
        ]
        self.set_stage(model_id, moved, STAGE_ARCHIVED, now)
        return moved

    def delete_version(self, model_id: int, version: int) -> None:
        where_alias = (model_aliases.c.model_id == model_id, model_aliases.c.version == version)
        self.conn.execute(delete(model_aliases).where(*where_alias))
        self.conn.execute(
            delete(model_version_tags).where(
                model_version_tags.c.model_id == model_id, model_version_tags.c.version == version
            )
        )
        self.conn.execute(delete(mv).where(mv.c.model_id == model_id, mv.c.version == version))

    def latest_versions(
        self, model_ids: Sequence[int], stages: Sequence[str] = STAGES
    ) -> dict[int, list[ModelVersion]]:
        """Highest version per stage for each of many models (a search page), in one statement."""
        return {
            model_id: [version_from_row(row) for row in rows]
            for model_id, rows in self._latest_rows(model_ids, stages).items()
        }

    def _latest_rows(self, model_ids: Sequence[int], stages: Sequence[str]) -> dict[int, list[Any]]:
        found: dict[int, list[Any]] = defaultdict(list)
        if not model_ids:
            return found
        if tuple(stages) == STAGES:
            for row in _PAGE_LATEST_ALL_STAGES.all(self.conn, {"mids": list(model_ids)}):
                # Position 4 is the stage (VERSION_COLUMN_NAMES); a row in none of the
                # four stages is not anyone's latest, as with the stage list.
                if row[4] in STAGES:
                    found[row[-1]].append(row)
            return found
        lists: dict[str, list[Any]] = {"mids": list(model_ids), "stages": list(stages)}
        for row in _PAGE_LATEST.all(self.conn, lists):
            found[row[-1]].append(row)
        return found

    def search_versions(
        self,
        filters: Sequence[Condition],
        order: Sequence[OrderKey],
        offset: int,
        limit: int,
        visible: Visibility | None = None,
    ) -> list[ModelVersion]:
        def build() -> Any:
            query = (
                select(*_VERSION_COLUMNS)
                .select_from(_VERSIONS_WITH_NAME)
                .where(*search.where(filters, search.MODEL_VERSIONS))
            )
            if visible is not None:  # --auth: only versions of readable models, in SQL
                query = query.where(visible.models(mv.c.model_id))
            return _paged(search.order_model_versions(query, order))

        shape = (search.shape(filters), tuple(order), visible and visible.shape)
        statement = _VERSION_SEARCHES.get(shape, build)
        params = {**search.filter_params(filters), "offset": offset, "limit": limit}
        if visible is not None:
            params.update(visible.params())
        rows = statement.all(self.conn, params)
        # Positions per VERSION_COLUMN_NAMES: 1 is the version, the last the model id.
        keys = [(row[-1], row[1]) for row in rows]
        tags, aliases = self.version_tags_and_aliases(keys)
        return [
            version_from_row(r, tags[key], aliases[key]) for r, key in zip(rows, keys, strict=True)
        ]

    # ------------------------------------------------------------------- tags
    def model_tags_and_aliases(
        self, model_ids: Sequence[int], rows: Iterable[Any] | None = None
    ) -> tuple[dict[int, dict[str, str]], dict[int, dict[str, int]]]:
        """Tags and aliases of many models (a search page), in one statement.

        ``rows`` are the rows of a ``_model_extras`` statement already run.
        """
        tags: dict[int, dict[str, str]] = defaultdict(dict)
        aliases: dict[int, dict[str, int]] = defaultdict(dict)
        if rows is None and model_ids:
            rows = _PAGE_MODEL_EXTRAS.all(self.conn, {"mids": list(model_ids)})
        for model_id, name, value, version in rows or ():
            if value is None:
                aliases[model_id][name] = version
            else:
                tags[model_id][name] = value
        return tags, aliases

    def version_tags_and_aliases(
        self, keys: Sequence[tuple[int, int]]
    ) -> tuple[dict[tuple[int, int], dict[str, str]], dict[tuple[int, int], list[str]]]:
        """Tags and aliases of a page of versions, one statement per chunk of the page."""
        tags: dict[tuple[int, int], dict[str, str]] = defaultdict(dict)
        aliases: dict[tuple[int, int], list[str]] = defaultdict(list)
        for model_id, version, name, value in self._version_extras(keys):
            if value is None:
                aliases[(model_id, version)].append(name)
            else:
                tags[(model_id, version)][name] = value
        return tags, aliases

    def _version_extras(self, keys: Sequence[tuple[int, int]]) -> list[Any]:
        """Tag and alias rows of a page of versions: per-column IN lists, then exact pairs.

        Per-column lists let every backend probe the (model_id, version) index with a
        statement compiled once; pairs outside the page are dropped here. A page of one
        model (search by name) is a range scan of that model's versions.
        """
        wanted = set(keys)
        rows: list[Any] = []
        for chunk in _chunks(keys):
            mids = sorted({model for model, _ in chunk})
            versions = sorted({version for _, version in chunk})
            if len(mids) == 1:
                bounds = {"mid": mids[0], "lo": versions[0], "hi": versions[-1]}
                found = _MODEL_RANGE_EXTRAS.all(self.conn, bounds)
                rows += [r for r in found if (r[0], r[1]) in wanted]
                continue
            if len(mids) * len(versions) > 4 * len(chunk):
                # A page scattered over many models and version numbers: the column
                # lists would match far more than the page, so filter on exact pairs.
                rows += list(self.conn.execute(_version_extras(_pairs_of(chunk))))
                continue
            page = _PAGE_VERSION_EXTRAS.all(self.conn, {"mids": mids, "versions": versions})
            rows += [r for r in page if (r[0], r[1]) in wanted]
        return rows

    def set_model_tags(self, model_id: int, tags: Mapping[str, str]) -> None:
        upsert_pairs(
            self.conn, registered_model_tags, {"model_id": model_id}, tags, extra=_prefixed
        )

    def delete_model_tag(self, model_id: int, key: str) -> bool:
        return delete_pair(self.conn, registered_model_tags, {"model_id": model_id}, key)

    def set_version_tags(
        self, model_id: int, version: int, tags: Mapping[str, str], *, new: bool = False
    ) -> None:
        """Upsert tags of a version (``new``: the version was just inserted, so none exist).

        Not :func:`~modelreg.store.upsert.upsert_pairs`: this is on the path of every
        ``create_model_version`` and runs as statements compiled once per dialect.
        """
        if not tags:
            return
        if not new:
            _DELETE_VERSION_TAG.execute_many(
                self.conn, [{"mid": model_id, "v": version, "k": k} for k in tags]
            )
        _INSERT_VERSION_TAG.execute_many(
            self.conn,
            [
                {
                    "p_model_id": model_id,
                    "p_version": version,
                    "p_key": k,
                    "p_value": v,
                    "p_value_prefix": _prefix(v),
                }
                for k, v in tags.items()
            ],
        )

    def delete_version_tag(self, model_id: int, version: int, key: str) -> bool:
        owner = {"model_id": model_id, "version": version}
        return delete_pair(self.conn, model_version_tags, owner, key)

    # ---------------------------------------------------------------- aliases
    def alias_version(self, model_id: int, alias: str) -> int | None:
        found: int | None = _ALIAS_VERSION.scalar(self.conn, {"mid": model_id, "alias": alias})
        return found

    def set_alias(self, model_id: int, alias: str, version: int) -> None:
        a = model_aliases
        self.conn.execute(delete(a).where(a.c.model_id == model_id, a.c.alias == alias))
        self.conn.execute(insert(a).values(model_id=model_id, alias=alias, version=version))

    def delete_alias(self, model_id: int, alias: str) -> None:
        a = model_aliases
        self.conn.execute(delete(a).where(a.c.model_id == model_id, a.c.alias == alias))


def _prefix(value: str) -> str:
    return value[:VALUE_PREFIX_LENGTH]


def _prefixed(value: str) -> dict[str, str]:
    return {"value_prefix": _prefix(value)}


# Tags and aliases of a page of versions are read this many versions per statement,
# so a page of any allowed size can be read: each version costs up to 4 bound
# parameters (SQLite allows 32,766 by default, PostgreSQL 65,535), and PostgreSQL
# expands a row-value IN list into nested ORs that exceed its stack depth near 10,000.
KEYS_PER_STATEMENT = 2_000


def _chunks(keys: Sequence[tuple[int, int]]) -> Iterator[Sequence[tuple[int, int]]]:
    for start in range(0, len(keys), KEYS_PER_STATEMENT):
        yield keys[start : start + KEYS_PER_STATEMENT]


def _pairs_of(keys: Iterable[tuple[int, int]]) -> Callable[[Table], Any]:
    """Rows of a (model_id, version)-keyed table that are exactly ``keys``."""
    pairs = list(keys)
    return lambda table: _key_filter(table.c.model_id, table.c.version, pairs)


def _key_filter(model_col: Any, version_col: Any, keys: Iterable[tuple[int, int]]) -> Any:
    keys = list(keys)
    if len(keys) == 1:
        return (model_col == keys[0][0]) & (version_col == keys[0][1])
    # SQLite cannot use an index for a row-value IN list (it scans the whole table);
    # per-column IN lists let every backend probe the (model_id, version) index, and
    # the row-value IN then keeps exactly the wanted pairs.
    return and_(
        model_col.in_(sorted({model for model, _ in keys})),
        version_col.in_(sorted({version for _, version in keys})),
        tuple_(model_col, version_col).in_(keys),
    )
