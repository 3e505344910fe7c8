"""Sending one notification email over SMTP: the only module that does.

``smtps://host:port`` is implicit TLS, ``smtp+starttls://host:port`` upgrades with
STARTTLS; plain ``smtp://`` only when ``smtp`` is among the allowed schemes. The SMTP
server's address is checked at connect time as for HTTP targets.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

from modelreg.errors import InvalidArgument
from modelreg.webhooks.addresses import AddressRefused, NetworkPolicy, check_url, connect
from modelreg.webhooks.transport import Outcome

ENCRYPTED_SCHEMES = frozenset({"smtps", "smtp+starttls"})


@dataclass(frozen=True, slots=True)
class Mail:
    sender: str
    recipients: Sequence[str]
    subject: str
    body: str
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None


def check_smtp_url(url: str, policy: NetworkPolicy) -> None:
    """InvalidArgument unless ``url`` is an SMTP URL these rules allow."""
    scheme = urlsplit(url).scheme.lower()
    allowed = ENCRYPTED_SCHEMES | ({"smtp"} & policy.allowed_schemes)
    check_url(url, _with_schemes(policy, allowed))
    if scheme not in allowed:  # pragma: no cover - check_url refused it already
        raise InvalidArgument(f"SMTP URL scheme {scheme!r} is not allowed.")


def _with_schemes(policy: NetworkPolicy, schemes: frozenset[str]) -> NetworkPolicy:
    return NetworkPolicy(
        schemes,
        policy.allow_private_ips,
        policy.connect_timeout_s,
        policy.read_timeout_s,
        policy.resolver,
    )


class _SMTP(smtplib.SMTP):
    policy: NetworkPolicy

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return connect(host, port, self.policy)


class _SMTPS(smtplib.SMTP_SSL):
    policy: NetworkPolicy

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = connect(host, port, self.policy)
        return self.context.wrap_socket(sock, server_hostname=host)


def send(url: str, mail: Mail, policy: NetworkPolicy) -> Outcome:
    start = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - start) * 1000)

    try:
        check_smtp_url(url, policy)
    except InvalidArgument as error:
        return Outcome(False, None, elapsed(), error=f"refused: {error}")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    context = ssl.create_default_context(cafile=mail.ca_file)
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = ", ".join(mail.recipients)
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    client: smtplib.SMTP
    try:
        if scheme == "smtps":
            client = _SMTPS(context=context, timeout=policy.read_timeout_s)
            client.policy = policy
            client.connect(host, parts.port or 465)
        else:
            client = _SMTP(timeout=policy.read_timeout_s)
            client.policy = policy
            # STARTTLS checks the certificate against the name given at construction;
            # the client is built unconnected (so the policy is set first).
            client._host = host  # type: ignore[attr-defined]
            client.connect(host, parts.port or (587 if scheme == "smtp+starttls" else 25))
        with client:
            if scheme == "smtp+starttls":
                client.starttls(context=context)
            if mail.username:
                client.login(mail.username, mail.password or "")
            client.send_message(message)
    except AddressRefused as error:
        return Outcome(False, None, elapsed(), error=f"refused: {error}")
    except (OSError, smtplib.SMTPException) as error:
        return Outcome(False, None, elapsed(), error=f"SMTP failed: {error!r}")
    return Outcome(True, 250, elapsed(), "accepted")
