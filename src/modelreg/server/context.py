"""What a handler gets: the services, the caller, and the request's fields.

With ``--auth`` the caller is the principal its credentials were verified as
(:mod:`modelreg.server.auth_gate`), checked against the route's declared requirement
(:mod:`modelreg.server.guard`). Without it, the caller ("actor", recorded on every
event) is the *claimed* HTTP Basic username, unverified, or ``anonymous`` when there
is none: audit attribution only, no decision depends on it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from modelreg.principal import ANONYMOUS_NAME, Principal
from modelreg.server.runner import Runner
from modelreg.server.settings import ServerSettings
from modelreg.server.wire import Params
from modelreg.service import RegistryService
from modelreg.service.artifact_proxy import ArtifactProxy
from modelreg.service.assembly import Services
from modelreg.service.tracking import TrackingService
from modelreg.service.webhooks import WebhookService

if TYPE_CHECKING:
    from modelreg.server.metrics import Snapshots

ANONYMOUS: Final = ANONYMOUS_NAME
# The events.actor column holds 256 characters; longer names are not attributable.
_MAX_ACTOR_LENGTH: Final = 256


@dataclass(frozen=True, slots=True)
class AppContext:
    """What routes that are more than a JSON call are built from (artifacts, /health)."""

    services: Services
    runner: Runner
    settings: ServerSettings
    # What /metrics serves (None when --no-metrics).
    metrics: Snapshots | None = None


@dataclass(frozen=True, slots=True)
class Call:
    """One API request as a handler sees it."""

    services: Services
    principal: Principal
    params: Params

    @property
    def actor(self) -> str:
        return self.principal.name

    @property
    def registry(self) -> RegistryService:
        return self.services.registry.as_actor(self.principal)

    @property
    def tracking(self) -> TrackingService:
        return self.services.tracking.as_actor(self.principal)

    @property
    def webhooks(self) -> WebhookService:
        return self.services.webhooks.as_actor(self.principal)

    @property
    def artifacts(self) -> ArtifactProxy:
        return self.services.artifacts


def principal_from_authorization(header: str | None) -> Principal:
    """The caller of a request when auth is off: the claimed Basic name, unverified."""
    return Principal(actor_from_authorization(header))


def actor_from_authorization(header: str | None) -> str:
    """The username of an HTTP Basic ``Authorization`` header, else ``anonymous``.

    Anything unusable (another scheme, bad base64, control characters, an over-long
    name) is treated as no claim at all rather than rejected: nothing is enforced yet.
    """
    if not header:
        return ANONYMOUS
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return ANONYMOUS
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return ANONYMOUS
    username = decoded.partition(":")[0]
    if not username or len(username) > _MAX_ACTOR_LENGTH or not username.isprintable():
        return ANONYMOUS
    return username
