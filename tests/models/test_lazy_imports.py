"""Importing the model packages must not import the heavy scientific stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
HEAVY = ("sklearn", "numpy", "pandas", "scipy", "skops", "cloudpickle")


def test_importing_flavors_imports_no_heavy_module() -> None:
    code = (
        "import json, sys\n"
        "import modelreg.models, modelreg.pyfunc, modelreg.sklearn\n"
        "import modelreg.models.enforce, modelreg.models.input_example\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(result.stdout) == []
