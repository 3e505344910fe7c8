"""One model-registry workload, run through an ``MlflowClient``-shaped API.

The same script runs in two interpreters:

* ``--impl mlflow``: inside the mlflow virtualenv (``tests/mlflow_env.py``),
  ``mlflow.MlflowClient(tracking_uri="sqlite:///<db>", registry_uri=...)``, i.e.
  MLflow's own embedded ``SqlAlchemyStore``;
* ``--impl modelreg``: inside the project venv, ``modelreg.MlflowClient(
  tracking_uri="sqlite:///<db>")``.

Only the registry surface the two clients share is used (create_registered_model,
create_model_version, get_model_version, get_registered_model, get_latest_versions,
search_model_versions, search_registered_models, transition_model_version_stage).

Run it (``bench/run_registry_bench.py`` runs both and writes the report)::

    # smoke test, a few seconds
    .venv-mlflow/bin/python bench/registry_workload.py --impl mlflow \\
        --models 40 --versions 5 --repeat 50 --warmup 5
    .venv/bin/python bench/registry_workload.py --impl modelreg \\
        --models 40 --versions 5 --repeat 50 --warmup 5

    # full scale: 2,000 models x 50 versions = 100,000 versions
    .venv-mlflow/bin/python bench/registry_workload.py --impl mlflow --out mlflow.json

The dataset (identical for both implementations, derived from ``--seed``):

* models ``m-0000`` .. ``m-1999``, each with description ``"Model m-0042"`` and
  the tag ``team=team-NN`` (20 teams, so 100 models per team);
* per model ``--versions`` versions, source ``s3://bench-models/<name>/<version>``,
  each tagged ``build=<12 hex digits>``: a unique build id, as a CI system would
  stamp (git SHA / build number). ``search_model_versions("tag.build='...'")``
  therefore is the realistic selective query "which version came from this
  build?" and matches exactly one of the 100,000 versions;
* stages: the newest version is ``Staging``, the one before it ``Production``,
  every 10th older version ``Archived``, the rest ``None`` (so
  ``get_latest_versions(name, ["Production"])`` returns one version and
  ``get_latest_versions(name)`` returns the latest per stage).

Seeding is not measured. MLflow's database is seeded by bulk SQL inserts into
the schema MLflow itself created (``seed_mlflow_bulk_sql``); modelreg's through
its public client API (``seed_modelreg_via_api``, to be swapped for a
``modelreg.store`` bulk path later). ``--seed-api`` seeds either implementation
through the client API instead, and the ``fingerprint`` in the output (a hash
of everything the client API reads back, timestamps excluded) lets one check
that the data really is identical across seeding paths and implementations.

Measured operations: each is warmed up (``--warmup`` calls), then called
``--repeat`` times (the search_registered_models page-through
``--repeat-pagethrough`` times) on random targets drawn from a generator seeded
by ``--seed`` and the op name, every call timed with ``time.perf_counter_ns``.
Reads run first, then writes (create_model_version on existing models, then
transition_model_version_stage to Production with archive_existing_versions).

Output: JSON ``{impl, version, dataset: {models, versions, ...},
ops: {name: {n, p50_ms, p90_ms, p99_ms, mean_ms, ops_per_s, cpu_p50_ms,
cpu_mean_ms}}, ...}`` to stdout or ``--out FILE``; progress goes to stderr.
Latencies are wall-clock; ``cpu_*`` is the calling thread's CPU time per call
(``time.thread_time_ns``), a companion figure that other load on the machine
inflates far less. ``loadavg`` records how busy the machine was.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import logging
import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import warnings
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# MLflow 3 ships usage telemetry; this machine has no internet, and a benchmark
# must not send anything anyway.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

REPO_ROOT = Path(__file__).resolve().parent.parent

TEAMS = 20
BASE_TS_MS = 1_700_000_000_000
PAGE_SIZE = 100
LIKE_FILTER = "name LIKE '%12%'"

Client = Any  # an ``MlflowClient`` of either implementation (duck-typed)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- dataset


@dataclass(frozen=True, slots=True)
class VersionSpec:
    version: int
    source: str
    stage: str
    build: str
    creation_ms: int


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    description: str
    team: str
    creation_ms: int
    versions: tuple[VersionSpec, ...]


@dataclass(frozen=True, slots=True)
class Dataset:
    models: int
    versions: int
    seed: int
    specs: tuple[ModelSpec, ...] = field(repr=False)

    def model_name(self, i: int) -> str:
        return self.specs[i].name


def model_name(i: int, models: int) -> str:
    return f"m-{i:0{max(4, len(str(models - 1)))}d}"


def build_id(seed: int, name: str, version: int) -> str:
    return hashlib.sha1(f"{seed}:{name}:{version}".encode()).hexdigest()[:12]


def stage_for(version: int, versions: int) -> str:
    if version == versions:
        return "Staging"
    if version == versions - 1:
        return "Production"
    if version % 10 == 0:
        return "Archived"
    return "None"


def build_dataset(models: int, versions: int, seed: int) -> Dataset:
    specs = []
    for i in range(models):
        name = model_name(i, models)
        created = BASE_TS_MS + i * 60_000
        vs = tuple(
            VersionSpec(
                version=v,
                source=f"s3://bench-models/{name}/{v}",
                stage=stage_for(v, versions),
                build=build_id(seed, name, v),
                creation_ms=created + v * 1_000,
            )
            for v in range(1, versions + 1)
        )
        specs.append(
            ModelSpec(
                name=name,
                description=f"Model {name}",
                team=f"team-{i % TEAMS:02d}",
                creation_ms=created,
                versions=vs,
            )
        )
    return Dataset(models=models, versions=versions, seed=seed, specs=tuple(specs))


# --------------------------------------------------------------------------- clients


def make_client(impl: str, db: Path) -> tuple[Client, str]:
    """The implementation's client on ``sqlite:///<db>``, and its version."""
    uri = f"sqlite:///{db}"
    if impl == "mlflow":
        import mlflow

        logging.getLogger("mlflow").setLevel(logging.WARNING)
        logging.getLogger("alembic").setLevel(logging.WARNING)
        client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
        return client, str(mlflow.__version__)
    if impl == "modelreg":
        try:
            import modelreg
        except ImportError:  # not installed into the venv: use the source tree
            sys.path.insert(0, str(REPO_ROOT / "src"))
            import modelreg
        client = modelreg.MlflowClient(tracking_uri=uri)
        version = getattr(modelreg, "__version__", None)
        if version is None:
            from modelreg._version import __version__ as version
        return client, str(version)
    raise SystemExit(f"unknown --impl {impl!r}")


