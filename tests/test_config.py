"""modelreg.config: the bounds and source rules read from the environment."""

from __future__ import annotations

import pytest

from modelreg.client import embedded
from modelreg.config import (
    ALLOWED_SOURCE_SCHEMES_ENV,
    DEFAULT_STATEMENT_TIMEOUT_MS,
    FILTER_MAX_CONDITIONS_ENV,
    FILTER_MAX_LENGTH_ENV,
    MAX_COPY_BYTES_ENV,
    MAX_COPY_FILES_ENV,
    STATEMENT_TIMEOUT_ENV,
    Settings,
)
from modelreg.errors import InvalidArgument
from modelreg.filters import DEFAULT_FILTER_LIMITS, FilterLimits
from modelreg.limits import CopyLimits


def test_defaults_without_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (STATEMENT_TIMEOUT_ENV, FILTER_MAX_LENGTH_ENV, FILTER_MAX_CONDITIONS_ENV):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env("sqlite:///x.db", "/tmp/a")
    assert settings.statement_timeout_ms == DEFAULT_STATEMENT_TIMEOUT_MS == 30_000
    assert settings.filter_limits == DEFAULT_FILTER_LIMITS == FilterLimits(16_384, 100)


@pytest.mark.parametrize(("raw", "ms"), [("5", 5000), ("0.25", 250), ("0", 0), (" 2 ", 2000)])
def test_statement_timeout_is_seconds(monkeypatch: pytest.MonkeyPatch, raw: str, ms: int) -> None:
    monkeypatch.setenv(STATEMENT_TIMEOUT_ENV, raw)
    assert Settings.from_env("sqlite:///x.db", "/tmp/a").statement_timeout_ms == ms


@pytest.mark.parametrize("raw", ["-1", "soon", "90000", "nan"])
def test_a_bad_statement_timeout_says_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv(STATEMENT_TIMEOUT_ENV, raw)
    with pytest.raises(InvalidArgument, match="number of seconds from 0 .no timeout. to 86400"):
        Settings.from_env("sqlite:///x.db", "/tmp/a")


def test_filter_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FILTER_MAX_LENGTH_ENV, "4096")
    monkeypatch.setenv(FILTER_MAX_CONDITIONS_ENV, "20")
    limits = Settings.from_env("sqlite:///x.db", "/tmp/a").filter_limits
    assert limits == FilterLimits(max_length=4096, max_conditions=20)


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        (FILTER_MAX_LENGTH_ENV, "lots", "is not a whole number"),
        (FILTER_MAX_LENGTH_ENV, "0", "max_length must be an integer from 1 to 262144"),
        (FILTER_MAX_CONDITIONS_ENV, "501", "max_conditions must be an integer from 1 to 500"),
    ],
)
def test_bad_filter_limits_say_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, name: str, raw: str, message: str
) -> None:
    monkeypatch.setenv(name, raw)
    with pytest.raises(InvalidArgument, match=message):
        Settings.from_env("sqlite:///x.db", "/tmp/a")


def test_the_embedded_database_gets_the_settings(sqlite_uri: str, tmp_path: object) -> None:
    settings = Settings(
        tracking_uri=sqlite_uri,
        artifact_root=str(tmp_path),
        statement_timeout_ms=1234,
        filter_limits=FilterLimits(max_conditions=7),
    )
    db = embedded.database_for(settings)
    assert (db.statement_timeout_ms, db.filter_limits.max_conditions) == (1234, 7)
    assert embedded.database_for(settings) is db


def test_source_schemes_any_embedded_none_served_unless_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ALLOWED_SOURCE_SCHEMES_ENV, raising=False)
    embedded_settings = Settings.from_env("sqlite:///x.db", "/tmp/a")
    assert embedded_settings.allowed_source_schemes is None  # the user owns the machine
    assert embedded_settings.served().allowed_source_schemes == frozenset()
    monkeypatch.setenv(ALLOWED_SOURCE_SCHEMES_ENV, " S3, https ,")
    configured = Settings.from_env("sqlite:///x.db", "/tmp/a")
    assert configured.allowed_source_schemes == {"s3", "https"}
    assert configured.served().allowed_source_schemes == {"s3", "https"}
    monkeypatch.setenv(ALLOWED_SOURCE_SCHEMES_ENV, "")
    assert Settings.from_env("sqlite:///x.db", "/tmp/a").allowed_source_schemes == frozenset()


@pytest.mark.parametrize("raw", ["s3://", "3d", "s 3"])
def test_a_bad_source_scheme_says_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv(ALLOWED_SOURCE_SCHEMES_ENV, raw)
    with pytest.raises(InvalidArgument, match="MODELREG_ALLOWED_SOURCE_SCHEMES: .* is not a URI"):
        Settings.from_env("sqlite:///x.db", "/tmp/a")


def test_copy_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MAX_COPY_BYTES_ENV, raising=False)
    monkeypatch.delenv(MAX_COPY_FILES_ENV, raising=False)
    default = Settings.from_env("sqlite:///x.db", "/tmp/a").copy_limits
    assert default == CopyLimits(10 * 1024**3, 10_000)
    monkeypatch.setenv(MAX_COPY_BYTES_ENV, "1_000_000")
    monkeypatch.setenv(MAX_COPY_FILES_ENV, "50")
    limits = Settings.from_env("sqlite:///x.db", "/tmp/a").copy_limits
    assert limits == CopyLimits(max_bytes=1_000_000, max_files=50)


@pytest.mark.parametrize("raw", ["0", "-5", "10GB", "many"])
def test_a_bad_copy_limit_says_what_is_allowed(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(MAX_COPY_FILES_ENV, raw)
    with pytest.raises(InvalidArgument, match="MODELREG_MAX_COPY_FILES=.* is not a whole number"):
        Settings.from_env("sqlite:///x.db", "/tmp/a")
