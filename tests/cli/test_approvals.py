"""``modelreg requests|checks|policies`` on the embedded store (docs/approvals.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import Cli


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    cli = Cli(f"sqlite:///{tmp_path / 'cli.db'}")
    cli.run("models", "create", "m")
    cli.run("versions", "create", "m", "s3://b/m/1")
    cli.run("versions", "create", "m", "s3://b/m/2")
    return cli


def test_policies(cli: Cli) -> None:
    body = cli.json(
        "policies",
        "set",
        "m",
        "Production",
        "--required-approvals",
        "1",
        "--approver",
        "ana",
        "--required-tag",
        "validated=true",
        "--required-check",
        "ci",
    )["policy"]
    assert body["required_approvals"] == 1 and body["approvers"] == ["ana"]
    assert body["required_tags"] == {"validated": "true"} and body["required_checks"] == ["ci"]
    assert cli.json("policies", "get", "m", "Production")["policy"] == body
    assert [p["target"] for p in cli.json("policies", "list", "m")["policies"]] == ["Production"]
    table = cli.run("policies", "list", "m").stdout.splitlines()
    assert table[0].split()[:2] == ["TARGET", "APPROVALS"] and "validated=true" in table[1]
    cli.run("policies", "delete", "m", "Production")
    cli.run("policies", "get", "m", "Production", code=3)
    assert cli.json("policies", "list", "m") == {"policies": []}


def test_checks(cli: Cli) -> None:
    made = cli.json("checks", "set", "m", "1", "ci", "pending", "--details-url", "https://ci/1")[
        "check"
    ]
    assert made["check_name"] == "ci" and made["state"] == "pending"
    cli.run("checks", "set", "m", "1", "ci", "success", "--description", "green")
    latest = cli.json("checks", "list", "m", "1")["checks"]
    assert [(c["check_name"], c["state"]) for c in latest] == [("ci", "success")]
    assert len(cli.json("checks", "list", "m", "1", "--history")["checks"]) == 2
    assert "success" in cli.run("checks", "list", "m", "1").stdout
    cli.run("checks", "set", "m", "1", "ci", "MAYBE", code=2)
    cli.run("checks", "list", "m", "9", code=3)


def test_requests(cli: Cli) -> None:
    cli.run("requests", "create", "m", "1", code=2)  # neither STAGE nor --alias
    cli.run("requests", "create", "m", "1", "Staging", "--alias", "a", code=2)  # both
    stage = cli.json("requests", "create", "m", "1", "Staging", "--comment", "ready")["request"]
    assert stage["to_stage"] == "Staging" and stage["status"] == "open"
    alias = cli.json("requests", "create", "m", "2", "--alias", "champion")["request"]
    assert alias["alias"] == "champion"
    listed = cli.json("requests", "list", "m")["requests"]
    assert [(r["version"], r["kind"]) for r in listed] == [
        (stage["version"], stage["kind"]),
        (alias["version"], alias["kind"]),
    ]
    assert len(cli.json("requests", "list", "m", "2")["requests"]) == 1
    assert "champion" in cli.run("requests", "list", "m").stdout
    approved = cli.json("requests", "approve", "m", "1", "Staging")["request"]
    assert approved["status"] == "approved"
    stage_now = cli.json("versions", "get", "m", "1")["model_version"]["current_stage"]
    assert stage_now == "Staging"
    rejected = cli.run("requests", "reject", "m", "2", "--alias", "champion")
    assert rejected.stdout.startswith("Rejected: request")
    cli.run("requests", "create", "m", "2", "Production")
    creator = cli.json("requests", "list", "m", "2")["requests"][-1]["creator"]
    withdrawn = cli.json("requests", "delete", "m", "2", "Production", "--creator", creator)[
        "request"
    ]
    assert withdrawn["status"] != "open"
    cli.run("requests", "list", "nope", code=3)
