"""With grants, a webhook list keeps (in SQL) the webhooks of models the caller manages.

On SQLite, and on PostgreSQL and MariaDB when ``MODELREG_TEST_BACKENDS`` names them.
Who may create or change one is the server's route check (tests/server/
test_auth_webhooks.py); renames and deletes of the model carry its webhooks along.
"""

from __future__ import annotations

from modelreg.principal import Principal
from modelreg.service import RegistryService
from modelreg.service.auth import GrantPolicy, Level
from modelreg.service.auth.service import AuthService
from modelreg.service.webhooks import WebhookService
from modelreg.store.database import Database

ALICE = Principal("alice", authenticated=True)
BOB = Principal("bob", authenticated=True, groups=frozenset({"leads"}))
URL = "https://hooks.example.com/x"


def _hook(hooks: WebhookService, model: str | None) -> str:
    created = hooks.create_webhook(
        "h", URL, ["model_version.created"], kind="http", status="DISABLED", model_name=model
    )
    return created.webhook_id


def _listed(hooks: WebhookService, principal: Principal) -> set[str]:
    return {h.webhook_id for h in hooks.as_actor(principal).list_webhooks()}


def test_a_list_keeps_the_webhooks_of_managed_models(
    db: Database, reg: RegistryService, hooks: WebhookService
) -> None:
    auth = AuthService(db)
    for user in ("alice", "bob"):
        auth.create_user(user, f"{user}-Pass-123!xyz")
    for name in ("a", "b", "c"):
        reg.create_registered_model(name)
    auth.grant("alice", "registered_model", "a", Level.MANAGE)
    auth.grant("alice", "registered_model", "b", Level.EDIT)
    auth.grant("group:leads", "registered_model", "b", Level.MANAGE)
    auth.grant("bob", "registered_model", "c", Level.MANAGE)
    auth.grant("group:leads", "registered_model", "c", Level.DENY)
    on = {name: _hook(hooks, name) for name in ("a", "b", "c")}
    wide = _hook(hooks, None)
    guarded = WebhookService(db, hooks.settings, grants=GrantPolicy())
    assert _listed(guarded, ALICE) == {on["a"]}
    assert _listed(guarded, BOB) == {on["b"]}  # DENY through a group wins on c
    admin = Principal("root", authenticated=True, is_admin=True)
    assert _listed(guarded, admin) == {*on.values(), wide}
    # Under a MANAGE default every model is managed but those withheld; never the
    # registry-wide webhook.
    generous = WebhookService(db, hooks.settings, grants=GrantPolicy(Level.MANAGE))
    assert _listed(generous, ALICE) == {on["a"], on["c"]}
    assert _listed(hooks, ALICE) == {*on.values(), wide}  # no grants: no permissions


def test_webhooks_follow_renames_and_stop_with_their_model(
    reg: RegistryService, hooks: WebhookService
) -> None:
    reg.create_registered_model("a")
    hook_id = hooks.update_webhook(_hook(hooks, "a"), status="ACTIVE").webhook_id
    reg.rename_registered_model("a", "b")
    assert hooks.get_webhook(hook_id).model_name == "b"
    reg.delete_registered_model("b")
    gone = hooks.get_webhook(hook_id)
    assert gone.status == "DISABLED"
    assert gone.disabled_reason == "its registered model was deleted"
