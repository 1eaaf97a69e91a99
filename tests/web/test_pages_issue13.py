"""What issue 13 found misleading in the pages: a batch size that follows the default,
the counts of a killed task, the favicon and the 404 page."""

from __future__ import annotations

import re

from webtools import add_profile, csrf_of, import_data

from syncbeat.engine.actions import kill_task, run_now
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.profiles import get_profile
from syncbeat.store.settings import save_settings

FORM = {"kind": "import", "name": "Follows the default", "timezone": "UTC",
        "batch_size": "", "enabled": "on", "source.location": "feeds/a.csv",
        "source.format": "csv", "source.delimiter": ";", "source.header": "on",
        "match.feed": "sku", "match.catalog": "reference", "map_catalog": ["price", ""],
        "map_feed": ["net_price", ""], "options.skip_unchanged": "on"}


def test_a_new_profile_follows_the_default_batch_size_and_the_form_says_so(web, ctx):
    with write_tx(ctx.db) as conn:
        save_settings(conn, {"default_batch_size": "1000"})
    blank = web.get("/profiles/new").text
    assert 'placeholder="default (1,000)"' in blank
    assert "follows the default of the Configure tab, now 1,000" in blank
    token = csrf_of(blank)
    saved = web.post("/profiles/new", data={"csrf_token": token, **FORM},
                     follow_redirects=False)
    assert saved.status_code == 303
    with read_tx(ctx.db) as conn:
        profile = get_profile(conn, "Follows the default")
    assert profile.batch_size is None
    edit = web.get(f"/profiles/{profile.id}/edit").text
    assert re.search(r'name="batch_size"[^>]*value=""', edit)


def test_a_killed_task_reads_what_was_worked_and_who_killed_it(web, ctx, shop):
    task_id = run_now(ctx, shop["import"].id)
    kill_task(ctx, task_id, by="admin")
    html = web.get("/tasks").text
    row = html[html.index(f'data-live-task="{task_id}"'):]
    assert re.search(r'<b data-count="done">0</b> of <span data-count="total">\d+</span>', row)
    assert "killed by admin · " in row


def test_the_favicon_is_served(web):
    icon = web.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/")


def test_the_404_page_has_the_tabs(web):
    missing = web.get("/no/such/page", headers={"accept": "text/html"})
    assert missing.status_code == 404
    assert 'class="tabs"' in missing.text and 'href="/profiles"' in missing.text


def test_profile_without_its_own_batch_size_in_the_api(api, ctx):
    add_profile(ctx, {k: v for k, v in import_data(name="Defaulted").items()
                      if k != "batch_size"})
    shown = api.get("/api/profiles/Defaulted").json()
    assert shown.get("batch_size") is None


def test_the_time_zones_offered_are_real_ones_with_the_shops_first(web, ctx):
    with write_tx(ctx.db) as conn:
        save_settings(conn, {"timezone": "Europe/Vilnius"})
    html = web.get("/profiles/new").text
    zones = re.findall(r'<option value="([^"]+)">', html[html.index('<datalist id="zones">'):])
    assert zones[0] == "Europe/Vilnius"
    assert "localtime" not in zones and "Factory" not in zones and "UTC" in zones
    assert not any(z.startswith(("posix/", "right/")) for z in zones)


def test_next_runs_are_in_the_profiles_zone_with_the_offset(web, api, ctx):
    add_profile(ctx, import_data(name="Vilnius nightly", schedule="0 2 * * *",
                                 timezone="Europe/Vilnius"))
    runs = api.get("/api/profiles/Vilnius nightly").json()["next_runs"]
    assert runs and all(r.endswith(("+02:00", "+03:00")) and "T02:00:00" in r for r in runs)
    assert re.search(r"\d{4}-\d\d-\d\d 02:00 EE[S]?T \(UTC\+0[23]:00\)",
                     web.get("/profiles").text)


def test_a_preview_with_a_bad_field_says_it_is_a_preview_and_shows_the_feed_problem(web):
    form = {**FORM, "name": "Preview me", "schedule": "every monday", "action": "preview",
            "source.location": "feeds/not-there.csv"}
    token = csrf_of(web.get("/profiles/new").text)
    shown = web.post("/profiles/new", data={"csrf_token": token, **form},
                     follow_redirects=False)
    assert shown.status_code == 422
    alert = shown.text[shown.text.index('class="alert error"'):]
    alert = alert[:alert.index("<form")]
    assert "A preview, nothing was saved: 1 field to fix" in alert
    assert "The profile was not saved" not in shown.text
    assert "The feed cannot be read" in alert and "feeds/not-there.csv does not exist" in alert


def test_saving_a_profile_whose_feed_cannot_be_read_saves_and_warns_as_a_task_would(web, ctx):
    from syncbeat.engine.heartbeat import Heartbeat

    form = {**FORM, "name": "Feed comes later", "source.location": "feeds/later.csv"}
    token = csrf_of(web.get("/profiles/new").text)
    saved = web.post("/profiles/new", data={"csrf_token": token, **form})
    assert saved.status_code == 200
    flash = re.search(r'<div class="flash" role="status">([^<]+)</div>', saved.text).group(1)
    assert flash.startswith("profile &#39;Feed comes later&#39; saved, but its feed cannot be "
                            "read now, so a task would fail: ")
    task_id = run_now(ctx, "Feed comes later")
    Heartbeat(ctx).tick()
    from syncbeat.store.tasks import get_task
    with read_tx(ctx.db) as conn:
        message = get_task(conn, task_id).message
    assert flash.endswith(message.replace("'", "&#39;"))
