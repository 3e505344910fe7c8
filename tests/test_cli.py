"""``modelreg db``: explicit schema management with one-line errors."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from modelreg.cli import main


def test_db_upgrade_and_current(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'r.db'}"
    runner = CliRunner()
    before = runner.invoke(main, ["db", "current", "--backend-store-uri", uri])
    assert before.exit_code == 0
    assert "current: empty" in before.output
    upgraded = runner.invoke(main, ["db", "upgrade", "--backend-store-uri", uri])
    assert upgraded.exit_code == 0
    assert "Upgraded schema from empty to" in upgraded.output
    again = runner.invoke(main, ["db", "upgrade", "--backend-store-uri", uri])
    assert "already at revision" in again.output
    assert "up to date" in runner.invoke(main, ["db", "current", "--backend-store-uri", uri]).output


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["db", "upgrade", "--backend-store-uri", "postgresql://nobody@127.0.0.1:1/x"]
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: The registry database is unavailable")
    assert "Traceback" not in result.output


def test_version_option() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert "modelreg" in result.output
