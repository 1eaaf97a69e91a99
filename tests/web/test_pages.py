"""The pages: the Task Manager grid and its actions, a task's page, profiles, Configure and
the catalog; what comes from a feed is shown escaped."""

from __future__ import annotations

import re
from datetime import timedelta

from webtools import csrf_of, drain, import_data, task_of, write_feed

from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.store.db import write_tx
from syncbeat.store.settings import record_heartbeat


def _post(client, path, data=None, page="/tasks"):
    token = csrf_of(client.get(page).text)
    return client.post(path, data={"csrf_token": token, **(data or {})},
                       follow_redirects=False)


def test_the_grid_lists_tasks_newest_first_with_status_and_the_five_counts(web, ctx, shop):
    first = run_now(ctx, shop["import"].id)
    drain(ctx)
    second = run_now(ctx, shop["import"].id)
    html = web.get("/tasks").text
    rows = re.findall(r'data-live-task="(\d+)" data-status="(\w+)"', html)
    assert rows == [(str(second), "pending"), (str(first), "completed")]
    assert 'Processed <b data-count="processed">6</b>' in html
    assert 'Skipped <b data-count="skipped">3</b>' in html
    assert 'Error <b data-count="error">1</b>' in html
    assert 'Cancelled <b data-count="cancelled">0</b>' in html
    assert 'Pending <b data-count="pending">0</b>' in html
    assert '<b data-count="done">10</b> of <span data-count="total">10</span>' in html


def test_the_grid_filters_sorts_and_pages_on_the_server(web, ctx, shop):
    ids = [run_now(ctx, shop["import"].id) for _ in range(3)]
    exported = run_now(ctx, shop["export"].id)
    html = web.get("/tasks?kind=export").text
    assert re.findall(r'data-live-task="(\d+)"', html) == [str(exported)]
    html = web.get("/tasks?sort=id&order=asc&per_page=2&page=2").text
    assert re.findall(r'data-live-task="(\d+)"', html) == [str(ids[2]), str(exported)]
    assert "Page 2 of 2" in html
    assert web.get("/tasks?status=completed").text.count("data-live-task=") == 0
    assert web.get("/tasks?date_from=nonsense").status_code == 400


def test_reasons_of_error_and_missed_tasks_are_shown_escaped(web, ctx, shop):
    from syncbeat.store.tasks import move_task

    task_id = run_now(ctx, shop["import"].id)
    with write_tx(ctx.db) as conn:
        move_task(conn, task_id, TaskStatus.ERROR, now=ctx.clock(),
                  message='feed said <script>alert("x")</script>')
    html = web.get("/tasks").text
    assert "<script>alert" not in html
    assert "feed said &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_product_names_from_a_feed_are_escaped_on_every_page(web, ctx, shop):
    write_feed(ctx, "a.csv", [["P1", "<img src=x onerror=alert(1)>", "9.00", "1"]])
    task_id = run_now(ctx, shop["import"].id)
    drain(ctx)
    for page in (f"/tasks/{task_id}", "/catalog", "/catalog/P1"):
        html = web.get(page).text
        assert "<img src=x" not in html, page
        assert "&lt;img src=x onerror=alert(1)&gt;" in html, page


def test_run_now_kill_and_delete_from_the_grid(web, ctx, shop):
    done = _post(web, "/run", {"profile": str(shop["import"].id), "next": "/tasks"})
    assert done.status_code == 303
    flash = web.get("/tasks").text
    task_id = int(re.search(r"task (\d+) created", flash).group(1))
    assert "it starts at the next heartbeat" in flash
    Heartbeat(ctx).tick()
    killed = _post(web, f"/tasks/{task_id}/kill", {"next": "/tasks"})
    assert killed.headers["location"] == "/tasks"
    assert "pending items cancelled" in web.get("/tasks").text
    assert task_of(ctx, task_id).status is TaskStatus.KILLED
    again = _post(web, f"/tasks/{task_id}/kill", {"next": "/tasks"})
    assert "only a pending or running task can be killed" in web.get(again.headers["location"]).text
    _post(web, f"/tasks/{task_id}/delete", {"next": f"/tasks/{task_id}"})
    assert task_of(ctx, task_id) is None


