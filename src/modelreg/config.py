"""Settings: the only module that reads the environment.

The tracking URI says where metadata lives; the artifact root says where files live.
With nothing configured, modelreg embeds its registry in ``./.modelreg/`` (a SQLite
file and an artifact folder), created on first use.
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from modelreg.errors import InvalidArgument
from modelreg.filters import DEFAULT_FILTER_LIMITS, FilterLimits
from modelreg.limits import DEFAULT_COPY_LIMITS, CopyLimits

TRACKING_URI_ENV = "MODELREG_TRACKING_URI"
REGISTRY_URI_ENV = "MODELREG_REGISTRY_URI"
ARTIFACT_ROOT_ENV = "MODELREG_ARTIFACT_ROOT"
ACTOR_ENV = "MODELREG_USER"
STATEMENT_TIMEOUT_ENV = "MODELREG_STATEMENT_TIMEOUT"
FILTER_MAX_LENGTH_ENV = "MODELREG_FILTER_MAX_LENGTH"
FILTER_MAX_CONDITIONS_ENV = "MODELREG_FILTER_MAX_CONDITIONS"
ALLOWED_SOURCE_SCHEMES_ENV = "MODELREG_ALLOWED_SOURCE_SCHEMES"
MAX_COPY_BYTES_ENV = "MODELREG_MAX_COPY_BYTES"
MAX_COPY_FILES_ENV = "MODELREG_MAX_COPY_FILES"
DEFAULT_STATEMENT_TIMEOUT_MS = 30_000
DEFAULT_HOME = ".modelreg"
DEFAULT_DB_NAME = "modelreg.db"

_uri_override: str | None = None

_SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb")
_HTTP_SCHEMES = ("http", "https")


def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    """Point this process at a registry: a database URI, an ``http(s)://`` server or a folder."""
    global _uri_override
    _uri_override = None if uri is None else str(uri)


def get_tracking_uri() -> str:
    """The tracking URI in force: ``set_tracking_uri``, then the environment, then the default."""
    uri = _uri_override or os.environ.get(TRACKING_URI_ENV) or os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return normalize_tracking_uri(uri)
    return _sqlite_uri(Path.cwd() / DEFAULT_HOME / DEFAULT_DB_NAME)


def get_registry_uri() -> str:
    uri = os.environ.get(REGISTRY_URI_ENV)
    return normalize_tracking_uri(uri) if uri else get_tracking_uri()


