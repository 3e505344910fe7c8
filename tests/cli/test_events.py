"""``modelreg events list|tail``: the pull feed from the command line, embedded and live."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from modelreg.client import MlflowClient
from tests.cli.helpers import Cli


def test_list_filters_and_pages(tmp_path: Path) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 'cli.db'}")
    cli.run("models", "create", "a")
    cli.run("versions", "create", "a", "s3://b/a/1")
    cli.run("models", "create", "b")
    found = cli.json("events", "list")["events"]
    assert [e["type"] for e in found] == [
        "registered_model.created",
        "model_version.created",
        "registered_model.created",
    ]
    assert set(found[0]) == {
        "id",
        "timestamp",
        "actor",
        "type",
        "schema_version",
        "model_name",
        "version",
        "payload",
    }
    only_a = cli.json("events", "list", "--name", "a")["events"]
    assert {e["model_name"] for e in only_a} == {"a"} and len(only_a) == 2
    typed = cli.json("events", "list", "--type", "model_version.created")["events"]
    assert [(e["model_name"], e["version"]) for e in typed] == [("a", 1)]
    first = cli.json("events", "list", "--max-results", "2")
    assert len(first["events"]) == 2
    rest = cli.json("events", "list", "--page-token", first["next_page_token"])
    assert [e["model_name"] for e in rest["events"]] == ["b"]
    assert cli.json("events", "list", "--since", str(found[2]["timestamp"] + 10**6)) == {
        "events": []
    }
    table = cli.run("events", "list").stdout.splitlines()
    assert table[0].split() == ["ID", "TIMESTAMP", "ACTOR", "TYPE", "MODEL", "VERSION", "PAYLOAD"]
    assert len(table) == 4
    cli.run("events", "list", "--since", "5", "--until", "1", code=2)


def test_tail_shows_the_last_lines(cli: Cli) -> None:
    for name in ("a", "b", "c"):
        cli.run("models", "create", name)
    lines = cli.run("events", "tail", "-n", "2", "--json").stdout.splitlines()
    assert [json.loads(line)["model_name"] for line in lines] == ["b", "c"]
    text = cli.run("events", "tail", "-n", "3").stdout.splitlines()
    assert len(text) == 3 and "registered_model.created" in text[0] and " a" in text[0]
    assert cli.run("events", "tail", "-n", "0").stdout == ""


def test_tail_follow_streams_new_events(cli: Cli) -> None:
    """A follower started before the writes sees each event once, in order, then stops."""
    cli.run("models", "create", "m")
    client = MlflowClient(cli.tracking_uri)

    def write() -> None:
        client.create_model_version("m", "s3://b/m/1")
        client.set_registered_model_alias("m", "champion", "1")

    writer = threading.Timer(0.3, write)
    writer.start()
    try:
        # --lines covers anything already written, so the writer's timing cannot matter.
        result = cli.run(
            "events",
            "tail",
            "--follow",
            "--name",
            "m",
            "--lines",
            "10",
            "--interval",
            "0.1",
            "--max-events",
            "3",
            "--timeout",
            "60",
            "--json",
        )
    finally:
        writer.join()
    types = [json.loads(line)["type"] for line in result.stdout.splitlines()]
    assert types == ["registered_model.created", "model_version.created", "alias.set"]


def test_tail_follow_stops_on_timeout_and_ctrl_c(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.run("models", "create", "m")
    quiet = cli.run(
        "events", "tail", "-f", "--name", "m", "--interval", "0.1", "--timeout", "0.3", "--json"
    )
    assert len(quiet.stdout.splitlines()) == 1

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    # ``modelreg.cli.events`` as a name is the click group, so patch through the module.
    module = sys.modules["modelreg.cli.events"]
    monkeypatch.setattr(
        module, "time", SimpleNamespace(sleep=interrupted, monotonic=time.monotonic)
    )
    stopped = cli.run("events", "tail", "--follow", "--name", "m")
    assert "registered_model.created" in stopped.stdout and stopped.stderr == ""


def test_tail_rejects_an_unbounded_interval(tmp_path: Path) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 'cli.db'}")
    cli.run("events", "tail", "-f", "--interval", "0", code=2)
    cli.run("events", "tail", "-f", "--interval", "3600", code=2)


def test_list_over_either_transport(cli: Cli) -> None:
    cli.run("models", "create", "listed")
    cli.run("versions", "create", "listed", "s3://b/l/1")
    found = cli.json("events", "list", "--name", "listed")["events"]
    assert [(e["type"], e["version"]) for e in found] == [
        ("registered_model.created", None),
        ("model_version.created", 1),
    ]
    assert "model_version.created" in cli.run("events", "list", "--name", "listed").stdout
