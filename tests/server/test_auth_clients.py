"""Real clients against ``modelreg server --auth``: mlflow 3.17.2 (HTTP Basic and a
token), its ``AuthServiceClient`` (users, grants, roles) and databricks-sdk (a token).

Each client runs in its own virtualenv (tests/client_venvs.py) in a subprocess, with
the credentials in the environment variables the client reads.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.client_venvs import require_databricks_python
from tests.mlflow_env import require_mlflow_python
from tests.server.auth_env import PASSWORDS, AuthEnv

pytestmark = pytest.mark.mlflow

PRELUDE = r"""
import sys, warnings
warnings.simplefilter("ignore")
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

def error_code(call):
    try:
        call()
    except MlflowException as error:
        return error.error_code
    raise AssertionError("no error")

c = MlflowClient(tracking_uri=sys.argv[1], registry_uri=sys.argv[1])
"""

ALICE_SCRIPT = (
    PRELUDE
    + r"""
c.create_registered_model("churn")
mv = c.create_model_version("churn", "s3://bucket/churn/1", await_creation_for=0)
c.set_registered_model_alias("churn", "champ", mv.version)
assert c.get_model_version_by_alias("churn", "champ").version == "1"
assert sorted(m.name for m in c.search_registered_models()) == ["M", "churn"]
exp = c.create_experiment("alice-client")
run = c.create_run(exp)
c.log_metric(run.info.run_id, "auc", 0.9)
assert c.get_run(run.info.run_id).data.metrics == {"auc": 0.9}
print("OK")
"""
)

BOB_SCRIPT = (
    PRELUDE
    + r"""
assert [m.name for m in c.search_registered_models()] == []
assert error_code(lambda: c.get_registered_model("churn")) == "PERMISSION_DENIED"
assert error_code(lambda: c.set_registered_model_alias("churn", "x", "1")) == "PERMISSION_DENIED"
print("OK")
"""
)

TOKEN_SCRIPT = (
    PRELUDE
    + r"""
assert [m.name for m in c.search_registered_models()] == ["M"]
assert c.get_model_version("M", "1").version == "1"
c.set_model_version_tag("M", "1", "via", "token")
print("OK")
"""
)

AUTH_CLIENT_SCRIPT = r"""
import sys, warnings
warnings.simplefilter("ignore")
from mlflow.server.auth.client import AuthServiceClient
from mlflow.exceptions import MlflowException

a = AuthServiceClient(sys.argv[1])
user = a.create_user("carol", "carol-Pass-123!")
assert (user.username, user.is_admin) == ("carol", False)
assert a.get_user("carol").username == "carol"
a.update_user_password("carol", "carol-Pass-456!")
a.update_user_admin("carol", True)
assert a.get_user("carol").is_admin is True
a.update_user_admin("carol", False)
a.grant_user_permission("carol", "registered_model", "M", "EDIT")
got = a.get_user_permission("carol", "registered_model", "M")
assert (got.permission, got.allowed) == ("EDIT", True)
a.revoke_user_permission("carol", "registered_model", "M")
assert a.get_user_permission("carol", "registered_model", "M").permission == "NO_PERMISSIONS"
role = a.create_role("default", "ml-leads", description="leads")
assert a.get_role(role.id).name == "ml-leads"
perm = a.add_role_permission(role.id, "registered_model", "M", "READ")
assert [p.permission for p in a.list_role_permissions(role.id)] == ["READ"]
a.assign_role("carol", role.id)
assert [r.name for r in a.list_user_roles("carol")] == ["ml-leads"]
assert [x.role_id for x in a.list_role_users(role.id)] == [role.id]
assert a.get_user_permission("carol", "registered_model", "M").permission == "READ"
a.update_role_permission(perm.id, "EDIT")
a.remove_role_permission(perm.id)
a.unassign_role("carol", role.id)
assert [r.name for r in a.list_roles("default")] == ["ml-leads"]
a.delete_role(role.id)
a.delete_user("carol")
try:
    a.get_user("carol")
except MlflowException as error:
    assert error.error_code == "RESOURCE_DOES_NOT_EXIST"
else:
    raise AssertionError("carol still exists")
print("OK")
"""

DATABRICKS_SCRIPT = r"""
import sys, warnings
warnings.simplefilter("ignore")
from databricks.sdk import WorkspaceClient

w = WorkspaceClient(host=sys.argv[1], token=sys.argv[2])
models = [m.name for m in w.model_registry.search_models()]
assert models == ["M"], models
version = w.model_registry.get_model_version(name="M", version="1").model_version
assert version.version == "1", version
print("OK")
"""


def run_script(python: Path, text: str, args: list[str], env: dict[str, str], path: Path) -> None:
    path.write_text(text)
    done = subprocess.run(
        [str(python), str(path), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.strip().endswith("OK")


def _basic_env(user: str) -> dict[str, str]:
    return {"MLFLOW_TRACKING_USERNAME": user, "MLFLOW_TRACKING_PASSWORD": PASSWORDS[user]}


def test_mlflow_client_with_basic_credentials(
    live_env: tuple[str, AuthEnv], tmp_path: Path
) -> None:
    url, env = live_env
    python = require_mlflow_python()
    run_script(python, ALICE_SCRIPT, [url], _basic_env("alice"), tmp_path / "alice.py")
    run_script(python, BOB_SCRIPT, [url], _basic_env("bob"), tmp_path / "bob.py")
    wrong = {"MLFLOW_TRACKING_USERNAME": "alice", "MLFLOW_TRACKING_PASSWORD": "wrong"}
    script = (
        PRELUDE
        + 'assert error_code(c.search_registered_models) == "UNAUTHENTICATED"\nprint("OK")\n'
    )
    run_script(python, script, [url], wrong, tmp_path / "wrong.py")


def test_mlflow_client_with_a_token(live_env: tuple[str, AuthEnv], tmp_path: Path) -> None:
    url, env = live_env
    token, _ = env.auth.create_token("alice", "ci", 30)
    run_script(
        require_mlflow_python(),
        TOKEN_SCRIPT,
        [url],
        {"MLFLOW_TRACKING_TOKEN": token},
        tmp_path / "with_token.py",
    )


def test_auth_service_client_manages_users_grants_and_roles(
    live_env: tuple[str, AuthEnv], tmp_path: Path
) -> None:
    url, _ = live_env
    run_script(
        require_mlflow_python(),
        AUTH_CLIENT_SCRIPT,
        [url],
        _basic_env("admin"),
        tmp_path / "auth_client.py",
    )


def test_databricks_sdk_with_a_token(live_env: tuple[str, AuthEnv], tmp_path: Path) -> None:
    url, env = live_env
    token, _ = env.auth.create_token("alice", "sdk", None)
    clean = {k: "" for k in os.environ if k.startswith("DATABRICKS_")}
    run_script(
        require_databricks_python(),
        DATABRICKS_SCRIPT,
        [url, token],
        clean,
        tmp_path / "sdk.py",
    )
