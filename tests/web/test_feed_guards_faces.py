"""Safety limits, duplicates and re-runs through the faces: the API and the form take and
check the settings, the OpenAPI document describes them, a task refused by a limit offers
"Run anyway", and a task with failures offers "Re-run failed" (page and API alike)."""

from __future__ import annotations

import re

from webtools import add_products, add_profile, csrf_of, drain, import_data, task_of, write_feed

from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.store.db import read_tx
from syncbeat.store.profiles import get_profile

LIMITS = {"min_rows": 100, "max_drop_percent": 30}


def test_the_api_saves_limits_and_duplicates_and_names_bad_ones(api):
    made = api.post("/api/profiles", json=import_data(
        limits=LIMITS, options={"create_missing": False, "duplicates": "last_wins"}))
    assert made.status_code == 201, made.text
    assert made.json()["limits"] == LIMITS
    assert made.json()["options"]["duplicates"] == "last_wins"
    refused = api.post("/api/profiles", json=import_data(
        name="Bad", limits={"max_drop_percent": 150, "min": 3},
        options={"duplicates": "first_wins"}))
    assert refused.status_code == 422
    assert {(e["field"], e["message"]) for e in refused.json()["errors"]} == {
        ("options.duplicates", "'first_wins' is not one of error, last_wins"),
        ("limits.min", "is not a setting of this profile"),
        ("limits.max_drop_percent", "must be between 1 and 100, not 150"),
    }


def test_the_openapi_document_describes_limits_duplicates_force_and_rerun(api):
    schema = api.get("/api/openapi.json").json()
    body = schema["paths"]["/api/profiles"]["post"]["requestBody"]["content"]
    props = body["application/json"]["schema"]["properties"]
    assert set(props["limits"]["properties"]) == {"min_rows", "max_drop_percent"}
    assert props["options"]["properties"]["duplicates"]["enum"] == ["error", "last_wins"]
    run = schema["paths"]["/api/profiles/{ref}/run"]["post"]
    assert "force" in {p["name"] for p in run["parameters"]}
    rerun = schema["paths"]["/api/tasks/{task_id}/rerun"]["post"]
    assert "errors_only" in {p["name"] for p in rerun["parameters"]}


