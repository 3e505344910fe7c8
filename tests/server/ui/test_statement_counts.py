"""Every UI page issues a fixed number of statements, whatever the amount of data.

Counted with SQLAlchemy's ``before_cursor_execute`` event (as tests/store/
test_query_counts.py does) for a small and a large data set: the counts must match,
and stay under a fixed budget per page.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from modelreg.config import Settings
from modelreg.principal import Principal
from modelreg.server import create_app
from modelreg.server.settings import ServerSettings
from tests.server.asgi import TestClient, asgi_client
from tests.server.auth_env import AuthEnv
from tests.server.ui.conftest import services_of
from tests.server.ui.seed import seed_model

_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", re.I)
# The most statements a page may issue (the version page, with its run, four charts,
# files and history, is the largest). The approval panels add two statements each
# (the version or model row, then the rows): policies and open requests on the model page;
# transition and alias requests, policies, checks and comments on the version page.
# The model page's webhooks panel is one statement (the page of webhooks scoped to it).
BUDGET = {
    "/models": 3,
    "/models/churn": 12,
    "/models/churn/versions/1": 31,
    "/compare?name=churn&versions=1,2": 22,
    "/experiments": 2,
    "/experiments/{experiment}": 9,
    "/experiments/{experiment}/runs/{run}": 14,
    "/audit": 1,
    "/webhooks": 1,
    "/webhooks/{webhook}": 3,
}


@contextmanager
def counting(http: TestClient) -> Iterator[list[str]]:
    engine = services_of(http).db.engine
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not _CONTROL.match(statement):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _counts(http: TestClient, models: int, versions: int) -> dict[str, int]:
    services = services_of(http)
    seeded = seed_model(services, "churn", versions=versions)
    for i in range(models):
        services.registry.create_registered_model(f"extra-{i:03d}", tags={"k": str(i)})
    # More webhooks of the model than its panel shows, with a large data set.
    hooks = [
        services.webhooks.create_webhook(
            f"hook-{i}", "https://hooks.example/x", ["model_version.created"], model_name="churn"
        )
        for i in range(1 + models // 4)
    ]
    counts = {}
    for template in BUDGET:
        path = template.format(
            experiment=seeded.experiment_id, run=seeded.run_ids[0], webhook=hooks[0].webhook_id
        )
        with counting(http) as seen:
            assert http.get(path).status_code == 200, path
        counts[template] = len(seen)
    return counts


def _quiet_client(sqlite_template: Path, folder: Path) -> Iterator[TestClient]:
    """An app without the in-process webhook worker, whose polling would be counted."""
    folder.mkdir()
    shutil.copy(sqlite_template, folder / "m.db")
    settings = Settings(
        tracking_uri=f"sqlite:///{folder / 'm.db'}", artifact_root=str(folder / "artifacts")
    )
    with asgi_client(create_app(settings, ServerSettings(webhook_worker=False))) as client:
        yield client


@pytest.fixture
def small_http(sqlite_template: Path, tmp_path: Path) -> Iterator[TestClient]:
    yield from _quiet_client(sqlite_template, tmp_path / "small")


@pytest.fixture
def large_http(sqlite_template: Path, tmp_path: Path) -> Iterator[TestClient]:
    yield from _quiet_client(sqlite_template, tmp_path / "large")


def test_pages_issue_a_fixed_number_of_statements(
    small_http: TestClient, large_http: TestClient
) -> None:
    small = _counts(small_http, models=2, versions=2)
    large = _counts(large_http, models=60, versions=8)
    assert large == small
    over = {path: count for path, count in small.items() if count > BUDGET[path]}
    assert not over, f"over budget: {over} (all: {small})"


@pytest.fixture
def auth_server_settings() -> ServerSettings:
    """The --auth app of this module's test, without the webhook worker's polling."""
    return ServerSettings(auth=True, webhook_worker=False)


def test_with_auth_the_pages_checks_add_a_fixed_number_of_statements(env: AuthEnv) -> None:
    """What the page offers is checked with one grant lookup per object (the model,
    the source run's experiment), whatever the amount of data. eve edits M; alice
    manages it, so her model page has the webhooks panel and her list its webhooks."""
    pages = [
        ("eve", "/models/M"),
        ("eve", "/models/M/versions/1"),
        ("alice", "/models/M"),
        ("alice", "/webhooks"),
    ]

    def counts() -> dict[tuple[str, str], int]:
        found = {}
        for user, path in pages:
            env.call(user, "GET", path)  # signs the user in (kept by the gate's cache)
            with counting(env.http) as seen:
                assert env.call(user, "GET", path).status_code == 200, path
            found[user, path] = len(seen)
        return found

    before = counts()
    services = services_of(env.http)
    alice = services.as_actor(Principal("alice", True))
    for i in range(6):
        alice.registry.create_model_version("M", f"runs:/{env.run_id}/model", run_id=env.run_id)
        alice.approvals.create_comment("M", 1, f"comment {i}")
    for i in range(12):  # more than the model page's panel shows
        services.webhooks.create_webhook(
            f"hook {i}", "https://hooks.example/x", ["model_version.created"], model_name="M"
        )
    assert counts() == before
