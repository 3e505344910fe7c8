"""The UI's pages over the ASGI app: what each shows, paging, forms, CSRF and escaping."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import unquote

import pytest

from tests.server.asgi import TestClient
from tests.server.ui.conftest import csrf_from, services_of
from tests.server.ui.seed import HOSTILE, seed_model


def _chart_data(html: str) -> list[dict[str, object]]:
    blocks = re.findall(
        r'<script type="application/json" id="chart-\d+">(.*?)</script>', html, re.S
    )
    return [json.loads(b) for b in blocks]


def test_home_is_the_models_page_with_csp_and_a_csrf_cookie(http: TestClient) -> None:
    seed_model(services_of(http))
    page = http.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "modelreg_csrf" in page.cookies
    assert 'href="/models/churn"' in page.text
    assert "<script>" not in page.text.replace("<script src=", "")  # no inline script
    assert 'src="/static/ui.js"' in page.text


def test_models_row_shows_latest_versions_aliases_and_tags(http: TestClient) -> None:
    services = services_of(http)
    seed_model(services)
    services.registry.transition_model_version_stage("churn", 2, "Production")
    services.registry.set_registered_model_alias("churn", "champion", 2)
    page = http.get("/models").text
    row = page[page.index('href="/models/churn"') :]
    row = row[: row.index("</tr>")]
    assert "v2" in row and "Production" in row
    assert "@champion→v2" in unescape(row)
    assert "team" in row and "ds" in row


def test_models_search_by_text_and_by_filter_and_sort(http: TestClient) -> None:
    services = services_of(http)
    for name in ("fraud-a", "fraud-b", "churn"):
        services.registry.create_registered_model(name, tags={"team": name[:5]})
    text = http.get("/models", params={"q": "fraud"}).text
    assert "/models/fraud-a" in text and "/models/churn" not in text
    filtered = http.get("/models", params={"q": "tags.team = 'churn'"}).text
    assert "/models/churn" in filtered and "/models/fraud-a" not in filtered
    assert "Read as a filter" in filtered
    desc = http.get("/models", params={"sort": "-name"}).text
    assert desc.index("/models/fraud-b") < desc.index("/models/churn")
    bad = http.get("/models", params={"q": "tags.team = "})
    assert bad.status_code == 400 and "INVALID_PARAMETER_VALUE" in bad.text


def test_models_page_is_paged(http: TestClient) -> None:
    services = services_of(http)
    for i in range(55):
        services.registry.create_registered_model(f"m{i:03d}")
    first = http.get("/models").text
    assert first.count('href="/models/m') == 50
    token = re.search(r'rel="next" href="/models\?page=([^&"]+)', first)
    assert token
    second = http.get("/models", params={"page": unquote(unescape(token.group(1)))}).text
    assert second.count('href="/models/m') == 5 and 'rel="prev"' in second


def test_model_page_shows_description_versions_and_history(http: TestClient) -> None:
    seed_model(services_of(http))
    page = http.get("/models/churn").text
    assert "<strong>churn</strong>" in page  # markdown rendered
    assert 'href="/models/churn/versions/2"' in page
    assert 'id="history"' in page and "model_version.created" in page
    assert 'href="/runs/' in page


def test_version_page_lineage_files_signature_and_charts(http: TestClient) -> None:
    seeded = seed_model(services_of(http))
    page = http.get("/models/churn/versions/1").text
    assert "alpha" in page and "0.5" in page  # run params
    assert "abc1231" in page  # code version (git commit)
    assert "train-set" in page and "d1" in page  # dataset input
    assert "weights.bin" in page and "1000 B" in page and "MLmodel" in page
    manifest = services_of(http).registry.get_model_version_manifest("churn", 1)
    assert manifest and manifest["weights.bin"] in page  # SHA-256 shown
    assert "python_function" in page and "double" in page  # flavor and signature
    assert "1.5" in page  # input example
    charts = _chart_data(page)
    loss = next(c for c in charts if c["title"] == "loss")
    assert loss["x"] == [0, 1, 2, 3, 4] and loss["ys"] == [[1.0, 0.5, 1 / 3, 0.25, 0.2]]
    assert f"/experiments/{seeded.experiment_id}/runs/{seeded.run_ids[0]}" in page


def test_integrity_check_reports_intact_then_changed(http: TestClient) -> None:
    services = services_of(http)
    seed_model(services, versions=1)
    page = http.get("/models/churn/versions/1").text
    token = csrf_from(page)
    ok = http.post(
        "/models/churn/versions/1/verify",
        data={"csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert ok.status_code == 200 and "intact" in ok.text and "<html" not in ok.text
    location = services.registry.get_model_version("churn", 1).storage_location
    assert location
    path = services.artifacts.store.uri_for(f"{location}/weights.bin")
    with open(path.removeprefix("file://"), "wb") as handle:
        handle.write(b"tampered")
    bad = http.post("/models/churn/versions/1/verify", data={"csrf_token": token})
    assert "differs" in bad.text and "weights.bin" in bad.text and "<html" in bad.text


def test_compare_highlights_differences_and_overlays_charts(http: TestClient) -> None:
    seed_model(services_of(http), versions=3)
    page = http.get("/compare", params={"name": "churn", "versions": "1,3"}).text
    alpha = page[page.index('<th scope="row">alpha</th>') - 30 :]
    assert alpha.startswith(' class="differs">') or 'class="differs"' in alpha[:40]
    depth_row = page[
        page.index('<th scope="row">depth</th>') - 40 : page.index('<th scope="row">depth</th>')
    ]
    assert "differs" not in depth_row
    loss = next(c for c in _chart_data(page) if c["title"] == "loss")
    assert loss["labels"] == ["v1", "v3"] and len(loss["ys"]) == 2
    # The model page's checkboxes submit v=1&v=2.
    assert http.get("/compare?name=churn&v=1&v=2").status_code == 200
    assert http.get("/compare", params={"name": "churn", "versions": "1"}).status_code == 400


def test_experiments_runs_and_the_run_page(http: TestClient) -> None:
    seeded = seed_model(services_of(http), versions=1)
    listing = http.get("/experiments").text
    assert f'href="/experiments/{seeded.experiment_id}"' in listing
    runs = http.get(f"/experiments/{seeded.experiment_id}").text
    run_id = seeded.run_ids[0]
    assert f"/runs/{run_id}" in runs and "train-1" in runs
    page = http.get(f"/experiments/{seeded.experiment_id}/runs/{run_id}").text
    assert "alpha" in page and "model/" in page
    assert any(c["title"] == "loss" for c in _chart_data(page))
    inside = http.get(
        f"/experiments/{seeded.experiment_id}/runs/{run_id}", params={"path": "model"}
    )
    assert "weights.bin" in inside.text and "/api/2.0/mlflow-artifacts/artifacts/" in inside.text
    assert http.get(f"/experiments/999/runs/{run_id}").status_code == 404
    moved = http.get(f"/runs/{run_id}", follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/experiments/{seeded.experiment_id}/runs/{run_id}"


def test_audit_filters_by_model_actor_type_and_time(http: TestClient) -> None:
    services = services_of(http)
    seed_model(services, "churn", versions=1)
    services.registry.as_actor("alice").create_registered_model("fraud")
    everything = http.get("/audit").text
    assert "registered_model.created" in everything and "run.created" in everything
    by_model = http.get("/audit", params={"model": "fraud"}).text
    assert "/models/fraud" in by_model and "/models/churn" not in by_model
    by_actor = http.get("/audit", params={"actor": "alice"}).text
    assert "fraud" in by_actor and "churn" not in by_actor
    by_type = http.get("/audit", params={"type": "model_version."}).text
    assert "model_version.created" in by_type and "registered_model.created" not in by_type
    future = http.get("/audit", params={"since": "2999-01-01"}).text
    assert "No events match" in future
    assert http.get("/audit", params={"since": "yesterday"}).status_code == 400
    assert http.get("/audit", params={"type": "x'; drop"}).status_code == 400


def test_unknown_model_is_an_html_404(http: TestClient) -> None:
    page = http.get("/models/nope")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert "RESOURCE_DOES_NOT_EXIST" in page.text


def test_posts_without_the_csrf_token_are_refused(http: TestClient) -> None:
    services = services_of(http)
    seed_model(services, versions=1)
    http.get("/models/churn")  # sets the cookie
    refused = http.post("/models/churn/description", data={"description": "changed"})
    assert refused.status_code == 403
    wrong = http.post(
        "/models/churn/description", data={"description": "x", "csrf_token": "y" * 43}
    )
    assert wrong.status_code == 403
    assert services.registry.get_registered_model("churn").description == "Predicts **churn**."


def test_edit_description_form_and_htmx(http: TestClient) -> None:
    services = services_of(http)
    seed_model(services, versions=1)
    token = csrf_from(http.get("/models/churn").text)
    done = http.post(
        "/models/churn/description",
        data={"description": "Now *better*", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/models/churn"
    assert services.registry.get_registered_model("churn").description == "Now *better*"
    fragment = http.post(
        "/models/churn/versions/1/description",
        data={"description": "v1 notes"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert fragment.status_code == 200 and fragment.text.startswith('<div id="description"')
    assert services.registry.get_model_version("churn", 1).description == "v1 notes"


def test_stage_and_alias_actions(http: TestClient) -> None:
    services = services_of(http)
    seed_model(services, versions=2)
    token = csrf_from(http.get("/models/churn/versions/1").text)
    http.post("/models/churn/versions/1/stage", data={"stage": "Production", "csrf_token": token})
    http.post(
        "/models/churn/versions/2/stage",
        data={"stage": "Production", "archive_existing": "on", "csrf_token": token},
    )
    assert services.registry.get_model_version("churn", 1).current_stage == "Archived"
    assert services.registry.get_model_version("churn", 2).current_stage == "Production"
    http.post("/models/churn/versions/2/aliases", data={"alias": "champion", "csrf_token": token})
    assert services.registry.get_model_version_by_alias("churn", "champion").version == "2"
    gone = http.post(
        "/models/churn/versions/2/aliases/delete",
        data={"alias": "champion", "back": "//evil.example/", "csrf_token": token},
        follow_redirects=False,
    )
    assert gone.headers["location"] == "/models/churn"  # never off-site
    assert "champion" not in services.registry.get_registered_model("churn").aliases
    bad = http.post("/models/churn/versions/2/stage", data={"stage": "Nope", "csrf_token": token})
    assert bad.status_code == 400


def test_hostile_strings_stay_text(http: TestClient) -> None:
    services = services_of(http)
    services.tracking.create_experiment(HOSTILE)
    seed_model(services, "evil", versions=1, description=HOSTILE, run_name=HOSTILE)
    services.registry.set_registered_model_tag("evil", "team note", HOSTILE)
    services.registry.set_model_version_tag("evil", 1, "note", HOSTILE)
    seeded_run = services.registry.get_model_version("evil", 1).run_id
    experiment_id = services.tracking.get_run(seeded_run).info.experiment_id
    for path in (
        "/models",
        "/models/evil",
        "/models/evil/versions/1",
        "/experiments",
        f"/experiments/{experiment_id}",
        f"/experiments/{experiment_id}/runs/{seeded_run}",
        "/audit",
    ):
        html = http.get(path).text
        assert "<script>alert" not in html, path
        assert "<img src=x" not in html, path
        assert "&lt;script&gt;" in html, path


@pytest.mark.parametrize(
    "path", ["/static/ui.js", "/static/ui.css", "/static/vendor/htmx-2.0.11.min.js"]
)
def test_static_assets_are_served(http: TestClient, path: str) -> None:
    found = http.get(path)
    assert found.status_code == 200 and found.headers["cache-control"].startswith("public")
    assert "content-security-policy" in found.headers


def test_the_json_api_is_unchanged(http: TestClient) -> None:
    services_of(http).registry.create_registered_model("churn")
    found = http.get("/api/2.0/mlflow/registered-models/get", params={"name": "churn"})
    assert found.json()["registered_model"]["name"] == "churn"
    missing = http.get("/api/2.0/mlflow/nothing-here")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/json"


def test_long_param_and_metric_lists_are_capped_with_a_note(http: TestClient) -> None:
    services = services_of(http)
    experiment = services.tracking.create_experiment("wide")
    run = services.tracking.create_run(experiment, run_name="wide")
    params = {f"p{i:04d}": str(i) for i in range(250)}
    for chunk in (dict(list(params.items())[:100]), dict(list(params.items())[100:200])):
        services.tracking.log_batch(run.info.run_id, params=chunk)
    services.tracking.log_batch(run.info.run_id, params=dict(list(params.items())[200:]))
    page = http.get(f"/experiments/{experiment}/runs/{run.info.run_id}").text
    assert "(first 200 of 250)" in page and "p0199" in page and "p0200" not in page


def test_audit_links_tracking_events_to_their_run(http: TestClient) -> None:
    services = services_of(http)
    experiment = services.tracking.create_experiment("e")
    run_id = services.tracking.create_run(experiment).info.run_id
    assert f'href="/runs/{run_id}"' in http.get("/audit", params={"type": "run."}).text


def test_the_csrf_cookie_is_secure_behind_tls(http: TestClient) -> None:
    plain = http.get("/models")
    assert "secure" not in plain.headers["set-cookie"].lower()
    assert "httponly" in plain.headers["set-cookie"].lower()
    assert "samesite=strict" in plain.headers["set-cookie"].lower()
    http.cookies.clear()
    behind = http.get("/models", headers={"X-Forwarded-Proto": "https"})
    assert "secure" in behind.headers["set-cookie"].lower()


def test_pages_of_a_bare_model_and_an_external_version(http: TestClient) -> None:
    services = services_of(http)
    services.registry.create_registered_model("bare")
    assert "No versions yet." in http.get("/models/bare").text
    # No run: a version's run_id must name a run of this server (issue 8).
    services.registry.create_model_version("bare", "s3://bucket/elsewhere")
    page = http.get("/models/bare/versions/1")
    assert page.status_code == 200
    assert "no copy of this version" in page.text
    verify = http.post(
        "/models/bare/versions/1/verify",
        data={"csrf_token": csrf_from(page.text)},
        headers={"HX-Request": "true"},
    )
    assert "not checked" in verify.text
    compare = http.get("/compare", params={"name": "bare", "versions": "1,1,1"})
    assert compare.status_code == 400  # one distinct version is no comparison


def test_a_form_from_another_origin_is_refused(http: TestClient) -> None:
    services = services_of(http)
    seed_model(services, versions=1)
    token = csrf_from(http.get("/models/churn").text)
    for origin in ("https://evil.example", "null"):
        refused = http.post(
            "/models/churn/description",
            data={"description": "x", "csrf_token": token},
            headers={"Origin": origin},
        )
        assert refused.status_code == 403, origin
    same = http.post(
        "/models/churn/description",
        data={"description": "ok", "csrf_token": token},
        headers={"Origin": "http://localhost"},
        follow_redirects=False,
    )
    assert same.status_code == 303
    assert services.registry.get_registered_model("churn").description == "ok"


def test_a_hostile_mlmodel_is_shown_as_text(http: TestClient) -> None:
    services = services_of(http)
    experiment = services.tracking.create_experiment("e")
    for number, mlmodel in enumerate(
        [
            "flavors:\n  '<script>alert(1)</script>': {}\nsignature:\n  inputs: "
            '\'[{"type": "double", "name": "<img src=x onerror=alert(1)>"}]\'\n',
            "flavors: !!python/object/apply:os.system ['touch /tmp/pwned-ui']\n",
        ],
        start=1,
    ):
        run = services.tracking.create_run(experiment)
        root = run.info.artifact_uri.removeprefix("mlflow-artifacts:").strip("/")
        services.artifacts.write(f"{root}/model/MLmodel", [mlmodel.encode()])
        if number == 1:
            services.registry.create_registered_model("hostile")
        services.registry.create_model_version(
            "hostile", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id
        )
        page = http.get(f"/models/hostile/versions/{number}")
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "MLmodel cannot be read" in page.text or "not valid YAML" in page.text
