"""What a new user meets first: one-line errors instead of tracebacks, and plain help."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from modelreg.cli import main
from modelreg.config import redact_uri


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MODELREG_TRACKING_URI", "MODELREG_ARTIFACT_ROOT", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("uri", "module", "extra"),
    [
        ("postgresql://u:secret@127.0.0.1:1/x", "psycopg", "postgres"),
        ("mysql://u@127.0.0.1:1/x", "pymysql", "mysql"),
    ],
)
@pytest.mark.parametrize("command", ["db upgrade", "server"])
def test_a_missing_driver_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, uri: str, module: str, extra: str, command: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    args = [*command.split(), "--backend-store-uri", uri]
    if command == "server":
        # One worker: the missing module is faked in this process only, and with
        # several the checks run in a child process (the stale-schema test in
        # tests/server/test_cli_server.py covers errors from there).
        args += ["--port", "0", "--artifacts-destination", str(tmp_path), "--workers", "1"]
    code, output = _run(*args)
    assert code == 1
    assert output.count("\n") == 1, output
    assert f"pip install 'modelreg[{extra}]'" in output
    assert "secret" not in output


@pytest.mark.parametrize("command", ["db upgrade", "server"])
def test_an_unusable_backend_folder_is_one_line(tmp_path: Path, command: str) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    for folder, reason in (
        ("/proc/modelreg-x", "cannot create it"),
        (str(a_file / "sub"), "a file is in the way"),
    ):
        args = [*command.split(), "--backend-store-uri", folder]
        if command == "server":
            args += ["--port", "0"]
        code, output = _run(*args)
        assert code == 1
        assert output.count("\n") == 1, output
        assert output.startswith("Error: Cannot use ")
        assert reason in output


def test_a_port_in_use_is_reported_before_anything_else(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # The database would fail too (a file in the way): the port is checked first.
        (tmp_path / "a-file").write_text("")
        code, output = _run(
            "server", "--port", str(port), "--backend-store-uri", str(tmp_path / "a-file")
        )
    assert code == 1
    assert output == (
        f"Error: Port {port} on 127.0.0.1 is already in use (another modelreg or MLflow "
        "server?): stop that one or pick another port with --port.\n"
    )


def test_a_shared_database_needs_an_artifacts_destination() -> None:
    code, output = _run("server", "--port", "0", "--backend-store-uri", "postgresql://u:pw@h/db")
    assert code == 1
    assert "needs --artifacts-destination (or MODELREG_ARTIFACT_ROOT)" in output
    assert output.count("\n") == 1


def test_passwords_are_masked() -> None:
    assert redact_uri("postgresql://u:p%40ss@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert (
        redact_uri("postgresql://h/db?user=u&password=pw")
        == "postgresql://h/db?user=u&password=***"
    )
    assert redact_uri("sqlite:////abs/r.db") == "sqlite:////abs/r.db"
    assert redact_uri("mysql://u@h/db") == "mysql://u@h/db"


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize("name", ["", *(name for name, _ in _commands(main))])
def test_help_is_plain_text_without_cut_lines(name: str) -> None:
    code, output = _run(*name.split(), "--help")
    assert code == 0
    assert "``" not in output and ":func:" not in output and ":class:" not in output
    listed = output.partition("\nCommands:\n")[2]
    assert "..." not in listed, f"a cut short help line in `modelreg {name} --help`"
