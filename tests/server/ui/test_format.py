"""Small formatting helpers of the UI templates."""

from __future__ import annotations

import pytest

from modelreg.server.ui.format import url_host


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("https://hooks.slack.com/services/T0/B0/SECRET", "https://hooks.slack.com"),
        ("https://user:pw@hooks.example:8443/x?token=1", "https://hooks.example:8443"),
        ("http://[::1]:9000/hook", "http://[::1]:9000"),
        ("mailto:ops@example.com", "(no host)"),
        ("https://hooks.example:99999/x", "(not a URL)"),
    ],
)
def test_url_host_keeps_only_where_a_url_points(address: str, shown: str) -> None:
    assert url_host(address) == shown
