"""``modelreg users``, ``modelreg tokens`` and starting ``modelreg server --auth``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from modelreg.cli import main
from modelreg.errors import RegistryError
from modelreg.server.auth_setup import exposure_warning, prepare_auth
from modelreg.service import RegistryService
from modelreg.service.auth.service import AuthService
from modelreg.store.database import Database
from tests.server.live import running_server, server_command

PASSWORD = "cli-Pass-12345!"


def _cli(sqlite_uri: str, *args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(main, [*args, "--backend-store-uri", sqlite_uri], input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def test_users_and_tokens_on_the_command_line(sqlite_uri: str, fast_hashes: None) -> None:
    out = _cli(sqlite_uri, "users", "create", "ops", "--admin", "--password-stdin", stdin=PASSWORD)
    assert "Created user ops (admin)" in out
    _cli(sqlite_uri, "users", "create", "ci", "--password-stdin", stdin=PASSWORD + "\n")
    assert _cli(sqlite_uri, "users", "list").split() == ["ci", "ops", "admin"]
    _cli(sqlite_uri, "users", "set-admin", "ci", "--admin")
    token = _cli(sqlite_uri, "tokens", "create", "--user", "ci", "--name", "deploy").splitlines()[0]
    assert token.startswith("mr_")
    listed = _cli(sqlite_uri, "tokens", "list", "--user", "ci")
    assert "deploy" in listed and token not in listed
    _cli(sqlite_uri, "tokens", "revoke", "--user", "ci", "1")
    assert "revoked" in _cli(sqlite_uri, "tokens", "list", "--user", "ci")
    database = Database(sqlite_uri)
    try:
        auth = AuthService(database)
        assert auth.authenticate_token(token) is None
        principal = auth.authenticate_basic("ci", PASSWORD)
        assert principal is not None and principal.is_admin
    finally:
        database.dispose()
    _cli(sqlite_uri, "users", "delete", "ci")
    assert _cli(sqlite_uri, "users", "list").split() == ["ops", "admin"]


def test_users_get_shows_the_admin_flag_and_the_grants(sqlite_uri: str, fast_hashes: None) -> None:
    _cli(sqlite_uri, "users", "create", "ci", "--password-stdin", stdin=PASSWORD)
    database = Database(sqlite_uri)
    try:
        RegistryService(database).create_registered_model("churn")
    finally:
        database.dispose()
    _cli(
        sqlite_uri,
        "users",
        "grant",
        "ci",
        "--resource-type",
        "registered_model",
        "--resource-id",
        "churn",
        "--permission",
        "EDIT",
    )
    shown = json.loads(_cli(sqlite_uri, "users", "get", "ci", "--json"))["user"]
    assert shown["username"] == "ci" and shown["is_admin"] is False
    assert shown["permissions"] == [
        {"resource_type": "registered_model", "resource_id": "churn", "permission": "EDIT"}
    ]
    plain = _cli(sqlite_uri, "users", "get", "ci")
    assert "admin" in plain and "no" in plain
    assert ["registered_model", "churn", "EDIT"] in [line.split() for line in plain.splitlines()]


def test_a_weak_password_is_refused_on_the_command_line(sqlite_uri: str, fast_hashes: None) -> None:
    result = CliRunner().invoke(
        main,
        ["users", "create", "x", "--password-stdin", "--backend-store-uri", sqlite_uri],
        input="short",
    )
    assert result.exit_code == 2  # an argument the registry rejects, as in every group
    assert "too short" in result.output and "short\n" not in result.output.split("Error")[1]


@pytest.mark.parametrize(
    "args",
    [
        ["users", "delete", "nobody"],
        ["users", "get", "nobody"],
        ["users", "set-admin", "nobody", "--admin"],
        ["tokens", "list", "--user", "nobody"],
        ["tokens", "revoke", "--user", "nobody", "1"],
    ],
)
def test_a_user_or_token_that_does_not_exist_exits_3(
    sqlite_uri: str, args: list[str], fast_hashes: None
) -> None:
    result = CliRunner().invoke(main, [*args, "--backend-store-uri", sqlite_uri])
    assert result.exit_code == 3, result.output
    assert result.output.startswith("Error: ") and "Traceback" not in result.output


def test_the_first_admin_comes_from_the_environment_once(
    sqlite_uri: str, fast_hashes: None
) -> None:
    database = Database(sqlite_uri)
    try:
        auth = AuthService(database)
        with pytest.raises(RegistryError, match="no users exist"):
            prepare_auth(auth, {})
        with pytest.raises(RegistryError, match="set both"):
            prepare_auth(auth, {"MODELREG_ADMIN_USERNAME": "admin"})
        env = {"MODELREG_ADMIN_USERNAME": "admin", "MODELREG_ADMIN_PASSWORD": PASSWORD}
        prepare_auth(auth, env)
        assert auth.get_user("admin").is_admin
        auth.update_password("admin", "changed-Pass-678!")
        prepare_auth(auth, env)  # never overwritten
        assert auth.authenticate_basic("admin", PASSWORD) is None
        assert auth.authenticate_basic("admin", "changed-Pass-678!") is not None
        prepare_auth(auth, {})  # users exist: fine without the variables
    finally:
        database.dispose()


@pytest.mark.parametrize(
    ("host", "auth", "warns"),
    [
        ("127.0.0.1", False, False),
        ("localhost", False, False),
        ("::1", False, False),
        ("0.0.0.0", False, True),
        ("10.1.2.3", False, True),
        ("0.0.0.0", True, False),
    ],
)
def test_a_reachable_server_without_auth_warns(host: str, auth: bool, warns: bool) -> None:
    warning = exposure_warning(host, auth)
    assert (warning is not None) == warns
    if warning:
        assert "--auth" in warning


@pytest.mark.slow
def test_server_with_auth_refuses_to_start_without_users(tmp_path: Path) -> None:
    done = subprocess.run(
        [*server_command(tmp_path, 0, "--auth", "--workers", "1")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1
    assert "no users exist" in done.stderr and "MODELREG_ADMIN_USERNAME" in done.stderr


@pytest.mark.slow
def test_server_with_auth_over_a_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELREG_ADMIN_USERNAME", "admin")
    monkeypatch.setenv("MODELREG_ADMIN_PASSWORD", PASSWORD)
    with running_server(tmp_path, "--auth", "--workers", "2") as server:
        api = f"{server.url}/api/2.0/mlflow"
        assert httpx.get(f"{api}/registered-models/search").status_code == 401
        created = httpx.post(
            f"{api}/registered-models/create", json={"name": "m"}, auth=("admin", PASSWORD)
        )
        assert created.status_code == 200
        wrong = httpx.get(f"{api}/registered-models/search", auth=("admin", "nope"))
        assert wrong.status_code == 401
        log = server.log.read_text()
        assert PASSWORD not in log and "nope" not in log
