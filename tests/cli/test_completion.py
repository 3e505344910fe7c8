"""Shell completion as docs/cli.md documents it: click's ``_MODELREG_COMPLETE`` recipe."""

from __future__ import annotations

from click.testing import CliRunner

from modelreg.cli import main


def test_bash_source_prints_a_completion_script() -> None:
    result = CliRunner().invoke(
        main, [], prog_name="modelreg", env={"_MODELREG_COMPLETE": "bash_source"}
    )
    assert result.exit_code == 0
    assert "_modelreg_completion()" in result.stdout
    assert "complete -o nosort -F _modelreg_completion modelreg" in result.stdout


def test_completes_group_and_verb_names() -> None:
    def complete(words: str) -> list[str]:
        env = {
            "_MODELREG_COMPLETE": "bash_complete",
            "COMP_WORDS": f"modelreg {words}",
            "COMP_CWORD": str(len(words.split(" "))),
        }
        out = CliRunner().invoke(main, [], prog_name="modelreg", env=env).stdout
        return [line.split(",", 1)[1] for line in out.splitlines()]

    assert {"models", "versions", "aliases", "requests", "checks", "policies", "events"} <= set(
        complete("")
    )
    assert complete("versions tr") == ["transition"]
