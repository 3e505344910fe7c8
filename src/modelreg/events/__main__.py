"""``python -m modelreg.events > docs/events.md``: the event reference, from the code."""

from __future__ import annotations

import sys

from modelreg.events import render_markdown

sys.stdout.write(render_markdown())
