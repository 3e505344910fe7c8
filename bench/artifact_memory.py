"""Stream a large file through the artifact store and show that memory stays flat.

Generates a file on disk (default 1 GiB, a fixed pattern written block by block, never
held in memory), then times each store operation on it and measures the process's
peak resident memory during that operation:

* local store: ``write_file`` (upload), ``sha256_tree``, ``copy_tree``,
  ``iter_read`` (read and drop), ``download_tree``;
* with ``--s3``: the same against moto's S3 server on 127.0.0.1 (a subprocess, so
  its own memory is not counted here).

Peak memory per operation comes from ``VmHWM`` in ``/proc/self/status`` after
resetting it through ``/proc/self/clear_refs``; where that reset is not allowed,
``ru_maxrss`` (the peak since process start) is reported instead and says so.
Throughput is in MB/s with MB = 10^6 bytes.

Prints a JSON result and regenerates the section of ``docs/benchmarks.md`` between
``<!-- artifacts-bench:start -->`` and ``<!-- artifacts-bench:end -->`` (the rest of
the file is left alone; the file is created if absent).

Usage::

    .venv/bin/python bench/artifact_memory.py                 # 1 GiB, local store
    .venv/bin/python bench/artifact_memory.py --s3            # ... and moto S3
    .venv/bin/python bench/artifact_memory.py --size-mb 64 --no-doc   # smoke test
    .venv/bin/python bench/artifact_memory.py --from-json result.json  # re-render
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _report import replace_section
from modelreg.artifacts import CHUNK_SIZE, ArtifactStore, FsspecArtifactStore

REPO_ROOT = Path(__file__).resolve().parent.parent
DOC = REPO_ROOT / "docs" / "benchmarks.md"
MiB = 1 << 20
BUCKET = "modelreg-bench"

# Binds port 0 and reports the port it got (same launcher as the test suite's).
_MOTO_LAUNCHER = """
import threading
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
threading.Event().wait()
"""


# --------------------------------------------------------------------------- memory


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class PeakMemory:
    """Peak RSS of this process over one measured operation."""

    def __init__(self) -> None:
        self.resettable = self._reset()
        self.method = (
            "VmHWM reset per phase (/proc/self/clear_refs)"
            if self.resettable
            else "ru_maxrss (peak since process start)"
        )

    @staticmethod
    def _reset() -> bool:
        # Writing "5" resets the high-water mark to the current RSS (Linux >= 4.0).
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")
        except OSError:
            return False
        return _status_kib("VmHWM") is not None

    def start(self) -> int:
        if self.resettable:
            self._reset()
        return _status_kib("VmRSS") or 0

    def peak(self) -> int:
        if self.resettable:
            return _status_kib("VmHWM") or 0
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


# --------------------------------------------------------------------------- data


def make_source(path: Path, size: int) -> str:
    """Write ``size`` bytes of a fixed pattern, one MiB block at a time; return sha256."""
    digest = hashlib.sha256()
    base = bytes(range(256)) * (MiB // 256)
    with open(path, "wb") as out:
        written, index = 0, 0
        while written < size:
            # Stamp each block with its index so misplaced blocks change the digest.
            block = index.to_bytes(8, "big") + base[8:]
            block = block[: size - written]
            out.write(block)
            digest.update(block)
            written += len(block)
            index += 1
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- phases


def measure(
    memory: PeakMemory, backend: str, op: str, size: int, run: Callable[[], object]
) -> dict[str, Any]:
    before = memory.start()
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    peak = memory.peak()
    result = {
        "backend": backend,
        "op": op,
        "seconds": round(seconds, 3),
        "mb_per_s": round(size / 1e6 / seconds, 1),
        "rss_before_mib": round(before / 1024, 1),
        "peak_rss_mib": round(peak / 1024, 1),
        "peak_growth_mib": round((peak - before) / 1024, 1),
    }
    print(json.dumps(result), file=sys.stderr, flush=True)
    return result


def drain(store: ArtifactStore, rel: str) -> int:
    total = 0
    for chunk in store.iter_read(rel):
        total += len(chunk)
    return total


def run_backend(
    store: ArtifactStore,
    backend: str,
    source: Path,
    source_sha: str,
    size: int,
    workdir: Path,
    memory: PeakMemory,
) -> tuple[list[dict[str, Any]], bool]:
    # Warm-up on a tiny file, so lazy imports and client set-up are not measured.
    store.write_stream("warmup/x", [b"x"])
    store.sha256_tree("warmup")
    store.copy_tree("warmup", "warmup2")
    drain(store, "warmup/x")
    store.download_tree("warmup", workdir / f"warmup-{backend}")

    phases = [
        measure(
            memory,
            backend,
            "upload (write_file)",
            size,
            lambda: store.write_file("big/data.bin", source),
        ),
        measure(memory, backend, "sha256_tree", size, lambda: store.sha256_tree("big")),
        measure(memory, backend, "copy_tree", size, lambda: store.copy_tree("big", "copy")),
        measure(memory, backend, "iter_read (drain)", size, lambda: drain(store, "big/data.bin")),
        measure(
            memory,
            backend,
            "download (download_tree)",
            size,
            lambda: store.download_tree("big", workdir / f"down-{backend}"),
        ),
    ]
    downloaded = workdir / f"down-{backend}" / "data.bin"
    ok = (
        store.sha256_tree("big") == {"data.bin": source_sha}
        and store.sha256_tree("copy") == {"data.bin": source_sha}
        and sha256_file(downloaded) == source_sha
    )
    downloaded.unlink()  # free the disk before the next backend
    return phases, ok


def start_moto() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _MOTO_LAUNCHER],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    port = proc.stdout.readline().strip()
    if not port.isdigit():
        proc.kill()
        raise SystemExit("moto server did not start (pip install 'moto[server]')")
    return proc, f"http://127.0.0.1:{port}"


# --------------------------------------------------------------------------- report


def render(result: dict[str, Any]) -> str:
    lines = [
        "## Artifact streaming: memory stays flat",
        "",
        f"`bench/artifact_memory.py`, run {result['date']}: one "
        f"{result['size_mib']:,} MiB file through `FsspecArtifactStore` in "
        f"{result['chunk_size'] // MiB} MiB chunks on {result['machine']}. "
        f"Peak RSS: {result['memory_method']}. "
        f"Process RSS before the first phase: {result['baseline_rss_mib']} MiB. "
        "Throughput in MB/s (10^6 bytes).",
        "",
        "| backend | operation | seconds | MB/s | peak RSS (MiB) | peak growth (MiB) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for p in result["phases"]:
        lines.append(
            f"| {p['backend']} | {p['op']} | {p['seconds']} | {p['mb_per_s']} "
            f"| {p['peak_rss_mib']} | {p['peak_growth_mib']} |"
        )
    growth = {}
    for p in result["phases"]:
        growth[p["backend"]] = max(growth.get(p["backend"], 0.0), p["peak_growth_mib"])
    worst = ", ".join(
        f"{backend} {mib} MiB ({100 * mib / result['size_mib']:.1f}% of the file)"
        for backend, mib in growth.items()
    )
    lines += [
        "",
        "Peak growth is the rise of the process's resident memory during the "
        "operation over its level at the start of it; it is bounded by buffer "
        "sizes (1 MiB chunks; on S3 also the 8 MiB multipart parts s3fs holds while "
        f"sending), not by the file size. Largest growth: {worst}. Round-trip "
        "integrity (SHA-256 after upload, copy and download): "
        f"{'ok' if result['integrity_ok'] else 'FAILED'}."
        + (
            " The S3 rows use moto's server on loopback: they show the client's "
            "memory, not S3's speed (moto assembles uploads and copies in memory)."
            if "s3" in growth
            else ""
        ),
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size-mb", type=int, default=1024, help="file size in MiB (default 1024)")
    p.add_argument("--s3", action="store_true", help="also run against moto's S3 server")
    p.add_argument("--workdir", type=Path, default=None, help="scratch dir (default: temp)")
    p.add_argument("--no-doc", dest="doc", action="store_false", help="do not touch docs/")
    p.add_argument(
        "--from-json",
        type=Path,
        default=None,
        help="re-render docs/benchmarks.md from an earlier run's JSON output; no run",
    )
    return p.parse_args()


def main() -> None:
    args = parse_args()
    if args.from_json is not None:
        replace_section("artifacts-bench", render(json.loads(args.from_json.read_text())))
        return
    size = args.size_mb * MiB
    memory = PeakMemory()
    workdir = Path(tempfile.mkdtemp(prefix="artifact-bench-", dir=args.workdir))
    moto: subprocess.Popen[str] | None = None
    try:
        source = workdir / "source.bin"
        source_sha = make_source(source, size)
        baseline = _status_kib("VmRSS") or 0
        phases, ok = run_backend(
            FsspecArtifactStore(str(workdir / "store")),
            "local",
            source,
            source_sha,
            size,
            workdir,
            memory,
        )
        shutil.rmtree(workdir / "store")
        if args.s3:
            import boto3

            moto, endpoint = start_moto()
            boto3.client(
                "s3",
                endpoint_url=endpoint,
                aws_access_key_id="bench",
                aws_secret_access_key="bench",
                region_name="us-east-1",
            ).create_bucket(Bucket=BUCKET)
            store = FsspecArtifactStore(
                f"s3://{BUCKET}/run",
                key="bench",
                secret="bench",
                endpoint_url=endpoint,
                client_kwargs={"region_name": "us-east-1"},
            )
            s3_phases, s3_ok = run_backend(store, "s3", source, source_sha, size, workdir, memory)
            phases += s3_phases
            ok = ok and s3_ok
    finally:
        if moto is not None:
            moto.terminate()
            moto.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    import fsspec

    result = {
        "date": dt.date.today().isoformat(),
        "size_mib": args.size_mb,
        "size_bytes": size,
        "chunk_size": CHUNK_SIZE,
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, fsspec {fsspec.__version__}",
        "memory_method": memory.method,
        "baseline_rss_mib": round(baseline / 1024, 1),
        "integrity_ok": ok,
        "phases": phases,
    }
    print(json.dumps(result, indent=2))
    if args.doc:
        replace_section("artifacts-bench", render(result))
    if not ok:
        raise SystemExit("round-trip integrity check FAILED")


if __name__ == "__main__":
    main()
