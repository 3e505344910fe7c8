"""docs/approvals.md's workflow example runs as written, in a fresh folder (embedded)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "approvals.md"


def test_the_approvals_workflow_example_runs_as_written(tmp_path: Path) -> None:
    (example,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
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
    assert done.stdout.splitlines() == [
        "requested {'accuracy': 1.0}",
        "approved Production",
        "rolled back to 1",
    ]
