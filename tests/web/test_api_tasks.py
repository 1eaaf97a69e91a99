"""/api/tasks: lists with filters, a task, kill, delete, log, report, export file, items, and
the errors of each."""

from __future__ import annotations

import csv
import io
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import anyio
from webtools import drain, task_of

from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.heartbeat import Heartbeat


def _ran(ctx, shop):
    imported = run_now(ctx, shop["import"].id)
    drain(ctx)
    exported = run_now(ctx, shop["export"].id)
    drain(ctx)
    return imported, exported


def test_a_task_shows_its_counters_times_and_files(api, ctx, shop):
    imported, exported = _ran(ctx, shop)
    task = api.get(f"/api/tasks/{imported}").json()
    assert task["status"] == "completed" and task["kind"] == "import"
    assert task["progress"] == {"total": 10, "pending": 0, "processed": 6, "skipped": 3,
                                "cancelled": 0, "error": 1}
    assert task["links"] == {"log": f"/api/tasks/{imported}/log",
                             "report": f"/api/tasks/{imported}/report",
                             "items": f"/api/tasks/{imported}/items"}
    assert api.get(f"/api/tasks/{exported}").json()["links"]["export_file"].endswith(
        "/export-file")


def test_the_list_filters_sorts_and_pages(api, ctx, shop, clock):
    imported, exported = _ran(ctx, shop)
    clock.advance(days=2)
    later = run_now(ctx, shop["import"].id)
    everything = api.get("/api/tasks").json()
    assert [t["id"] for t in everything["tasks"]] == [later, exported, imported]
    assert everything["total"] == 3
    assert [t["id"] for t in api.get("/api/tasks?status=pending").json()["tasks"]] == [later]
    both = api.get("/api/tasks?status=pending&status=completed").json()
    assert both["total"] == 3
    assert [t["id"] for t in api.get("/api/tasks?kind=export").json()["tasks"]] == [exported]
    by_name = api.get("/api/tasks", params={"profile": "Supplier A"}).json()
    assert [t["id"] for t in by_name["tasks"]] == [later, imported]
    by_id = api.get(f"/api/tasks?profile={shop['export'].id}").json()
    assert [t["id"] for t in by_id["tasks"]] == [exported]
    day = (clock.now - timedelta(days=2)).date().isoformat()
    that_day = api.get(f"/api/tasks?since={day}&until={day}").json()
    assert [t["id"] for t in that_day["tasks"]] == [exported, imported]
    oldest = api.get("/api/tasks?sort=id&order=asc&limit=1&offset=1").json()
    assert [t["id"] for t in oldest["tasks"]] == [exported] and oldest["total"] == 3


def test_bad_list_parameters_are_400_naming_the_field(api):
    cases = {"status=done": "status", "kind=both": "kind", "sort=secret": "sort",
             "since=yesterday": "since", "limit=abc": "limit", "order=sideways": "order"}
    for query, field in cases.items():
        response = api.get(f"/api/tasks?{query}")
        assert response.status_code == 400, query
        assert response.json()["field"] == field, query
        assert "Traceback" not in response.text


def test_an_unknown_task_is_404_everywhere(api):
    for method, path in [("GET", "/api/tasks/99"), ("POST", "/api/tasks/99/kill"),
                         ("DELETE", "/api/tasks/99"), ("GET", "/api/tasks/99/log"),
                         ("GET", "/api/tasks/99/report"), ("GET", "/api/tasks/99/export-file"),
                         ("GET", "/api/tasks/99/items")]:
        response = api.request(method, path)
        assert response.status_code == 404, path
        assert response.json() == {"message": "no task 99", "field": None, "errors": []}


def test_kill_a_running_task_cancels_its_pending_items(api, ctx, shop):
    task_id = run_now(ctx, shop["import"].id)
    heartbeat = Heartbeat(ctx)
    heartbeat.tick()  # starts and queues
    heartbeat.tick()  # one batch of 3
    killed = api.post(f"/api/tasks/{task_id}/kill")
    assert killed.status_code == 200
    body = killed.json()
    assert body["cancelled"] == 7 and body["task"]["status"] == "killed"
    assert body["task"]["progress"]["cancelled"] == 7 and body["task"]["progress"]["pending"] == 0
    again = api.post(f"/api/tasks/{task_id}/kill")
    assert again.status_code == 409
    assert "only a pending or running task can be killed" in again.json()["message"]
    cancelled = api.get(f"/api/tasks/{task_id}/items?outcome=cancelled").json()["items"]
    assert [i["key"] for i in cancelled] == ["P4", "P5", "P6", "P7", "P8", "NEW1", "NEW2"]


