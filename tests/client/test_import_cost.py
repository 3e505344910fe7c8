"""A client of a server loads neither SQLAlchemy nor the service layer.

Measured in a fresh interpreter: ``import modelreg`` and ``MlflowClient("http://…")``
(no request sent) must leave ``sqlalchemy``, ``alembic``, ``modelreg.service`` and
``modelreg.store`` out of ``sys.modules``; import-linter checks the same statically
(pyproject.toml, "The HTTP transport never imports …").
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "alembic", "modelreg.service", "modelreg.store")

PROBE = """
import json, sys
{code}
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic")
      or m.startswith(("modelreg.service", "modelreg.store")))))
"""


def _heavy_modules_after(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"MODELREG_TRACKING_URI": "http://127.0.0.1:1", "PATH": ""},
    )
    found: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@pytest.mark.parametrize(
    "code",
    [
        "import modelreg",
        "import modelreg; modelreg.MlflowClient('http://127.0.0.1:1')",
        "import modelreg; modelreg.MlflowClient()",  # the URI from the environment
        "from modelreg.tracking import MlflowClient; MlflowClient('http://127.0.0.1:1')",
        "from modelreg.client import MlflowClient; MlflowClient(tracking_uri='http://127.0.0.1:1')",
    ],
)
def test_http_client_does_not_load_the_database_layer(code: str) -> None:
    assert _heavy_modules_after(code) == []


def test_an_embedded_client_does_load_it() -> None:
    # The probe can see the modules it looks for: the embedded transport needs them.
    found = _heavy_modules_after(
        "import modelreg, tempfile, os\n"
        "modelreg.MlflowClient('sqlite:///' + os.path.join(tempfile.mkdtemp(), 'r.db'))"
    )
    assert "sqlalchemy" in found and "modelreg.service" in found
