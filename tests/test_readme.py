"""The README's Python example runs as written, in a fresh folder (embedded default)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_the_readme_example_runs_as_written(tmp_path: Path) -> None:
    (example,) = _python_examples()
    script = tmp_path / "example.py"
    script.write_text(example)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MODELREG_", "MLFLOW_"))
    }
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert (tmp_path / ".modelreg" / "modelreg.db").is_file()
    assert re.fullmatch(r"\[[01] [01] [01]\]", done.stdout.strip()), done.stdout
