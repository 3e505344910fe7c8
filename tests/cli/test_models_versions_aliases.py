"""``modelreg models|versions|aliases`` against the embedded store and a live server:
the same answers, the REST JSON shapes with --json, and the documented exit codes."""

from __future__ import annotations

from tests.cli.helpers import Cli


def test_models_lifecycle(cli: Cli) -> None:
    made = cli.json("models", "create", "churn", "--description", "first", "--tag", "team=ml")
    assert made["registered_model"]["name"] == "churn"
    assert made["registered_model"]["tags"] == [{"key": "team", "value": "ml"}]
    cli.run("models", "create", "fraud")
    listed = cli.json("models", "list")
    assert [m["name"] for m in listed["registered_models"]] == ["churn", "fraud"]
    assert "next_page_token" not in listed
    paged = cli.json("models", "list", "--max-results", "1")
    assert len(paged["registered_models"]) == 1 and paged["next_page_token"]
    filtered = cli.json("models", "list", "--filter", "name LIKE 'fr%'")
    assert [m["name"] for m in filtered["registered_models"]] == ["fraud"]

    table = cli.run("models", "list").stdout.splitlines()
    assert table[0].split() == ["NAME", "LATEST", "ALIASES", "TAGS", "UPDATED", "DESCRIPTION"]
    assert table[1].startswith("churn ") and "team=ml" in table[1] and "first" in table[1]
    # Aligned: every column starts at the same offset on every line.
    assert table[1].index("team=ml") == table[0].index("TAGS")

    updated = cli.json("models", "update", "churn", "--description", "second")
    assert updated["registered_model"]["description"] == "second"
    cli.run("models", "tag", "set", "churn", "owner", "ana")
    cli.run("models", "tag", "delete", "churn", "team")
    got = cli.json("models", "get", "churn")["registered_model"]
    assert got["tags"] == [{"key": "owner", "value": "ana"}]
    assert "description" in cli.run("models", "get", "churn").stdout
    renamed = cli.json("models", "rename", "churn", "churn2")
    assert renamed["registered_model"]["name"] == "churn2"
    assert cli.run("models", "delete", "fraud", "--yes").stdout.startswith("Deleted model")
    assert cli.json("models", "delete", "churn2", "--yes") == {}
    assert cli.json("models", "list") == {"registered_models": []}


def test_exit_codes(cli: Cli) -> None:
    missing = cli.run("models", "get", "nope", code=3)
    assert missing.stderr.startswith("Error: ") and len(missing.stderr.splitlines()) == 1
    cli.run("versions", "list", "nope", code=3)
    cli.run("versions", "get", "nope", "1", code=3)
    cli.run("aliases", "list", "nope", code=3)
    cli.run("models", "create", "m")
    cli.run("models", "create", "m", code=1)  # already exists: an error, not usage
    cli.run("models", "list", "--filter", "name ==== 'x'", code=2)  # rejected by the registry
    cli.run("models", "list", "--max-results", "0", code=2)  # rejected by click
    cli.run("models", "create", "x", "--tag", "novalue", code=2)
    cli.run("models", "frobnicate", code=2)
    cli.run("versions", "transition", "m", "1", "Prod", code=2)
    cli.run("models", "delete", "m", code=1)  # no --yes, no terminal: aborted


def test_versions_and_aliases(cli: Cli) -> None:
    cli.run("models", "create", "m")
    first = cli.json("versions", "create", "m", "s3://bucket/m/1", "--tag", "k=v")
    assert first["model_version"]["version"] == "1"
    assert first["model_version"]["tags"] == [{"key": "k", "value": "v"}]
    second = cli.json("versions", "create", "m", "s3://bucket/m/2", "--description", "d")
    assert second["model_version"]["version"] == "2"
    listed = cli.json("versions", "list", "m")["model_versions"]
    assert [mv["version"] for mv in listed] == ["2", "1"]
    table = cli.run("versions", "list", "m").stdout.splitlines()
    assert table[0].split()[:3] == ["VERSION", "STAGE", "STATUS"] and len(table) == 3
    got = cli.json("versions", "get", "m", "2")["model_version"]
    assert got["source"] == "s3://bucket/m/2" and got["description"] == "d"
    assert (
        cli.json("versions", "update", "m", "2", "--description", "e")["model_version"][
            "description"
        ]
        == "e"
    )
    moved = cli.json("versions", "transition", "m", "1", "staging")["model_version"]
    assert moved["current_stage"] == "Staging"
    cli.run("versions", "transition", "m", "2", "Staging", "--archive-existing")
    assert cli.json("versions", "get", "m", "1")["model_version"]["current_stage"] == "Archived"
    cli.run("versions", "tag", "set", "m", "2", "a", "b")
    cli.run("versions", "tag", "delete", "m", "1", "k")
    assert cli.json("versions", "get", "m", "2")["model_version"]["tags"] == [
        {"key": "a", "value": "b"}
    ]
    uri = cli.json("versions", "download-uri", "m", "1")["artifact_uri"]
    assert uri and cli.run("versions", "download-uri", "m", "1").stdout.strip() == uri

    pointed = cli.json("aliases", "set", "m", "champion", "1")
    assert pointed["model_version"]["version"] == "1"
    assert cli.run("aliases", "set", "m", "champion", "2").stdout.strip() == (
        "m@champion -> version 2"
    )
    assert cli.json("aliases", "list", "m") == {"aliases": [{"alias": "champion", "version": "2"}]}
    assert cli.run("aliases", "list", "m").stdout.split() == ["ALIAS", "VERSION", "champion", "2"]
    assert cli.json("aliases", "rollback", "m", "champion") == {"version": "1"}
    cli.run("aliases", "delete", "m", "champion")
    assert cli.json("aliases", "list", "m") == {"aliases": []}
    cli.run("aliases", "set", "m", "champion", "7", code=3)
    cli.run("versions", "delete", "m", "1", "--yes")
    cli.run("versions", "get", "m", "1", code=3)


def test_unreachable_server_is_one_line_exit_1() -> None:
    failed = Cli("http://127.0.0.1:9").run("models", "list", code=1)
    assert failed.stderr.startswith("Error: ") and len(failed.stderr.splitlines()) == 1