def test_bulk_delete_of_the_selected_tasks(web, ctx, shop):
    ids = [run_now(ctx, shop["import"].id) for _ in range(3)]
    token = csrf_of(web.get("/tasks").text)
    response = web.post("/tasks/delete", data={"csrf_token": token, "ids": ids[:2],
                                               "next": "/tasks"}, follow_redirects=False)
    assert response.status_code == 303
    assert "2 tasks deleted" in web.get("/tasks").text
    assert [task_of(ctx, i) is None for i in ids] == [True, True, False]


def test_a_task_page_shows_fields_log_tail_and_items_by_outcome(web, ctx, shop):
    task_id = run_now(ctx, shop["import"].id)
    drain(ctx)
    html = web.get(f"/tasks/{task_id}").text
    assert "completed: 10 items: 6 processed, 3 skipped, 0 cancelled, 1 error" in html
    assert "price: 1.00 -&gt; 2.00; quantity: 1 -&gt; 5" in html
    errors = web.get(f"/tasks/{task_id}?outcome=error").text
    assert errors.count('<td><span class="out out-error">') == 1 and "not a number" in errors
    assert '<i>net_price</i> abc' in errors
    assert web.get(f"/tasks/{task_id}?outcome=lost").status_code == 400
    assert web.get("/tasks/999").status_code == 404


def test_downloads_from_the_pages(web, ctx, shop):
    task_id = run_now(ctx, shop["import"].id)
    drain(ctx)
    report = web.get(f"/tasks/{task_id}/report")
    assert report.headers["content-type"] == "text/csv; charset=utf-8"
    assert report.text.splitlines()[0] == "item,key,outcome,detail"
    assert web.get(f"/tasks/{task_id}/log").headers["content-type"].startswith("text/plain")
    assert web.get(f"/tasks/{task_id}/export-file").status_code == 404


def test_profiles_list_with_schedule_in_words_next_run_and_last_task(web, ctx, shop):
    from webtools import add_profile

    add_profile(ctx, import_data(name="Nightly", schedule="0 2 * * *"))
    run_now(ctx, shop["import"].id)
    html = web.get("/profiles").text
    assert "At 02:00" in html and "2026-11-03 02:00" in html
    assert "By hand only" in html and 'badge st-pending' in html


def test_creating_a_profile_with_a_bad_cron_shows_the_message_beside_the_field(web):
    form = {"kind": "import", "name": "Bad cron", "schedule": "every monday",
            "timezone": "UTC", "batch_size": "100", "enabled": "on",
            "source.location": "feeds/a.csv", "source.format": "csv",
            "source.delimiter": ";", "source.header": "on", "match.feed": "sku",
            "match.catalog": "reference", "map_catalog": ["price", ""],
            "map_feed": ["net_price", ""], "options.skip_unchanged": "on"}
    response = _post(web, "/profiles/new", form, page="/profiles/new")
    assert response.status_code == 422
    found = re.search(r'data-error-for="schedule">([^<]+)<', response.text)
    assert found and "is not a valid cron expression" in found.group(1)
    assert 'value="Bad cron"' in response.text  # what was typed stays
    form["schedule"] = "30 6 * * 1"
    saved = _post(web, "/profiles/new", form, page="/profiles/new")
    assert saved.status_code == 303
    assert "profile &#39;Bad cron&#39; saved" in web.get("/profiles").text


def test_the_edit_form_shows_the_next_five_runs_in_the_profiles_zone(web, ctx):
    from webtools import add_profile

    profile = add_profile(ctx, import_data(schedule="0 9 * * *", timezone="America/New_York"))
    html = web.get(f"/profiles/{profile.id}/edit").text
    runs = re.findall(r"<li>([^<]+)</li>", html)
    assert runs == [f"{d} 2026-11-0{n} 09:00 EST (UTC-05:00)" for d, n in
                    [("Mon", 2), ("Tue", 3), ("Wed", 4), ("Thu", 5), ("Fri", 6)]]


def test_preview_from_the_form_and_from_the_list(web, ctx, shop):
    form = {"kind": "import", "name": "Try", "action": "preview",
            "source.location": "feeds/a.csv", "source.format": "csv", "source.delimiter": ";",
            "source.header": "on", "match.feed": "sku", "match.catalog": "reference",
            "map_catalog": ["price"], "map_feed": ["net_price"]}
    response = _post(web, "/profiles/new", form, page="/profiles/new")
    assert response.status_code == 200
    assert "price: 1.00 -&gt; 2.00" in response.text and "Nothing was saved" in response.text
    saved = web.get(f"/profiles/{shop['import'].id}/preview").text
    assert "not in the catalog and create_missing is off" in saved