def test_the_form_shows_and_saves_limits_and_names_a_bad_one(web, ctx):
    profile = add_profile(ctx, import_data(limits={"min_rows": 5}))
    page = web.get(f"/profiles/{profile.id}/edit").text
    assert re.search(r'name="limits.min_rows" value="5"', page)
    assert re.search(r'name="limits.max_drop_percent" value=""', page)
    form = {"csrf_token": csrf_of(page), "kind": "import", "name": profile.name,
            "batch_size": "3", "timezone": "UTC", "enabled": "on",
            "source.location": "feeds/a.csv", "source.format": "csv", "source.delimiter": ";",
            "source.header": "on", "match.feed": "sku", "match.catalog": "reference",
            "map_catalog": ["price", ""], "map_feed": ["net_price", ""],
            "options.skip_unchanged": "on", "options.duplicates": "last_wins",
            "limits.min_rows": "", "limits.max_drop_percent": "25"}
    saved = web.post(f"/profiles/{profile.id}/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    with read_tx(ctx.db) as conn:
        again = get_profile(conn, profile.id)
    assert again is not None
    assert (again.min_rows, again.max_drop_percent, again.duplicates) == (None, 25, "last_wins")

    form["limits.max_drop_percent"] = "lots"
    refused = web.post(f"/profiles/{profile.id}/edit", data=form)
    assert refused.status_code == 422
    assert "must be a whole number, not &#39;lots&#39;" in refused.text


def test_run_anyway_from_the_page_and_the_api(web, api, ctx):
    add_products(ctx, 2)
    write_feed(ctx, "a.csv", [["P1", "P1", "2.00", "1"], ["P2", "P2", "2.00", "1"]])
    profile = add_profile(ctx, import_data(limits={"min_rows": 3}))
    refused_id = run_now(ctx, profile.id)
    drain(ctx)
    assert task_of(ctx, refused_id).status is TaskStatus.ERROR
    page = web.get(f"/tasks/{refused_id}").text
    assert "Run anyway" in page and "fewer than limits.min_rows (3)" in page
    posted = web.post("/run", data={"csrf_token": csrf_of(page), "profile": str(profile.id),
                                    "force": "1", "next": f"/tasks/{refused_id}"},
                      follow_redirects=False)
    assert posted.status_code == 303
    drain(ctx)
    with read_tx(ctx.db) as conn:
        from syncbeat.store.tasks import TaskFilter, list_tasks
        newest = list_tasks(conn, TaskFilter(profile=str(profile.id)))[0]
    assert newest.status is TaskStatus.COMPLETED and newest.progress.processed == 2

    via_api = api.post(f"/api/profiles/{profile.id}/run", params={"force": "true"})
    assert via_api.status_code == 201
    drain(ctx)
    assert task_of(ctx, via_api.json()["task"]["id"]).status is TaskStatus.COMPLETED
    assert "Run anyway" not in web.get(f"/tasks/{newest.id}").text


def test_rerun_failed_from_the_page_and_the_api(web, api, ctx):
    add_products(ctx, 3)
    write_feed(ctx, "a.csv", [["P1", "P1", "2.00", "1"], ["P2", "P2", "abc", "1"],
                              ["P3", "P3", "x", "1"]])
    profile = add_profile(ctx, import_data())
    first = run_now(ctx, profile.id)
    drain(ctx)
    assert task_of(ctx, first).progress.errors == 2
    page = web.get(f"/tasks/{first}").text
    assert "Re-run failed" in page and "Re-run errors only" not in page
    posted = web.post(f"/tasks/{first}/rerun", data={"csrf_token": csrf_of(page)},
                      follow_redirects=False)
    assert posted.status_code == 303
    new_id = int(posted.headers["location"].split("?")[0].rsplit("/", 1)[1])
    drain(ctx)
    rerun = task_of(ctx, new_id)
    assert rerun.rerun_of == first and rerun.progress.total == 2
    assert f'what failed in <a href="/tasks/{first}">task {first}</a>' in \
        web.get(f"/tasks/{new_id}").text

    again = api.post(f"/api/tasks/{new_id}/rerun", params={"errors_only": "true"})
    assert again.status_code == 201, again.text
    assert again.json()["task"]["rerun_of"] == new_id
    drain(ctx)
    done = api.get(f"/api/tasks/{first}").json()
    assert done["rerun_of"] is None and done["failed_limit"] is False
    refused = api.post(f"/api/tasks/{first}9/rerun")
    assert refused.status_code == 404


def test_missing_and_scope_through_the_api_the_openapi_document_and_the_form(api, web, ctx):
    made = api.post("/api/profiles", json=import_data(
        options={"missing": "disable"}, scope={"reference_prefix": "P"}))
    assert made.status_code == 201, made.text
    assert made.json()["options"]["missing"] == "disable"
    assert made.json()["scope"] == {"field": "reference", "prefix": "P"}
    refused = api.post("/api/profiles", json=import_data(
        name="Bad", options={"missing": "purge"}, scope={"field": "colour", "equals": "x"}))
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.json()["errors"]}
    assert fields == {"options.missing", "scope.field"}

    schema = api.get("/api/openapi.json").json()
    body = schema["paths"]["/api/profiles"]["post"]["requestBody"]["content"]
    props = body["application/json"]["schema"]["properties"]
    assert props["options"]["properties"]["missing"]["enum"] == [
        "leave", "zero_stock", "disable", "delete"]
    assert set(props["scope"]["properties"]) == {"field", "prefix", "equals"}

    profile_id = made.json()["id"]
    page = web.get(f"/profiles/{profile_id}/edit").text
    assert re.search(r'<option value="disable" selected>', page)
    assert re.search(r'name="scope.value" value="P"', page)
    form = {"csrf_token": csrf_of(page), "kind": "import", "name": "Supplier A",
            "batch_size": "3", "timezone": "UTC", "enabled": "on",
            "source.location": "feeds/a.csv", "source.format": "csv", "source.delimiter": ";",
            "source.header": "on", "match.feed": "sku", "match.catalog": "reference",
            "map_catalog": ["price", ""], "map_feed": ["net_price", ""],
            "options.skip_unchanged": "on", "options.missing": "zero_stock",
            "scope.field": "name", "scope.test": "equals", "scope.value": "Product 1"}
    saved = web.post(f"/profiles/{profile_id}/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    with read_tx(ctx.db) as conn:
        again = get_profile(conn, profile_id)
    assert again is not None and again.missing == "zero_stock"
    assert again.to_dict()["scope"] == {"field": "name", "equals": "Product 1"}

    form["scope.field"] = "colour"
    refused_page = web.post(f"/profiles/{profile_id}/edit", data=form)
    assert refused_page.status_code == 422
    assert 'data-error-for="scope.field"' in refused_page.text