# --------------------------------------------------------------------------- seeding


def seed_via_client_api(client: Client, ds: Dataset) -> None:
    """Seed through the public client API (works for both implementations).

    Timestamps are then "now" rather than the dataset's; nothing measured
    depends on them.
    """
    t0 = time.perf_counter()
    for n, m in enumerate(ds.specs, 1):
        client.create_registered_model(m.name, tags={"team": m.team}, description=m.description)
        for v in m.versions:
            mv = client.create_model_version(
                name=m.name, source=v.source, run_id=None, tags={"build": v.build}
            )
            if int(mv.version) != v.version:
                raise RuntimeError(f"{m.name}: expected version {v.version}, got {mv.version}")
        for v in m.versions:
            if v.stage != "None":
                client.transition_model_version_stage(
                    m.name, str(v.version), v.stage, archive_existing_versions=False
                )
        if n % 100 == 0 or n == len(ds.specs):
            rate = n * (1 + ds.versions) / (time.perf_counter() - t0)
            log(f"seeded {n}/{len(ds.specs)} models via API ({rate:.0f} objects/s)")


def seed_modelreg_via_api(client: Client, ds: Dataset) -> None:
    """modelreg seeding. Swap in a ``modelreg.store`` bulk path here when it exists."""
    seed_via_client_api(client, ds)


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    cols = [str(r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")')]
    if not cols:
        raise RuntimeError(f"MLflow schema has no table {table!r}")
    return cols


def _insert(conn: sqlite3.Connection, table: str, rows: Iterable[dict[str, Any]]) -> int:
    """executemany ``rows`` into ``table``; every key must be a real column.

    Columns the rows don't mention get their schema default; a ``workspace``
    column (MLflow >= 3.x multi-workspace) is filled with ``'default'``.
    """
    cols = _columns(conn, table)
    rows = list(rows)
    keys = list(rows[0])
    if "workspace" in cols:
        keys.append("workspace")
    missing = [k for k in keys if k not in cols]
    if missing:
        raise RuntimeError(f"{table}: MLflow schema lacks columns {missing} (has {cols})")
    sql = (
        f'INSERT INTO "{table}" ({", ".join(f"{chr(34)}{k}{chr(34)}" for k in keys)}) '
        f"VALUES ({', '.join('?' for _ in keys)})"
    )
    extra = ("default",) if "workspace" in cols else ()
    conn.executemany(sql, (tuple(r.values()) + extra for r in rows))
    return len(rows)


def seed_mlflow_bulk_sql(client: Client, ds: Dataset, db: Path) -> None:
    """Bulk-insert the dataset into the schema MLflow's SqlAlchemyStore created.

    Row contents match what ``SqlAlchemyStore`` writes for the same API calls
    (``storage_location`` = ``source`` for non-``models:/`` sources, status READY).
    """
    client.search_registered_models(max_results=1)  # forces schema creation/migration
    conn = sqlite3.connect(db)
    try:
        with conn:
            rm_rows = []
            rm_tags = []
            mv_rows = []
            mv_tags = []
            for m in ds.specs:
                last = m.versions[-1].creation_ms if m.versions else m.creation_ms
                rm_rows.append(
                    {
                        "name": m.name,
                        "creation_time": m.creation_ms,
                        "last_updated_time": last,
                        "description": m.description,
                    }
                )
                rm_tags.append({"key": "team", "value": m.team, "name": m.name})
                for v in m.versions:
                    mv_rows.append(
                        {
                            "name": m.name,
                            "version": v.version,
                            "creation_time": v.creation_ms,
                            "last_updated_time": v.creation_ms,
                            "description": None,
                            "user_id": None,
                            "current_stage": v.stage,
                            "source": v.source,
                            "run_id": None,
                            "status": "READY",
                            "status_message": None,
                            "run_link": None,
                            "storage_location": v.source,
                        }
                    )
                    mv_tags.append(
                        {
                            "key": "build",
                            "value": v.build,
                            "name": m.name,
                            "version": v.version,
                        }
                    )
            _insert(conn, "registered_models", rm_rows)
            _insert(conn, "registered_model_tags", rm_tags)
            _insert(conn, "model_versions", mv_rows)
            _insert(conn, "model_version_tags", mv_tags)
    finally:
        conn.close()


def seed(impl: str, client: Client, ds: Dataset, db: Path, use_api: bool) -> str:
    """Seed with the implementation's strategy; return the strategy's name."""
    if use_api:
        seed_via_client_api(client, ds)
        return "client-api"
    if impl == "mlflow":
        seed_mlflow_bulk_sql(client, ds, db)
        return "mlflow-bulk-sql"
    seed_modelreg_via_api(client, ds)
    return "modelreg-client-api"


# --------------------------------------------------------------------------- checks


def fingerprint(client: Client, ds: Dataset) -> str:
    """Hash of the registry contents as read back through the common API.

    Covers model names, descriptions, tags and every version's number, stage,
    source and tags; not timestamps. Equal fingerprints = identical data.
    """
    h = hashlib.sha256()
    names: list[str] = []
    token: str | None = None
    while True:
        page = client.search_registered_models(max_results=1000, page_token=token)
        names.extend(rm.name for rm in page)
        token = page.token
        if not token:
            break
    names.sort()
    for name in names:
        rm = client.get_registered_model(name)
        h.update(
            json.dumps([rm.name, rm.description or "", dict(rm.tags)], sort_keys=True).encode()
        )
        vs = client.search_model_versions(f"name='{name}'", max_results=10_000)
        for mv in sorted(vs, key=lambda mv: int(mv.version)):
            row = [int(mv.version), mv.current_stage, mv.source, dict(mv.tags)]
            h.update(json.dumps(row, sort_keys=True).encode())
    return h.hexdigest()


def expected_like_count(ds: Dataset) -> int:
    return sum(1 for m in ds.specs if "12" in m.name)


# --------------------------------------------------------------------------- timing


def percentile(sorted_ns: Sequence[int], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of sorted ns samples, in ms."""
    if not sorted_ns:
        return float("nan")
    pos = (len(sorted_ns) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(sorted_ns) - 1)
    frac = pos - lo
    return (sorted_ns[lo] * (1 - frac) + sorted_ns[hi] * frac) / 1e6


def summarize(samples_ns: list[int], cpu_ns: list[int] | None = None) -> dict[str, float | int]:
    """Wall-clock stats (the measurement), plus this thread's CPU time per call.

    The CPU-time figures (``cpu_p50_ms``, ``cpu_mean_ms``) barely move when other
    processes compete for the cores, so they keep comparisons meaningful on a
    busy machine; they exclude time spent waiting (I/O, fsync, locks).
    """
    s = sorted(samples_ns)
    total = sum(s)
    mean_ms = total / len(s) / 1e6 if s else float("nan")
    out: dict[str, float | int] = {
        "n": len(s),
        "p50_ms": round(percentile(s, 50), 4),
        "p90_ms": round(percentile(s, 90), 4),
        "p99_ms": round(percentile(s, 99), 4),
        "mean_ms": round(mean_ms, 4),
        "ops_per_s": round(len(s) / (total / 1e9), 2) if total else float("nan"),
    }
    if cpu_ns:
        c = sorted(cpu_ns)
        out["cpu_p50_ms"] = round(percentile(c, 50), 4)
        out["cpu_mean_ms"] = round(sum(c) / len(c) / 1e6, 4)
    return out


def rng_for(seed: int, op: str, purpose: str) -> random.Random:
    """Deterministic, op-specific generator: the same targets whatever ran before."""
    return random.Random(seed * 1_000_003 + zlib.crc32(f"{op}/{purpose}".encode()))


@dataclass
class Op:
    """A measured op: ``make_arg(rng)`` picks a target, ``call(arg)`` is timed."""

    name: str
    make_arg: Callable[[random.Random], Any]
    call: Callable[[Any], Any]
    check: Callable[[Any, Any], None] | None = None
    repeat: int | None = None
    on_measure_start: Callable[[], None] | None = None


def run_op(op: Op, seed: int, repeat: int, warmup: int) -> tuple[list[int], list[int]]:
    """Warm up, then time ``repeat`` calls; return (wall-clock ns, thread CPU ns)."""
    warm_rng = rng_for(seed, op.name, "warmup")
    for _ in range(warmup):
        arg = op.make_arg(warm_rng)
        result = op.call(arg)
        if op.check is not None:
            op.check(arg, result)
    rng = rng_for(seed, op.name, "measure")
    args = [op.make_arg(rng) for _ in range(repeat)]
    samples: list[int] = []
    cpu_samples: list[int] = []
    if op.on_measure_start is not None:
        op.on_measure_start()
    gc.collect()
    clock = time.perf_counter_ns
    cpu_clock = time.thread_time_ns
    call = op.call
    for arg in args:
        c0 = cpu_clock()
        t0 = clock()
        call(arg)
        t1 = clock()
        cpu_samples.append(cpu_clock() - c0)
        samples.append(t1 - t0)
    return samples, cpu_samples


def _expect(cond: bool, what: str) -> None:
    if not cond:
        raise AssertionError(f"workload check failed: {what}")


def build_ops(client: Client, ds: Dataset, page_samples: list[tuple[int, int]]) -> list[Op]:
    models, versions = ds.models, ds.versions
    like_count = expected_like_count(ds)
    name_of = ds.model_name
    counter = {"create": 0}

    def pick_version(rng: random.Random) -> tuple[str, int]:
        return name_of(rng.randrange(models)), rng.randint(1, versions)

    def pick_model(rng: random.Random) -> str:
        return name_of(rng.randrange(models))

    def pick_build(rng: random.Random) -> tuple[str, int, str]:
        i, v = rng.randrange(models), rng.randint(1, versions)
        return name_of(i), v, ds.specs[i].versions[v - 1].build

    def get_mv(a: tuple[str, int]) -> Any:
        return client.get_model_version(a[0], str(a[1]))

    def check_mv(a: tuple[str, int], mv: Any) -> None:
        _expect(mv.name == a[0] and int(mv.version) == a[1], f"get_model_version{a}")

    def check_rm(a: str, rm: Any) -> None:
        _expect(rm.name == a and rm.tags.get("team", "").startswith("team-"), f"tags of {a}")

    def check_latest_prod(a: str, res: Any) -> None:
        _expect(len(res) == 1 and res[0].current_stage == "Production", f"latest prod {a}")

    def check_latest_all(a: str, res: Any) -> None:
        _expect({mv.current_stage for mv in res} >= {"Production", "Staging"}, f"latest {a}")

    def check_by_name(a: str, res: Any) -> None:
        _expect(len(res) == versions and all(mv.name == a for mv in res), f"versions of {a}")

    def by_tag(a: tuple[str, int, str]) -> Any:
        return client.search_model_versions(f"tag.build='{a[2]}'", max_results=PAGE_SIZE)

    def check_by_tag(a: tuple[str, int, str], res: Any) -> None:
        _expect(
            len(res) == 1 and res[0].name == a[0] and int(res[0].version) == a[1],
            f"tag.build='{a[2]}' -> {[(mv.name, mv.version) for mv in res]}",
        )

    def page_through(_: None) -> int:
        clock = time.perf_counter_ns
        cpu_clock = time.thread_time_ns
        token: str | None = None
        seen = 0
        while True:
            c0 = cpu_clock()
            t0 = clock()
            page = client.search_registered_models(
                filter_string=LIKE_FILTER, max_results=PAGE_SIZE, page_token=token
            )
            t1 = clock()
            page_samples.append((t1 - t0, cpu_clock() - c0))
            seen += len(page)
            token = page.token
            if not token:
                return seen

    def check_page_through(_: None, seen: int) -> None:
        _expect(seen == like_count, f"{LIKE_FILTER}: {seen} models, expected {like_count}")

    def new_version(rng: random.Random) -> tuple[str, str, str]:
        counter["create"] += 1
        k = counter["create"]
        name = pick_model(rng)
        return name, f"s3://bench-models/{name}/new-{k}", f"new-{ds.seed}-{k}"

    def create_mv(a: tuple[str, str, str]) -> Any:
        return client.create_model_version(
            name=a[0], source=a[1], run_id=None, tags={"build": a[2]}
        )

    def check_create(a: tuple[str, str, str], mv: Any) -> None:
        _expect(mv.name == a[0] and int(mv.version) > versions, f"create on {a[0]}")

    def transition(a: tuple[str, int]) -> Any:
        return client.transition_model_version_stage(
            a[0], str(a[1]), "Production", archive_existing_versions=True
        )

    def check_transition(a: tuple[str, int], mv: Any) -> None:
        _expect(mv.current_stage == "Production", f"transition {a}")

    return [
        Op("get_model_version", pick_version, get_mv, check_mv),
        Op("get_registered_model", pick_model, client.get_registered_model, check_rm),
        Op(
            "get_latest_versions_production",
            pick_model,
            lambda a: client.get_latest_versions(a, stages=["Production"]),
            check_latest_prod,
        ),
        Op(
            "get_latest_versions_all",
            pick_model,
            lambda a: client.get_latest_versions(a),
            check_latest_all,
        ),
        Op(
            "search_model_versions_by_name",
            pick_model,
            lambda a: client.search_model_versions(f"name='{a}'", max_results=PAGE_SIZE),
            check_by_name,
        ),
        Op("search_model_versions_by_tag", pick_build, by_tag, check_by_tag),
        Op(
            "search_registered_models_like_pagethrough",
            lambda rng: None,
            page_through,
            check_page_through,
            repeat=-1,  # filled from --repeat-pagethrough
            on_measure_start=page_samples.clear,  # drop the warm-up's pages
        ),
        Op("create_model_version", new_version, create_mv, check_create),
        Op("transition_model_version_stage", pick_version, transition, check_transition),
    ]


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--impl", choices=["mlflow", "modelreg"], required=True)
    p.add_argument("--models", type=int, default=2000)
    p.add_argument("--versions", type=int, default=50, help="versions per model")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--repeat", type=int, default=1000, help="timed calls per op")
    p.add_argument(
        "--repeat-pagethrough",
        type=int,
        default=100,
        help="timed full page-throughs of search_registered_models",
    )
    p.add_argument("--warmup", type=int, default=50, help="untimed calls per op first")
    p.add_argument("--db", type=Path, help="sqlite file (default: a fresh temp dir)")
    p.add_argument("--keep-db", action="store_true")
    p.add_argument("--seed-api", action="store_true", help="seed through the client API")
    p.add_argument(
        "--fingerprint",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="hash the seeded data as read back through the API (default: on)",
    )
    p.add_argument("--ops", help="comma-separated subset of op names to measure")
    p.add_argument("--out", type=Path, help="write JSON here instead of stdout")
    args = p.parse_args(argv)
    if args.models < 1 or args.versions < 3:
        p.error("need --models >= 1 and --versions >= 3 (stages use the last two versions)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    warnings.simplefilter("ignore")  # MLflow's stage-API FutureWarnings etc.

    tmpdir: str | None = None
    if args.db is None:
        tmpdir = tempfile.mkdtemp(prefix=f"registry-bench-{args.impl}-")
        db = Path(tmpdir) / "registry.db"
    else:
        db = args.db.resolve()
        if db.exists():
            raise SystemExit(f"{db} exists; the workload needs a fresh database")
        db.parent.mkdir(parents=True, exist_ok=True)

    try:
        ds = build_dataset(args.models, args.versions, args.seed)
        client, version = make_client(args.impl, db)
        log(f"{args.impl} {version}: seeding {args.models} x {args.versions} into {db}")
        t0 = time.perf_counter()
        strategy = seed(args.impl, client, ds, db, args.seed_api)
        seed_s = time.perf_counter() - t0
        log(f"seeded with {strategy} in {seed_s:.1f}s")

        fp: str | None = None
        fp_s: float | None = None
        if args.fingerprint:
            t0 = time.perf_counter()
            fp = fingerprint(client, ds)
            fp_s = time.perf_counter() - t0
            log(f"fingerprint {fp[:16]} ({fp_s:.1f}s)")

        page_samples: list[tuple[int, int]] = []  # (wall ns, cpu ns) per page
        ops = build_ops(client, ds, page_samples)
        wanted = set(args.ops.split(",")) if args.ops else None
        if wanted:
            unknown = wanted - {op.name for op in ops}
            if unknown:
                raise SystemExit(f"unknown ops: {sorted(unknown)}")
        results: dict[str, dict[str, float | int]] = {}
        load_start = os.getloadavg()
        t_all = time.perf_counter()
        for op in ops:
            if wanted and op.name not in wanted:
                continue
            repeat = args.repeat_pagethrough if op.repeat == -1 else args.repeat
            warmup = min(args.warmup, max(1, repeat // 10)) if op.repeat == -1 else args.warmup
            t0 = time.perf_counter()
            samples, cpu_samples = run_op(op, args.seed, repeat, warmup)
            results[op.name] = summarize(samples, cpu_samples)
            if op.name == "search_registered_models_like_pagethrough":
                results["search_registered_models_like_page"] = summarize(
                    [w for w, _ in page_samples], [c for _, c in page_samples]
                )
            r = results[op.name]
            log(
                f"{op.name:45s} n={r['n']:5d} p50={r['p50_ms']:9.3f}ms "
                f"p99={r['p99_ms']:9.3f}ms ({time.perf_counter() - t0:.1f}s)"
            )
        measure_s = time.perf_counter() - t_all
        load_end = os.getloadavg()

        out: dict[str, Any] = {
            "impl": args.impl,
            "version": version,
            "dataset": {
                "models": args.models,
                "versions": args.versions,
                "total_versions": args.models * args.versions,
                "seed": args.seed,
                "seeding": strategy,
                "fingerprint": fp,
                "like_filter": LIKE_FILTER,
                "like_matches": expected_like_count(ds),
                "page_size": PAGE_SIZE,
            },
            "params": {
                "repeat": args.repeat,
                "repeat_pagethrough": args.repeat_pagethrough,
                "warmup": args.warmup,
            },
            "timing": {
                "seed_s": round(seed_s, 2),
                "fingerprint_s": None if fp_s is None else round(fp_s, 2),
                "measure_s": round(measure_s, 2),
            },
            "python": platform.python_version(),
            # 1/5/15-min load averages around the measured part: other work on
            # the machine skews latencies, so a result records how busy it was.
            "loadavg": {
                "start": [round(x, 2) for x in load_start],
                "end": [round(x, 2) for x in load_end],
            },
            "ops": results,
        }
        text = json.dumps(out, indent=2)
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(text + "\n")
        else:
            print(text)
    finally:
        if tmpdir is not None and not args.keep_db:
            shutil.rmtree(tmpdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
