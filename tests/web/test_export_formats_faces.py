"""The export's file format on the faces (issue 11): the API's download answers with the
format's content type, and the profile form shows and keeps the format."""

from __future__ import annotations

from webtools import add_products, csrf_of, drain, export_data

from syncbeat.engine.actions import run_now


def test_a_csv_export_downloads_as_csv_and_the_form_keeps_its_format(api, web, ctx):
    add_products(ctx, 2)
    made = api.post("/api/profiles", json=export_data(destination={"format": "csv",
                                                                   "delimiter": ";"}))
    assert made.status_code == 201, made.text
    pid = made.json()["id"]
    assert made.json()["destination"] == {"format": "csv", "delimiter": ";"}
    task_id = run_now(ctx, pid)
    drain(ctx)
    got = api.get(f"/api/tasks/{task_id}/export-file")
    assert got.status_code == 200
    assert got.headers["content-type"] == "text/csv; charset=utf-8"
    assert f'filename="syncbeat-task-{task_id}-export.csv"' in got.headers["content-disposition"]
    assert got.text.splitlines()[:2] == ["sku;price", "P1;1.00"]
    page = web.get(f"/profiles/{pid}/edit").text
    assert "<option selected>csv</option>" in page
    form = {"csrf_token": csrf_of(page), "action": "save", "kind": "export",
            "name": "To the app", "enabled": "on", "out_name": "sku", "out_catalog": "reference",
            "destination.format": "xml", "destination.delimiter": ",",
            "destination.item": "offer", "destination.location": ""}
    saved = web.post(f"/profiles/{pid}/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text[:2000]
    assert api.get(f"/api/profiles/{pid}").json()["destination"] == {"format": "xml",
                                                                      "item": "offer"}
