"""bench/_report.py: a script's section of docs/benchmarks.md is replaced, nothing else."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

from _report import DOC, replace_section, save_results  # noqa: E402


def test_replaces_only_its_own_section(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        "# Benchmarks\n\nintro\n\n<!-- a:start -->\nold a\n<!-- a:end -->\n\n"
        "<!-- b:start -->\nb stays\n<!-- b:end -->\n"
    )
    replace_section("a", "new a", doc)
    assert doc.read_text() == (
        "# Benchmarks\n\nintro\n\n<!-- a:start -->\nnew a\n<!-- a:end -->\n\n"
        "<!-- b:start -->\nb stays\n<!-- b:end -->\n"
    )
    replace_section("c", "c is new", doc)
    assert doc.read_text().endswith(
        "<!-- b:end -->\n\n<!-- c:start -->\nc is new\n<!-- c:end -->\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["benchmarks.md"]  # no temp files left


def test_a_missing_page_starts_with_the_intro(tmp_path: Path) -> None:
    doc = tmp_path / "docs" / "benchmarks.md"
    replace_section("a", "x", doc)
    assert doc.read_text().startswith("# Benchmarks\n\nPerformance measurements")


def test_the_real_page_round_trips(tmp_path: Path) -> None:
    text = DOC.read_text()
    copy = tmp_path / "benchmarks.md"
    copy.write_text(text)
    for name, body in re.findall(r"<!-- ([\w-]+):start -->\n(.*?)\n<!-- \1:end -->", text, re.S):
        replace_section(name, body, copy)
    assert copy.read_text() == text


def test_results_are_written_under_the_reports_own_file_name(tmp_path: Path) -> None:
    report = {"file": "server-2026-12-04.json", "rps": 1.5}
    out = save_results(report, tmp_path / "results")
    assert out == tmp_path / "results" / "server-2026-12-04.json"
    assert json.loads(out.read_text()) == report
    assert out.read_text().endswith("}\n")
