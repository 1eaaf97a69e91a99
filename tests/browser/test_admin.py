"""An operator's day in the admin, in headless Chromium: sign in, read the grid, run and kill
tasks, download a report, fix a profile's cron, and notice a stopped heartbeat."""

from __future__ import annotations

import csv
import io
import re

import pytest
from browsertools import SCREENSHOTS, sign_in

pytestmark = pytest.mark.browser
STOCK = "Demo: supplier stock (CSV)"


def _row(page, task_id):
    return page.locator(f'tr[data-live-task="{task_id}"]')


def _task_id_of_profile(page, name, status):
    row = page.locator("tr[data-live-task]", has_text=name).filter(
        has=page.locator(f".badge.st-{status}")).first
    return int(row.get_attribute("data-live-task"))


def test_sign_in_and_see_the_grid(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server.url}/tasks")
    assert "/login" in page.url
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "wrong password")
    page.click("form.login button[type=submit]")
    assert "wrong user name or password" in page.inner_text(".alert.error")
    sign_in(page, server.url)
    assert page.inner_text("h1") == "Task Manager"
    statuses = set(page.locator("tr[data-live-task]").evaluate_all(
        "rows => rows.map(r => r.dataset.status)"))
    assert {"completed", "missed", "error", "killed", "pending"} <= statuses
    missing = page.locator("tr[data-live-task]", has_text="feed is missing")
    assert "does not exist" in missing.locator(".reason").inner_text()
    context.close()


def test_hover_a_tasks_progress_to_read_the_five_counts(page, server):
    page.goto(f"{server.url}/tasks?status=killed")
    progress = page.locator("tr[data-live-task] .progress").first
    progress.hover()
    tip = progress.locator(".tip")
    tip.wait_for(state="visible")
    counts = dict(re.findall(r"(\w+)\s+([\d,]+)", tip.inner_text()))
    assert set(counts) == {"Pending", "Processed", "Skipped", "Cancelled", "Error"}
    assert counts["Pending"] == "0" and int(counts["Cancelled"].replace(",", "")) > 0
    total = int(progress.locator('[data-count="total"]').inner_text().replace(",", ""))
    assert sum(int(n.replace(",", "")) for n in counts.values()) == total


def test_run_a_profile_and_watch_it_complete_without_reloading(page, server):
    page.goto(f"{server.url}/tasks")
    page.select_option("#run-profile", label=STOCK)
    page.click("form.run-now button")
    flash = page.inner_text(".flash")
    task_id = int(re.search(r"task (\d+) created", flash).group(1))
    page.evaluate("window.notReloaded = true")
    row = _row(page, task_id)
    row.locator(".badge.st-completed").wait_for(timeout=30_000)
    assert page.evaluate("window.notReloaded") is True
    assert row.locator('[data-count="done"]').inner_text() == "523"
    assert row.locator('[data-field="finished_at"]').inner_text() != ""
    row.locator(".progress").hover()
    assert "Processed" in row.locator(".tip").inner_text()
    page.mouse.move(0, 0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _row(page, task_id - 1).locator(".progress").hover()  # show a tooltip in the picture
    page.screenshot(path=str(SCREENSHOTS / "task-manager.png"))


def test_kill_a_running_task_and_see_its_items_cancelled(page, server):
    page.goto(f"{server.url}/profiles")
    row = page.locator("tr", has_text="Slow supplier")
    row.get_by_role("button", name="Run now").click()
    task_id = int(re.search(r"task (\d+) created", page.inner_text(".flash")).group(1))
    page.goto(f"{server.url}/tasks")
    task = _row(page, task_id)
    task.locator(".badge.st-running").wait_for(timeout=20_000)
    page.once("dialog", lambda dialog: dialog.accept())
    task.get_by_role("button", name="Kill Task").click()
    page.wait_for_load_state()
    assert "pending items cancelled" in page.inner_text(".flash")
    task = _row(page, task_id)
    assert task.locator(".badge").inner_text() == "Killed"
    task.locator(".progress").hover()
    cancelled = task.locator('.tip [data-count="cancelled"]').inner_text()
    assert int(cancelled.replace(",", "")) > 0
    assert task.get_by_role("button", name="Kill Task").is_hidden()


def test_download_a_report_and_read_its_rows(page, server):
    page.goto(f"{server.url}/tasks?sort=id&order=asc&per_page=25")
    first = _row(page, 1)
    with page.expect_download() as info:
        first.get_by_role("link", name="Report").click()
    download = info.value
    assert download.suggested_filename == "syncbeat-task-1-report.csv"
    text = download.path().read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 523
    assert rows[0]["key"] == "DEMO-0001" and rows[0]["outcome"] == "processed"
    assert sum(r["outcome"] == "error" for r in rows) == 3


def test_a_profile_with_a_bad_cron_shows_the_message_beside_the_field(page, server):
    page.goto(f"{server.url}/profiles/new?kind=import")
    page.fill("input[name=name]", "Supplier B nightly stock")
    page.fill("#schedule", "0 25 * * *")
    page.locator("#cron-words.bad").wait_for()  # checked while typing, too
    page.fill("input[name='source.location']", "feeds/supplier-stock.csv")
    page.fill("input[name='source.delimiter']", ";")
    page.fill("input[name='match.feed']", "sku")
    page.locator("input[name=map_catalog]").first.fill("quantity")
    page.locator("input[name=map_feed]").first.fill("stock")
    page.get_by_role("button", name="Save").click()
    message = page.locator('[data-error-for="schedule"]')
    assert "is not a valid cron expression" in message.inner_text()
    label = page.locator("label", has=page.locator("#schedule"))
    assert "is not a valid cron expression" in label.inner_text()  # beside its field
    page.fill("#schedule", "30 6 * * 1-5")
    page.locator("#cron-runs li").nth(4).wait_for()
    assert page.locator("#cron-runs li").count() == 5
    page.get_by_role("button", name="Save").click()
    assert "profile 'Supplier B nightly stock' saved" in page.inner_text(".flash")
    page.screenshot(path=str(SCREENSHOTS / "profiles.png"))


def test_the_configure_tab(page, server):
    page.goto(f"{server.url}/configure")
    assert page.locator("#heartbeat-warning").count() == 0
    assert "running" in page.inner_text("#heartbeat")
    page.screenshot(path=str(SCREENSHOTS / "configure.png"), full_page=True)


def test_the_configure_tab_warns_when_no_heartbeat_runs(browser, idle_server):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, idle_server.url)
    page.goto(f"{idle_server.url}/configure")
    warning = page.inner_text("#heartbeat-warning")
    assert "No heartbeat for 12 minutes: no task will start" in warning
    context.close()
