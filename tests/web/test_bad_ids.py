"""Ids that are not ids (a Unicode digit, a 30-digit number, text, a NUL) are "not found" or
a named bad parameter on every face: the API, the pages, the forms and the command line;
never a 500 or a traceback, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import gc
import warnings

import pytest
from click.testing import CliRunner
from webtools import csrf_header, csrf_of, task_of

from syncbeat.engine.actions import run_now

HUGE = "1" + "0" * 30  # past PostgreSQL's INTEGER and SQLite's 64-bit integer
NOT_IDS = ["%C2%B9", "abc", "0", "-1", HUGE]  # as they travel in a URL; %C2%B9 is "¹"


@pytest.mark.parametrize("text", NOT_IDS)
def test_a_task_address_without_a_task_id_is_404_everywhere_in_the_api(api, shop, text):
    shown = "¹" if text == "%C2%B9" else text
    for method, path in [("GET", ""), ("DELETE", ""), ("POST", "/kill"), ("GET", "/log"),
                         ("GET", "/report"), ("GET", "/export-file"), ("GET", "/items")]:
        response = api.request(method, f"/api/tasks/{text}{path}")
        assert response.status_code == 404, (method, path)
        assert response.json()["message"] == (f"no task '{shown}': a task's id is a whole "
                                              "number")


@pytest.mark.parametrize("text", [*NOT_IDS, "%00"])
def test_a_profile_or_product_address_that_names_none_is_404(api, web, shop, text):
    shown = {"%C2%B9": "¹", "%00": "\x00"}.get(text, text)
    for method, path in [("GET", ""), ("PUT", ""), ("DELETE", ""), ("POST", "/enable"),
                         ("POST", "/disable"), ("POST", "/run")]:
        body = {"name": "x", "kind": "export", "fields": {"a": "price"}}
        response = api.request(method, f"/api/profiles/{text}{path}",
                               json=body if method == "PUT" else None)
        assert response.status_code == 404, (method, path)
        assert response.json()["message"] == f"no profile '{shown}'"
    product = api.get(f"/api/products/{text}")
    assert product.status_code == 404 and product.json()["message"] == f"no product '{shown}'"
    # only a signed-in user revokes tokens
    assert web.delete(f"/api/tokens/{text}", headers=csrf_header(web)).status_code == 404


def test_a_profile_is_still_found_by_id_or_by_name(api, shop):
    profile = shop["import"]
    assert api.get(f"/api/profiles/{profile.id}").json()["name"] == profile.name
    assert api.get(f"/api/profiles/{profile.name}").json()["id"] == profile.id
    assert api.get("/api/products/1").json()["product"]["reference"] == "P1"


def test_query_ids_that_are_no_ids(api, ctx, shop):
    task_id = run_now(ctx, shop["import"].id)
    for ref in ("%C2%B9", HUGE, "0"):  # looked up as a name: no profile has it
        listed = api.get(f"/api/tasks?profile={ref}")
        assert listed.status_code == 200 and listed.json()["total"] == 0
    assert api.get(f"/api/tasks?profile={shop['import'].id}").json()["total"] == 1
    for ids in (f"{task_id},%C2%B9", HUGE, "0"):
        live = api.get(f"/api/tasks/live?ids={ids}")
        assert live.status_code == 400, ids
        assert live.json() == {
            "message": "ids: give task ids (whole numbers) separated by commas", "field": "ids",
            "errors": [{"field": "ids",
                        "message": "ids: give task ids (whole numbers) separated by commas"}]}
    for query, field in [(f"offset={HUGE}", "offset"), (f"limit={HUGE}", "limit")]:
        response = api.get(f"/api/tasks?{query}")
        assert response.status_code == 400 and response.json()["field"] == field, query
    after = api.get(f"/api/tasks/{task_id}/items?after={HUGE}")
    assert after.status_code == 400 and after.json()["field"] == "after"
    assert api.get(f"/api/products?offset={HUGE}").status_code == 400


def test_a_wrong_status_names_the_allowed_ones(api):
    response = api.get("/api/tasks?status=pending&status=done")
    assert response.status_code == 400
    assert response.json()["field"] == "status"
    assert response.json()["message"] == ("status: Input should be 'pending', 'missed', "
                                          "'killed', 'running', 'error' or 'completed'")


def test_a_nul_in_a_search_is_no_server_error(api):
    # SQLite searches for it and finds nothing; PostgreSQL cannot hold a NUL: a 400 that says so.
    for path in ("/api/tasks?profile=%00", "/api/products?search=%00"):
        response = api.get(path)
        assert response.status_code in (200, 400), path
        if response.status_code == 400:
            assert response.json()["message"].startswith("a value in this request cannot be "
                                                         "stored or searched for")


@pytest.mark.parametrize("text", NOT_IDS)
def test_pages_of_no_task_profile_or_product_are_404_pages(web, shop, text):
    for path in (f"/tasks/{text}", f"/tasks/{text}/log", f"/profiles/{text}/edit",
                 f"/profiles/{text}/preview", f"/catalog/{text}"):
        response = web.get(path)
        assert response.status_code == 404, path
        assert "Traceback" not in response.text
    token = csrf_of(web.get("/tasks").text)
    for path in (f"/tasks/{text}/kill", f"/tasks/{text}/delete", f"/profiles/{text}/enable",
                 f"/profiles/{text}/delete"):
        response = web.post(path, data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 404, path


def test_the_grid_filters_by_a_profile_that_is_no_id_and_refuses_a_huge_page(web, shop):
    assert web.get("/tasks?profile=%C2%B9").status_code == 200
    assert web.get(f"/tasks?profile={HUGE}").status_code == 200
    assert web.get(f"/tasks?page={HUGE}").status_code == 400
    assert web.get(f"/catalog?page={HUGE}").status_code == 400


def test_the_delete_form_skips_ids_that_are_no_ids(web, ctx, shop):
    task_id = run_now(ctx, shop["import"].id)
    token = csrf_of(web.get("/tasks").text)
    response = web.post("/tasks/delete", data={"csrf_token": token, "next": "/tasks",
                                               "ids": ["¹", HUGE, "x", str(task_id)]},
                        follow_redirects=False)
    assert response.status_code == 303
    assert "1 task deleted" in web.get("/tasks").text
    assert task_of(ctx, task_id) is None
    nothing = web.post("/tasks/delete", data={"csrf_token": token, "ids": ["¹"]},
                       follow_redirects=False)
    assert nothing.status_code == 303
    assert "select the tasks to delete first" in web.get("/tasks").text


@pytest.fixture
def sb(db_url, ctx, tmp_path):
    runner = CliRunner()

    def run(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            result = runner.invoke(main_command(), ["--data-dir", str(tmp_path / "data"),
                                                    "--database-url", db_url, *args], env={})
            gc.collect()
        return result

    return run


def main_command():
    from syncbeat.cli import main

    return main


@pytest.mark.parametrize("args, line", [
    (("task", "show", "¹"), "syncbeat: no task '¹': a task's id is a whole number "
                            "(see `syncbeat tasks`)"),
    (("task", "kill", HUGE), f"syncbeat: no task '{HUGE}': a task's id is a whole number "
                             "(see `syncbeat tasks`)"),
    (("task", "log", "abc"), "syncbeat: no task 'abc': a task's id is a whole number "
                             "(see `syncbeat tasks`)"),
    (("profile", "show", "¹"), "syncbeat: no profile '¹' (see `syncbeat profile list`)"),
    (("profile", "disable", HUGE), f"syncbeat: no profile '{HUGE}' (see `syncbeat profile "
                                   "list`)"),
    (("run", "¹"), "syncbeat: no profile '¹' (see `syncbeat profile list`)"),
])
def test_the_cli_says_in_one_line_that_there_is_no_such_task_or_profile(sb, args, line):
    result = sb(*args)
    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == [line]


def test_the_cli_lists_no_tasks_of_a_profile_that_is_no_id(sb, ctx, shop):
    run_now(ctx, shop["import"].id)
    result = sb("tasks", "--profile", "¹")
    assert result.exit_code == 0 and "(none)" in result.output