def _sqlite_uri(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def normalize_tracking_uri(uri: str) -> str:
    """Accept a database URI, an HTTP URL, or a folder / ``file:`` path for the embedded store."""
    scheme = urlsplit(uri).scheme.lower()
    if scheme.split("+")[0] in _SQL_SCHEMES or scheme in _HTTP_SCHEMES:
        return uri
    if scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt"):
        folder = Path(urlsplit(uri).path if scheme == "file" else uri).expanduser()
        if folder.suffix == ".db":
            return _sqlite_uri(folder)
        return _sqlite_uri(folder / DEFAULT_DB_NAME)
    raise InvalidArgument(
        f"Unsupported tracking URI {uri!r}: use sqlite:///path.db, postgresql://…, mysql://…, "
        "http(s)://host:port, or a local folder."
    )


def is_http_uri(uri: str) -> bool:
    return urlsplit(uri).scheme.lower() in _HTTP_SCHEMES


def sqlalchemy_url(uri: str) -> str:
    """Map a user-facing database URI onto the SQLAlchemy driver modelreg ships with."""
    scheme, sep, rest = uri.partition("://")
    base = scheme.split("+")[0].lower()
    if "+" in scheme:
        return uri
    if base in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    if base in ("mysql", "mariadb"):
        return f"mysql+pymysql://{rest}"
    if base == "sqlite":
        return uri
    raise InvalidArgument(f"Unsupported database URI scheme {scheme!r}.")


def redact_uri(uri: str) -> str:
    """``uri`` with any password in it replaced by ``***``, for logs and messages."""
    parts = urlsplit(uri)
    if parts.password is None and "password=" not in parts.query.lower():
        return uri  # untouched: urlunsplit would rewrite sqlite:////abs as sqlite://abs
    if "password=" in parts.query.lower():
        # libpq also takes the password as a query parameter.
        query = "&".join(
            f"{key}=***" if key.lower() == "password" else f"{key}{sep}{value}"
            for key, sep, value in (item.partition("=") for item in parts.query.split("&"))
        )
        parts = parts._replace(query=query)
    if parts.password is not None:
        user = parts.username or ""
        host = parts.netloc.rpartition("@")[2]
        parts = parts._replace(netloc=f"{user}:***@{host}")
    return parts.geturl()


def default_artifact_root(tracking_uri: str) -> str:
    """Where artifacts go when no root is configured: beside a SQLite file, else ./.modelreg."""
    configured = os.environ.get(ARTIFACT_ROOT_ENV)
    if configured:
        return configured
    if tracking_uri.startswith("sqlite:///"):
        db_path = Path(tracking_uri.removeprefix("sqlite:///"))
        return str(db_path.parent / "artifacts")
    return str(Path.cwd() / DEFAULT_HOME / "artifacts")


def current_actor() -> str:
    """Who the embedded client acts as: ``MODELREG_USER``, else the OS user."""
    actor = os.environ.get(ACTOR_ENV)
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass(frozen=True, slots=True)
class Credentials:
    """How the HTTP client authenticates to a server: Basic (username) or Bearer (token)."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)


def _first_env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def tracking_credentials() -> Credentials:
    """``MODELREG_TRACKING_USERNAME``/``PASSWORD``/``TOKEN``, else the ``MLFLOW_`` ones."""
    return Credentials(
        username=_first_env("MODELREG_TRACKING_USERNAME", "MLFLOW_TRACKING_USERNAME"),
        password=_first_env("MODELREG_TRACKING_PASSWORD", "MLFLOW_TRACKING_PASSWORD"),
        token=_first_env("MODELREG_TRACKING_TOKEN", "MLFLOW_TRACKING_TOKEN"),
    )


def statement_timeout_ms() -> int:
    """``MODELREG_STATEMENT_TIMEOUT`` (seconds, fractions allowed, 0: none) in ms."""
    raw = os.environ.get(STATEMENT_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_STATEMENT_TIMEOUT_MS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86_400:
        raise InvalidArgument(
            f"{STATEMENT_TIMEOUT_ENV}={raw!r} is not a number of seconds from 0 (no "
            "timeout) to 86400."
        )
    return round(seconds * 1000)


def filter_limits() -> FilterLimits:
    """``MODELREG_FILTER_MAX_LENGTH`` and ``MODELREG_FILTER_MAX_CONDITIONS``."""
    values: dict[str, int] = {}
    for name, field_name in (
        (FILTER_MAX_LENGTH_ENV, "max_length"),
        (FILTER_MAX_CONDITIONS_ENV, "max_conditions"),
    ):
        raw = os.environ.get(name, "").strip()
        if not raw:
            continue
        if not raw.isdecimal():
            raise InvalidArgument(f"{name}={raw!r} is not a whole number.")
        values[field_name] = int(raw)
    try:
        return FilterLimits(**values)
    except ValueError as error:
        raise InvalidArgument(f"Invalid filter limit setting: {error}.") from None


def copy_limits() -> CopyLimits:
    """``MODELREG_MAX_COPY_BYTES`` and ``MODELREG_MAX_COPY_FILES`` (whole numbers, 1 or more)."""
    values: dict[str, int] = {}
    for name, field_name in (
        (MAX_COPY_BYTES_ENV, "max_bytes"),
        (MAX_COPY_FILES_ENV, "max_files"),
    ):
        raw = os.environ.get(name, "").strip().replace("_", "")
        if not raw:
            continue
        if not raw.isdecimal() or int(raw) < 1:
            raise InvalidArgument(f"{name}={raw!r} is not a whole number of 1 or more.")
        values[field_name] = int(raw)
    return CopyLimits(**values)


# RFC 3986: a scheme is a letter, then letters, digits, '+', '-' or '.'.
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")


def parse_source_schemes(raw: str, setting: str = ALLOWED_SOURCE_SCHEMES_ENV) -> frozenset[str]:
    """``"s3, https"`` → ``{"s3", "https"}``: URI schemes, comma-separated (empty: none)."""
    schemes = frozenset(part.strip().lower() for part in raw.split(",") if part.strip())
    for scheme in sorted(schemes):
        if not _SCHEME.fullmatch(scheme):
            raise InvalidArgument(
                f"{setting}: {scheme!r} is not a URI scheme; give scheme names separated "
                "by commas, such as 's3,gs,https' (without ':' or '://')."
            )
    return schemes


def allowed_source_schemes() -> frozenset[str] | None:
    """``MODELREG_ALLOWED_SOURCE_SCHEMES``, or None when it is not set."""
    raw = os.environ.get(ALLOWED_SOURCE_SCHEMES_ENV)
    return None if raw is None else parse_source_schemes(raw)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a registry process needs to know, built once and passed down.

    ``serve_artifacts`` and ``allow_external_artifacts`` are where an embedded client
    and a server differ (``build_services`` reads them; a server always runs
    :meth:`served`): a server hands out ``mlflow-artifacts:/`` locations that clients
    read and write through its artifact proxy, and refuses paths outside its
    artifacts destination; an embedded client's user owns the machine.
    """

    tracking_uri: str
    artifact_root: str
    actor: str = "unknown"
    auto_upgrade_sqlite: bool = True
    # Bounds on what one request may ask of the database (docs/security.md).
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS
    filter_limits: FilterLimits = DEFAULT_FILTER_LIMITS
    # Locations are artifact-proxy URIs (mlflow-artifacts:/…) served by this process.
    serve_artifacts: bool = False
    # Local folders may be registered, and experiments may choose their own artifact
    # location (never on a server: T-05, T-06, T-12 of the security checklist).
    allow_external_artifacts: bool = True
    # Webhook delivery (None: from the environment, config.webhook_settings()).
    webhooks: WebhookSettings | None = None
    # URI schemes a version's source may use when the registry does not copy its files
    # but stores the URI for clients to download from (docs/security.md). None: any
    # (an embedded client's user owns the machine); a server turns None into none.
    allowed_source_schemes: frozenset[str] | None = None
    # The most one registration copies into registry storage (docs/security.md).
    copy_limits: CopyLimits = DEFAULT_COPY_LIMITS

    def served(self, actor: str = "anonymous") -> Settings:
        """These settings as a server runs them: proxied artifacts, nothing external."""
        return replace(
            self,
            actor=actor,
            serve_artifacts=True,
            allow_external_artifacts=False,
            allowed_source_schemes=self.allowed_source_schemes or frozenset(),
        )

    @classmethod
    def from_env(
        cls, tracking_uri: str | None = None, artifact_root: str | None = None
    ) -> Settings:
        uri = normalize_tracking_uri(tracking_uri) if tracking_uri else get_tracking_uri()
        return cls(
            tracking_uri=uri,
            artifact_root=artifact_root or default_artifact_root(uri),
            actor=current_actor(),
            statement_timeout_ms=statement_timeout_ms(),
            filter_limits=filter_limits(),
            allowed_source_schemes=allowed_source_schemes(),
            copy_limits=copy_limits(),
        )


# ---- webhooks (begin)
@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """How webhooks are delivered (docs/configuration.md, "Webhooks").

    Each value comes from ``MODELREG_WEBHOOK_*``, else MLflow's ``MLFLOW_WEBHOOK_*``
    name where MLflow has one, else the default.
    """

    allowed_schemes: frozenset[str] = frozenset({"https"})
    allow_private_ips: bool = False
    secret_key: str | None = field(default=None, repr=False)
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0
    max_attempts: int = 8
    first_retry_s: float = 1.0
    max_delay_s: float = 300.0
    # Consecutive failed attempts after which a webhook is disabled (0: never).
    disable_after: int = 20
    poll_interval_s: float = 0.5
    lease_s: float = 60.0
    batch: int = 64
    concurrency: int = 4
    # How long a hole in the event ids is waited for (modelreg.webhooks.gaps).
    gap_grace_s: float = 35.0
    public_url: str | None = None


def _env_float(names: tuple[str, ...], default: float, minimum: float = 0.0) -> float:
    raw = _first_env(*names)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise InvalidArgument(f"{names[0]} must be a number >= {minimum:g}, got {raw!r}.")
    return value


def _env_bool(names: tuple[str, ...]) -> bool:
    raw = _first_env(*names)
    return raw is not None and raw.strip().lower() in ("1", "true", "yes", "on")


def webhook_settings() -> WebhookSettings:
    """The webhook settings from the environment."""
    schemes = _first_env("MODELREG_WEBHOOK_ALLOWED_SCHEMES", "MLFLOW_WEBHOOK_ALLOWED_SCHEMES")
    return WebhookSettings(
        allowed_schemes=frozenset(
            s.strip().lower() for s in (schemes or "https").split(",") if s.strip()
        ),
        allow_private_ips=_env_bool(
            ("MODELREG_WEBHOOK_ALLOW_PRIVATE_IPS", "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS")
        ),
        secret_key=_first_env("MODELREG_SECRET_KEY", "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY"),
        connect_timeout_s=_env_float(("MODELREG_WEBHOOK_CONNECT_TIMEOUT",), 5.0, 0.001),
        read_timeout_s=_env_float(
            ("MODELREG_WEBHOOK_REQUEST_TIMEOUT", "MLFLOW_WEBHOOK_REQUEST_TIMEOUT"), 30.0, 0.001
        ),
        max_attempts=int(_env_float(("MODELREG_WEBHOOK_MAX_ATTEMPTS",), 8, 1)),
        max_delay_s=_env_float(("MODELREG_WEBHOOK_MAX_DELAY",), 300.0, 0.001),
        disable_after=int(_env_float(("MODELREG_WEBHOOK_DISABLE_AFTER",), 20, 0)),
        poll_interval_s=_env_float(("MODELREG_WEBHOOK_POLL_INTERVAL",), 0.5, 0.01),
        concurrency=int(_env_float(("MODELREG_WEBHOOK_CONCURRENCY",), 4, 1)),
        public_url=_first_env("MODELREG_PUBLIC_URL"),
    )


# ---- webhooks (end)
