"""The Python blocks of the documentation site run as written (docs/tutorial.md, how-tos).

Every ```python block in these pages carries a marker on the line above it:
``<!-- run: GROUP -->`` runs it, the blocks of one group concatenated in page order in
one fresh folder — ``embedded`` against the embedded default, ``server`` against a
``modelreg server`` (webhooks to loopback allowed, as the tutorial says it was started),
``auth-server`` against one with ``--auth`` — and ``<!-- no-run: REASON -->`` skips it.
The README (tests/test_readme.py) and docs/approvals.md (tests/test_docs_approvals.py)
have tests of their own.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.server.live import running_server

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = [DOCS / "tutorial.md", *sorted((DOCS / "howto").glob("*.md"))]
# A fenced block (possibly indented, in a list) and the marker line right above it.
_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)<!-- (?P<marker>[^>]*?) -->\n"
    r"(?P=indent)```python\n(?P<code>.*?)^(?P=indent)```",
    flags=re.DOTALL | re.MULTILINE,
)
_ANY_PYTHON = re.compile(r"^[ \t]*```python$", flags=re.MULTILINE)
# Skipped blocks are exceptions, each with its reason; a few at most.
MAX_SKIPPED = 3
ADMIN = ("admin", "a long admin secret")


def _blocks() -> list[tuple[Path, str, str]]:
    found = []
    for page in PAGES:
        text = page.read_text()
        for match in _BLOCK.finditer(text):
            code = textwrap.dedent(
                "".join(
                    line.removeprefix(match["indent"])
                    for line in match["code"].splitlines(keepends=True)
                )
            )
            found.append((page, match["marker"].strip(), code))
    return found


def _group(name: str) -> str:
    blocks = [code for _, marker, code in _blocks() if marker == f"run: {name}"]
    assert blocks, f"no block is marked <!-- run: {name} -->"
    return "\n".join(blocks)


def _run(script: str, folder: Path, **env: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "example.py").write_text(script)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MODELREG_", "MLFLOW_"))}
    done = subprocess.run(
        [sys.executable, "example.py"],
        cwd=folder,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def test_every_python_block_is_marked_to_run_or_skipped_with_a_reason() -> None:
    counted = sum(len(_ANY_PYTHON.findall(page.read_text())) for page in PAGES)
    blocks = _blocks()
    assert len(blocks) == counted, "a ```python block has no <!-- run: … --> marker above it"
    markers = {marker for _, marker, _ in blocks}
    unknown = {m for m in markers if not re.fullmatch(r"run: (embedded|server|auth-server)", m)}
    skipped = [m for m in unknown if re.fullmatch(r"no-run: \S.*", m)]
    assert unknown == set(skipped), f"unknown markers: {unknown - set(skipped)}"
    assert sum(m.startswith("no-run") for _, m, _ in blocks) <= MAX_SKIPPED


def test_the_embedded_tutorial_runs(tmp_path: Path) -> None:
    out = _run(_group("embedded"), tmp_path)
    assert "registered version 1" in out
    assert "promoted {'accuracy'" in out
    assert (tmp_path / ".modelreg" / "modelreg.db").is_file()


def test_the_server_tutorial_runs_with_approvals_and_a_webhook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server of Part 4: loopback webhook targets allowed.
    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_SCHEMES", "http,https")
    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOW_PRIVATE_IPS", "true")
    with running_server(tmp_path) as server:
        out = _run(_group("server"), tmp_path / "client", MODELREG_TRACKING_URI=server.url)
    lines = out.splitlines()
    assert lines[1:] == [
        "promoted",
        "requested",
        "approved",
        "Production",
        "webhook ACTIVE",
        "alias.set fraud-detector 2",
    ], out
    # Nothing was written next to the client: the server holds it all.
    assert not (tmp_path / "client" / ".modelreg").exists()


def test_the_auth_tutorial_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELREG_ADMIN_USERNAME", ADMIN[0])
    monkeypatch.setenv("MODELREG_ADMIN_PASSWORD", ADMIN[1])
    with running_server(tmp_path, "--auth") as server:
        out = _run(_group("auth-server"), tmp_path / "client", MODELREG_TRACKING_URI=server.url)
    assert out.splitlines() == ["['danas-model']", "401"]
