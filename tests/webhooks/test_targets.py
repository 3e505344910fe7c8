"""Slack messages, email over SMTP (aiosmtpd on loopback: STARTTLS and login) and
generic JSON with payload templates and an Authorization header."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from modelreg.service import RegistryService
from modelreg.service.webhooks import DeliveryWorker, WebhookService
from modelreg.store.database import Database
from tests.server.asgi import free_port
from tests.webhooks.conftest import LOOPBACK, drain
from tests.webhooks.receiver import receiver

MakeWorker = Callable[..., DeliveryWorker]
PUBLIC = replace(LOOPBACK, public_url="https://registry.example.com")


def _transition(reg: RegistryService) -> None:
    reg.create_registered_model("churn")
    reg.create_model_version("churn", "s3://b/churn/1")
    reg.transition_model_version_stage("churn", "1", "Production")


def test_slack_gets_a_readable_message_with_a_link(
    db: Database, reg: RegistryService, make_worker: MakeWorker
) -> None:
    hooks = WebhookService(db, PUBLIC, actor="alice")
    with receiver() as rx:
        hooks.create_webhook("slack", rx.url, ["model_version.stage_transitioned"], kind="slack")
        _transition(reg)
        drain(make_worker(PUBLIC))
        (got,) = rx.wait_for(1)
    message = got.json()
    assert message["text"] == (
        "*churn* v1 moved from None to Production by alice — "
        "<https://registry.example.com/models/churn/versions/1|open churn v1>"
    )
    assert "X-MLflow-Signature" not in got.headers


def test_generic_json_template_with_authorization(
    hooks: WebhookService, reg: RegistryService, make_worker: MakeWorker
) -> None:
    # The GitHub repository_dispatch recipe of docs/webhooks.md.
    with receiver() as rx:
        hooks.create_webhook(
            "deploy",
            rx.url,
            ["model_version.stage_transitioned"],
            kind="http",
            authorization="Bearer ghp_example",
            filters={"stages": ["Production"]},
            target={
                "template": {
                    "event_type": "deploy-model",
                    "client_payload": {
                        "model": "${model_name}",
                        "version": "${version}",
                        "stage": "${to_stage}",
                        "token": "${secret}",
                    },
                },
                "headers": {"Accept": "application/vnd.github+json"},
            },
            secret="t0k",
        )
        _transition(reg)
        drain(make_worker())
        (got,) = rx.wait_for(1)
    assert got.json() == {
        "event_type": "deploy-model",
        "client_payload": {"model": "churn", "version": "1", "stage": "Production", "token": "t0k"},
    }
    assert got.headers["Authorization"] == "Bearer ghp_example"
    assert got.headers["Accept"] == "application/vnd.github+json"


# ------------------------------------------------------------------ email


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[tuple[int, _Inbox, Path]]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = _Inbox()

    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"mailer", b"p4ss")
        if ok:
            inbox.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=ok)

    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield port, inbox, cert
    finally:
        controller.stop()


def test_email_over_starttls_with_login(
    db: Database,
    reg: RegistryService,
    make_worker: MakeWorker,
    smtp: tuple[int, _Inbox, Path],
) -> None:
    port, inbox, cert = smtp
    hooks = WebhookService(db, PUBLIC, actor="alice")
    hook = hooks.create_webhook(
        "mail",
        f"smtp+starttls://127.0.0.1:{port}",
        ["model_version.stage_transitioned"],
        kind="email",
        authorization="p4ss",
        target={
            "from": "registry@example.com",
            "to": ["ml-team@example.com", "ops@example.com"],
            "username": "mailer",
            "subject": "[${model_name}] v${version} is now in ${to_stage}",
            "ca_file": str(cert),
        },
    )
    _transition(reg)
    drain(make_worker(PUBLIC))
    (delivery,) = hooks.list_deliveries(hook.webhook_id)
    assert delivery.status == "SUCCEEDED", delivery.last_error
    assert inbox.logins == [("mailer", "p4ss")]
    (envelope,) = inbox.messages
    assert envelope.rcpt_tos == ["ml-team@example.com", "ops@example.com"]
    text = envelope.content.decode()
    assert "Subject: [churn] v1 is now in Production" in text
    assert "https://registry.example.com/models/churn/versions/1" in text


def test_plain_smtp_needs_to_be_allowed(hooks: WebhookService) -> None:
    from modelreg.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match="not allowed"):
        hooks.create_webhook(
            "mail",
            "smtp://127.0.0.1:25",
            ["alias.set"],
            kind="email",
            target={"to": ["a@example.com"]},
        )
