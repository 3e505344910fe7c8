"""An acknowledged write survives ``kill -9`` of the server (SQLite, WAL).

Clients write while the whole server (supervisor and workers) is killed with SIGKILL;
a server started again on the same file must return every write that was answered
200. Writes in flight at the kill may or may not be there; nothing else may be lost,
and the version counter goes on from where it was. (What survives a power loss is a
different question: docs/configuration.md, "Durability".)
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.server.live import running_server

pytestmark = pytest.mark.slow

WAIT = 30.0
WRITERS = 4


@pytest.mark.parametrize("workers", ["1", "2"])
def test_acknowledged_writes_survive_kill_9(tmp_path: Path, workers: str) -> None:
    acknowledged: dict[str, list[str]] = {f"model-{w}": [] for w in range(WRITERS)}
    tagged: dict[str, list[str]] = {name: [] for name in acknowledged}
    stop = threading.Event()

    def write(name: str, api: str) -> None:
        with httpx.Client(timeout=WAIT) as http:
            while not stop.is_set():
                try:
                    made = http.post(
                        f"{api}/model-versions/create",
                        json={"name": name, "source": f"s3://bucket/{name}"},
                    )
                    if made.status_code != 200:
                        continue
                    version = made.json()["model_version"]["version"]
                    acknowledged[name].append(version)
                    tag = http.post(
                        f"{api}/model-versions/set-tag",
                        json={"name": name, "version": version, "key": "k", "value": version},
                    )
                    if tag.status_code == 200:
                        tagged[name].append(version)
                except httpx.TransportError:
                    return  # the server is gone

    with running_server(tmp_path, "--workers", workers, "--allowed-source-schemes", "s3") as server:
        with httpx.Client(timeout=WAIT) as http:
            for name in acknowledged:
                created = http.post(f"{server.api}/registered-models/create", json={"name": name})
                assert created.status_code == 200
        threads = [threading.Thread(target=write, args=(name, server.api)) for name in acknowledged]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + WAIT
        while sum(map(len, tagged.values())) < 40:
            assert time.monotonic() < deadline, "the writers made no progress"
            time.sleep(0.05)
        os.killpg(server.process.pid, signal.SIGKILL)
        stop.set()
        for thread in threads:
            thread.join(WAIT)

    with running_server(
        tmp_path, "--workers", "1", "--allowed-source-schemes", "s3", log_name="restarted.log"
    ) as again:
        with httpx.Client(timeout=WAIT) as http:
            for name, versions in acknowledged.items():
                found = http.get(
                    f"{again.api}/model-versions/search",
                    params={"filter": f"name='{name}'", "max_results": 10000},
                ).json()
                stored = {mv["version"]: mv for mv in found.get("model_versions", [])}
                assert set(versions) <= set(stored), "an acknowledged version was lost"
                numbers = sorted(int(v) for v in stored)
                assert numbers == list(range(1, len(numbers) + 1))
                for version in tagged[name]:
                    tags = {t["key"]: t["value"] for t in stored[version].get("tags", [])}
                    assert tags.get("k") == version, "an acknowledged tag was lost"
                # The counter goes on after the last stored version.
                made = http.post(
                    f"{again.api}/model-versions/create",
                    json={"name": name, "source": f"s3://bucket/{name}"},
                )
                assert made.json()["model_version"]["version"] == str(len(numbers) + 1)
