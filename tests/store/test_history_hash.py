"""The chain's canonical form is the migration's (json.dumps) byte for byte."""

from __future__ import annotations

import hashlib
import json

import pytest

from modelreg.store.history import HASH_FORMAT, event_hash

TEXTS = [
    "",
    "plain",
    'quote " and \\ backslash',
    "tab\t nl\n cr\r nul\x00 us\x1f del\x7f",
    "ünïcödé – ✓ 模型 \u2028\u2029",
    "emoji 🚀",
    "</script>",
]


@pytest.mark.parametrize("text", TEXTS)
def test_event_hash_is_sha256_of_the_compact_json_form(text: str) -> None:
    fields = {
        "timestamp": 1_700_000_000_123,
        "actor": text,
        "type": "alias.set",
        "schema_version": 1,
        "model_id": -7,
        "model_name": text,
        "version": None,
        "subject": text,
        "payload": json.dumps({"k": text}, sort_keys=True, separators=(",", ":")),
    }
    form = [HASH_FORMAT, "ab" * 32, *fields.values()]
    expected = json.dumps(form, ensure_ascii=False, separators=(",", ":"))
    assert event_hash("ab" * 32, **fields) == hashlib.sha256(expected.encode()).hexdigest()