def test_delete_a_task(api, ctx, shop):
    task_id = run_now(ctx, shop["import"].id)
    Heartbeat(ctx).tick()
    assert api.delete(f"/api/tasks/{task_id}").status_code == 204
    assert task_of(ctx, task_id) is None
    assert not ctx.task_dir(task_id).exists()


def test_the_report_log_and_export_file_download_with_their_types_and_names(api, ctx, shop):
    imported, exported = _ran(ctx, shop)
    report = api.get(f"/api/tasks/{imported}/report")
    assert report.headers["content-type"] == "text/csv; charset=utf-8"
    assert report.headers["content-disposition"].startswith(
        f'attachment; filename="syncbeat-task-{imported}-report.csv"')
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert len(rows) == 10
    assert rows[0] == {"item": "1", "key": "P1", "outcome": "processed",
                       "detail": "price: 1.00 -> 2.00; quantity: 1 -> 5"}
    assert rows[6]["outcome"] == "error" and "not a number" in rows[6]["detail"]
    log = api.get(f"/api/tasks/{imported}/log")
    assert log.headers["content-type"] == "text/plain; charset=utf-8"
    assert f"syncbeat-task-{imported}-log.txt" in log.headers["content-disposition"]
    assert "completed: 10 items" in log.text
    export = api.get(f"/api/tasks/{exported}/export-file")
    assert export.headers["content-type"] == "application/json"
    assert f"syncbeat-task-{exported}-export.json" in export.headers["content-disposition"]
    assert len(json.loads(export.content)["products"]) == 10
    not_export = api.get(f"/api/tasks/{imported}/export-file")
    assert not_export.status_code == 404 and "only exports" in not_export.json()["message"]
    pending = run_now(ctx, shop["export"].id)
    not_yet = api.get(f"/api/tasks/{pending}/export-file")
    assert not_yet.status_code == 409 and "no export file yet" in not_yet.json()["message"]


def test_a_big_report_streams_in_pieces(api, ctx):
    """The response is a stream of pieces, never one document built in memory."""
    from webtools import add_profile, import_data, write_feed

    from syncbeat.web.downloads import log_download, report_download

    write_feed(ctx, "big.csv", [[f"B{i}", "x", "1.00", "1"] for i in range(12_000)])
    big = add_profile(ctx, import_data(name="Big", batch_size=5000,
                                       source={"location": "feeds/big.csv", "format": "csv",
                                               "delimiter": ";"}))
    task_id = run_now(ctx, big.id)
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.progress.skipped == 12_000
    pieces = _collect(report_download(ctx, task).body_iterator)
    assert len(pieces) == 3 and all(len(p) < 400_000 for p in pieces)
    assert sum(p.count("\r\n") for p in pieces) == 12_001
    assert len(_collect(log_download(ctx, task).body_iterator)) > 3
    assert api.get(f"/api/tasks/{task_id}/report").text.count("\r\n") == 12_001


def _collect(chunks):
    """The pieces of a streamed body, read on a thread of their own (as a server would)."""

    async def gather():
        return [chunk async for chunk in chunks]

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(anyio.run, gather).result()


def test_items_filter_by_outcome_and_page_by_number(api, ctx, shop):
    imported, _ = _ran(ctx, shop)
    first = api.get(f"/api/tasks/{imported}/items?limit=4").json()
    assert [i["seq"] for i in first["items"]] == [1, 2, 3, 4] and first["next_after"] == 4
    second = api.get(f"/api/tasks/{imported}/items?limit=4&after=4").json()
    assert [i["seq"] for i in second["items"]] == [5, 6, 7, 8]
    skipped = api.get(f"/api/tasks/{imported}/items?outcome=skipped").json()["items"]
    assert [(i["key"], i["detail"]) for i in skipped] == [
        ("P8", "no change"), ("NEW1", "not in the catalog and create_missing is off"),
        ("NEW2", "not in the catalog and create_missing is off")]
    bad = api.get(f"/api/tasks/{imported}/items?outcome=maybe")
    assert bad.status_code == 400 and bad.json()["field"] == "outcome"


def test_live_gives_the_state_of_some_tasks(api, ctx, shop):
    task_id = run_now(ctx, shop["import"].id)
    Heartbeat(ctx).tick()
    live = api.get(f"/api/tasks/live?ids={task_id},999").json()["tasks"]
    assert [(t["id"], t["status"]) for t in live] == [(task_id, "running")]
    assert task_of(ctx, task_id).status is TaskStatus.RUNNING
    assert api.get("/api/tasks/live?ids=a,b").status_code == 400