def test_enable_disable_and_delete_a_profile_from_the_list(web, ctx, shop):
    pid = shop["import"].id
    _post(web, f"/profiles/{pid}/disable", page="/profiles")
    assert "profile &#39;Supplier A&#39; disabled" in web.get("/profiles").text
    _post(web, f"/profiles/{pid}/enable", page="/profiles")
    _post(web, f"/profiles/{pid}/delete", page="/profiles")
    html = web.get("/profiles").text
    assert "profile &#39;Supplier A&#39; deleted; its tasks are kept" in html
    assert f'href="/profiles/{pid}/edit"' not in html


def test_configure_saves_settings_and_shows_a_refused_one_beside_its_field(web):
    token = csrf_of(web.get("/configure").text)
    values = {"default_batch_size": "500", "time_budget_seconds": "5", "tick_interval_seconds":
              "5", "timezone": "Europe/Vilnius", "retention_days": "14",
              "start_window_minutes": "10", "lease_seconds": "120"}
    ok = web.post("/configure/settings", data={"csrf_token": token, **values},
                  follow_redirects=False)
    assert ok.status_code == 303
    assert 'name="retention_days" value="14"' in web.get("/configure").text
    bad = web.post("/configure/settings", data={"csrf_token": token, **values,
                                                "retention_days": "0"})
    assert bad.status_code == 422
    assert re.search(r'data-error-for="retention_days">retention_days: must be between',
                     bad.text)


def test_configure_warns_when_no_heartbeat_has_run_for_a_while(web, ctx):
    html = web.get("/configure").text
    assert "No heartbeat has ever run: no task will start" in html
    with write_tx(ctx.db) as conn:
        record_heartbeat(conn, ctx.clock() - timedelta(minutes=12), {"worker": "w1"})
    assert "No heartbeat for 12 minutes: no task will start" in web.get("/configure").text
    Heartbeat(ctx).tick()
    html = web.get("/configure").text
    assert "no task will start" not in html and "a moment ago" in html


def test_api_tokens_are_shown_once_listed_and_revoked(web, ctx):
    token = csrf_of(web.get("/configure").text)
    made = web.post("/configure/tokens", data={"csrf_token": token, "name": "cron",
                                               "scope": "heartbeat"})
    secret = re.search(r'id="new-token">(sb_[^<]+)<', made.text).group(1)
    assert f"/api/heartbeat?token={secret}" in made.text
    listed = web.get("/configure").text
    assert secret not in listed and secret[:10] in listed
    token_id = re.search(r"/configure/tokens/(\d+)/revoke", listed).group(1)
    web.post(f"/configure/tokens/{token_id}/revoke", data={"csrf_token": token})
    assert "No token yet" in web.get("/configure").text


def test_a_token_made_on_configure_has_the_scope_chosen_and_shows_its_last_use(web, anon,
                                                                              ctx):
    csrf = csrf_of(web.get("/configure").text)
    refused = web.post("/configure/tokens", data={"csrf_token": csrf, "name": "x",
                                                  "scope": "api"})
    assert refused.status_code == 422 and "api:read, api:write, heartbeat" in refused.text
    made = web.post("/configure/tokens", data={"csrf_token": csrf, "name": "dashboard",
                                               "scope": "api:read"})
    secret = re.search(r'id="new-token">(sb_[^<]+)<', made.text).group(1)
    row = re.search(r"<tr><td>dashboard</td>.*?</tr>", web.get("/configure").text, re.S)
    assert "api:read" in row.group(0) and "never" in row.group(0)
    ctx.clock.advance(minutes=5)
    assert anon.get("/api/tasks", headers={"Authorization": f"Bearer {secret}"}
                    ).status_code == 200
    row = re.search(r"<tr><td>dashboard</td>.*?</tr>", web.get("/configure").text, re.S)
    assert "never" not in row.group(0) and ctx.clock().strftime("%H:%M") in row.group(0)


def test_the_catalog_search_and_a_products_history(web, ctx, shop):
    task_id = run_now(ctx, shop["import"].id)
    drain(ctx)
    html = web.get("/catalog?q=P1").text
    assert re.findall(r'href="/catalog/(P\d+)"', html) == ["P1", "P10"]
    product = web.get("/catalog/P3").text
    assert f'href="/tasks/{task_id}"' in product and "quantity: 1 -&gt; 5" in product
    assert web.get("/catalog/NOPE").status_code == 404
