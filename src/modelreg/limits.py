"""Page sizes of every search (MLflow's client defaults and the most one page may
hold), and the most one registration may copy.

One table for every transport: the services enforce the maxima, the clients send the
defaults, the server fills them in when a hand-written request leaves them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SEARCH_MODELS_DEFAULT: Final = 100
SEARCH_MODELS_MAX: Final = 1000
SEARCH_VERSIONS_DEFAULT: Final = 10_000
SEARCH_VERSIONS_MAX: Final = 200_000
SEARCH_EXPERIMENTS_DEFAULT: Final = 1000
SEARCH_EXPERIMENTS_MAX: Final = 50_000
SEARCH_RUNS_DEFAULT: Final = 1000
SEARCH_RUNS_MAX: Final = 50_000
SEARCH_LOGGED_MODELS_DEFAULT: Final = 100
SEARCH_LOGGED_MODELS_MAX: Final = 1000
# MlflowClient.get_metric_history reads a metric's history in pages of this size,
# as mlflow's client does (GET_METRIC_HISTORY_MAX_RESULTS); a request may ask for up
# to a 32-bit integer's worth (no default: the whole history).
METRIC_HISTORY_PAGE: Final = 25_000
METRIC_HISTORY_MAX: Final = 2**31 - 1
# metrics/get-history-bulk-interval: runs per request and values sampled per run
# (MLflow's MAX_RUNS_GET_METRIC_HISTORY_BULK and MAX_RESULTS_PER_RUN).
BULK_INTERVAL_RUNS_MAX: Final = 100
BULK_INTERVAL_RESULTS_MAX: Final = 2500
# One log_batch call: MLflow's MAX_METRICS_PER_BATCH, MAX_PARAMS_TAGS_PER_BATCH (each of
# params and tags) and MAX_ENTITIES_PER_BATCH (all three together). MlflowClient
# splits bigger batches into calls within them, as mlflow's client does.
LOG_BATCH_METRICS_MAX: Final = 1000
LOG_BATCH_PARAMS_TAGS_MAX: Final = 100
LOG_BATCH_ENTITIES_MAX: Final = 1000
# search_events (GET /api/2.0/modelreg/events): a page of the event log.
SEARCH_EVENTS_DEFAULT: Final = 100
SEARCH_EVENTS_MAX: Final = 1000
# Webhooks and their deliveries (modelreg's, MLflow's and Databricks' webhook APIs).
WEBHOOKS_PAGE_DEFAULT: Final = 100
WEBHOOKS_PAGE_MAX: Final = 1000


# One registry copy of a version's files (docs/security.md, "Model version sources").
COPY_MAX_BYTES_DEFAULT: Final = 10 * 1024**3
COPY_MAX_FILES_DEFAULT: Final = 10_000


@dataclass(frozen=True, slots=True)
class CopyLimits:
    """The most one registration may copy into registry storage: bytes and files."""

    max_bytes: int = COPY_MAX_BYTES_DEFAULT
    max_files: int = COPY_MAX_FILES_DEFAULT

    def __post_init__(self) -> None:
        if self.max_bytes < 1 or self.max_files < 1:
            raise ValueError("copy limits must be 1 or more")


DEFAULT_COPY_LIMITS: Final = CopyLimits()
