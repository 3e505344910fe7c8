"""Host-header allowlist (DNS rebinding, security checklist T-20): modelreg.server.hosts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from modelreg.cli import main
from modelreg.config import Settings
from modelreg.server import ServerSettings, create_app
from modelreg.server.hosts import HostCheck, default_allowed_hosts, parse_allowed_hosts
from tests.server.asgi import asgi_client

SEARCH = "/api/2.0/mlflow/registered-models/search"


@pytest.mark.parametrize(
    ("bind", "expected"),
    [
        ("127.0.0.1", ("localhost", "127.0.0.1", "[::1]")),
        ("127.0.0.2", ("localhost", "127.0.0.1", "[::1]")),
        ("localhost", ("localhost", "127.0.0.1", "[::1]")),
        ("::1", ("localhost", "127.0.0.1", "[::1]")),
        ("0.0.0.0", ("*",)),
        ("10.1.2.3", ("*",)),
        ("registry.internal", ("*",)),
    ],
)
def test_the_default_follows_the_bind_address(bind: str, expected: tuple[str, ...]) -> None:
    assert default_allowed_hosts(bind) == expected
    assert ServerSettings(host=bind).host_patterns == expected


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("localhost", True),
        ("localhost:5000", True),
        ("LOCALHOST:1", True),
        ("127.0.0.1:5000", True),
        ("[::1]:5000", True),
        ("[::1]", True),
        ("rebind.evil.example", False),
        ("rebind.evil.example:5000", False),
        ("localhost.evil.example", False),
        ("127.0.0.1.nip.io", False),
        ("evil-localhost", False),
    ],
)
def test_loopback_names_with_any_port(host: str, allowed: bool) -> None:
    assert HostCheck(default_allowed_hosts("127.0.0.1")).allows(host) is allowed


def test_patterns_name_hosts_ports_and_subdomains() -> None:
    check = HostCheck(parse_allowed_hosts("registry.example.com:443, *.corp.example ,10.0.0.5"))
    assert check.allows("registry.example.com:443")
    assert check.allows("Registry.Example.com.:443")
    assert not check.allows("registry.example.com:8443")
    assert not check.allows("registry.example.com")
    assert check.allows("ml.corp.example") and check.allows("a.b.corp.example:80")
    assert not check.allows("corp.example") and not check.allows("evilcorp.example")
    assert check.allows("10.0.0.5:5000")
    assert not check.allows("localhost")
    assert HostCheck(parse_allowed_hosts("*")).allows("anything.example")
    assert HostCheck(parse_allowed_hosts("localhost:*")).allows("localhost:9")


@pytest.mark.parametrize(
    "bad", ["", " , ", "http://registry.example.com", "a/b", "host:port", "*.*.x", "x*y", "u@h"]
)
def test_bad_patterns_are_refused_naming_the_format(bad: str) -> None:
    with pytest.raises(ValueError, match="allowed host|at least one"):
        parse_allowed_hosts(bad)
    with pytest.raises(ValueError):
        ServerSettings(allowed_hosts=(bad,))


def _get(app: Any, host: str, path: str = SEARCH) -> Any:
    with asgi_client(app) as http:
        return http.get(path, headers={"Host": host})


def test_a_loopback_server_refuses_a_foreign_host(settings: Settings) -> None:
    app = create_app(settings, ServerSettings())
    refused = _get(app, "rebind.evil.example")
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/json"
    assert refused.json()["error_code"] == "PERMISSION_DENIED"
    message = refused.json()["message"]
    assert "rebind.evil.example" in message and "--allowed-hosts" in message
    assert "localhost" in message
    # Every kind of route: the UI and the artifact proxy too.
    assert _get(app, "rebind.evil.example", "/").status_code == 403
    files = "/api/2.0/mlflow-artifacts/artifacts?path=0"
    assert _get(app, "rebind.evil.example", files).status_code == 403
    for host in ("localhost:5000", "127.0.0.1:5000", "[::1]:5000"):
        assert _get(app, host).status_code == 200, host
    # Probes address a replica by its IP: /health answers any host.
    assert _get(app, "10.0.0.7:5000", "/health").status_code == 200


def test_a_server_bound_elsewhere_answers_any_host_unless_told(settings: Settings) -> None:
    anywhere = create_app(settings, ServerSettings(host="0.0.0.0"))
    assert _get(anywhere, "x.example").status_code == 200
    strict = ServerSettings(host="0.0.0.0", allowed_hosts=("registry.example.com",))
    app = create_app(settings, strict)
    assert _get(app, "registry.example.com").status_code == 200
    assert _get(app, "localhost:5000").status_code == 403


def _serve_with(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> Any:
    captured: dict[str, ServerSettings] = {}
    monkeypatch.setattr(
        "modelreg.server.main.serve", lambda settings, server: captured.update(server=server)
    )
    database = tmp_path / "r.db"
    result = CliRunner().invoke(
        main, ["server", "--backend-store-uri", f"sqlite:///{database}", *args]
    )
    return result, captured.get("server")


def test_the_cli_option_and_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result, server = _serve_with(monkeypatch, tmp_path, "--allowed-hosts", "a.example,B.example")
    assert result.exit_code == 0, result.output
    assert server is not None and server.allowed_hosts == ("a.example", "b.example")
    monkeypatch.setenv("MODELREG_ALLOWED_HOSTS", "env.example:443")
    result, server = _serve_with(monkeypatch, tmp_path)
    assert server is not None and server.allowed_hosts == ("env.example:443",)
    monkeypatch.delenv("MODELREG_ALLOWED_HOSTS")
    result, server = _serve_with(monkeypatch, tmp_path)
    assert server is not None and server.allowed_hosts is None
    result, server = _serve_with(monkeypatch, tmp_path, "--allowed-hosts", "http://x/")
    assert result.exit_code == 2 and server is None
    assert "--allowed-hosts" in result.output and "no scheme or path" in result.output
