"""The Task Manager as a merchant reads it at 1366 and 1024 px (and 768): counts that show
whole wherever the row is, killed tasks that say what was worked and who killed them, rows
that come and go without a reload, a grid that fits, and only error lines in red."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from browsertools import sign_in

pytestmark = pytest.mark.browser
WIDTHS = [1366, 1024]
KILLED = re.compile(r"^\d[\d,]* of 502 worked, [\d,]+ cancelled$")


def _cli(server: Any, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCBEAT_")}
    done = subprocess.run([sys.executable, "-m", "syncbeat.cli", "--data-dir",
                           str(server.data_dir), *args], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def wide(request: Any, browser: Any, server: Any) -> Iterator[Any]:
    """A signed-in page at 1366 and at 1024 px."""
    context = browser.new_context(viewport={"width": request.param, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, server.url)
    yield page
    context.close()


def _inside_window(page: Any, locator: Any) -> None:
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= size["width"] + 0.5, box
    assert box["y"] + box["height"] <= size["height"] + 0.5, box
    # Nothing covers or clips it: the middle of its last line is the tip itself.
    hit = page.evaluate(
        "([x, y]) => !!document.elementFromPoint(x, y)?.closest('.tip')",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] - 6])
    assert hit


def test_the_counts_show_whole_for_a_lone_task_and_for_the_last_row(wide, server):
    wide.goto(f"{server.url}/tasks?status=killed")
    lone = wide.locator("tr[data-live-task] .progress").first
    lone.hover()
    lone.locator(".tip").wait_for(state="visible")
    _inside_window(wide, lone.locator(".tip"))
    wide.goto(f"{server.url}/tasks")
    last = wide.locator("tr[data-live-task] .progress").last
    last.scroll_into_view_if_needed()
    wide.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    last.hover()
    last.locator(".tip").wait_for(state="visible")
    _inside_window(wide, last.locator(".tip"))


def test_the_counts_open_with_the_keyboard_and_on_tap(browser, server):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
    page = context.new_page()
    sign_in(page, server.url)
    page.goto(f"{server.url}/tasks?status=killed")
    progress = page.locator("tr[data-live-task] .progress").first
    progress.focus()
    progress.locator(".tip").wait_for(state="visible")
    _inside_window(page, progress.locator(".tip"))
    page.keyboard.press("Escape")
    page.locator("h1").click()
    progress.locator(".tip").wait_for(state="hidden")
    progress.tap()
    progress.locator(".tip").wait_for(state="visible")
    assert "Cancelled" in progress.locator(".tip").inner_text()
    context.close()


def test_a_killed_task_says_what_was_worked_and_who_killed_it_when(wide, server):
    wide.goto(f"{server.url}/tasks?status=killed")
    row = wide.locator("tr[data-live-task]").first
    assert KILLED.match(row.locator(".progress-text").inner_text().strip())
    reason = row.locator(".reason").inner_text()
    assert re.fullmatch(r"killed by the demo, to show a killed task · \d{4}-\d\d-\d\d "
                        r"\d\d:\d\d:\d\d", reason), reason
    task_id = row.get_attribute("data-live-task")
    wide.goto(f"{server.url}/tasks/{task_id}")
    assert KILLED.match(wide.locator(".progress-text").inner_text().strip())
    assert "killed by the demo" in wide.inner_text('[data-field="message-text"]')
    shown = _cli(server, "tasks", "--status", "killed")
    assert re.search(r"\d+ of 502 worked, \d+ cancelled", shown), shown
    assert "502/502" not in shown


def test_tasks_created_and_deleted_elsewhere_come_and_go_without_a_reload(wide, server):
    wide.goto(f"{server.url}/tasks?kind=export&sort=id&order=desc")
    wide.evaluate("window.notReloaded = true")
    made = _cli(server, "run", "Demo: catalog to app (export)")
    task_id = re.search(r"task (\d+) created", made).group(1)
    row = wide.locator(f'tr[data-live-task="{task_id}"]')
    row.wait_for(timeout=15_000)
    assert wide.locator("tr[data-live-task]").first.get_attribute("data-live-task") == task_id
    _cli(server, "task", "delete", task_id)
    row.wait_for(state="detached", timeout=15_000)
    assert wide.evaluate("window.notReloaded") is True


def test_the_grid_fits_the_window_with_its_actions(wide, server):
    wide.goto(f"{server.url}/tasks")
    wrap = wide.locator(".table-wrap").first
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    assert wide.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    delete = wide.locator("tr[data-live-task]").first.get_by_role("button", name="Delete")
    box = delete.bounding_box()
    assert box is not None and box["x"] + box["width"] <= wide.viewport_size["width"]


def test_the_grid_stays_usable_at_768_px(browser, server):
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    page = context.new_page()
    sign_in(page, server.url)
    page.goto(f"{server.url}/tasks")
    row = page.locator("tr[data-live-task]").first
    for name in ("Report", "Actions Log"):
        box = row.get_by_role("link", name=name).bounding_box()
        assert box is not None and box["x"] + box["width"] <= 768
    assert row.locator(".badge").is_visible() and row.locator(".progress").is_visible()
    context.close()


def test_only_the_error_line_of_a_batch_is_red(wide, server):
    wide.goto(f"{server.url}/tasks/1")
    red = wide.locator("pre.log .lvl-error").all_inner_texts()
    assert red, "the demo's first task has an item error in its last batch"
    assert all(line.strip().startswith("error") for line in red), red
    batch = wide.locator("pre.log span", has_text=re.compile(r"batch \d+: .*1 error")).first
    assert "lvl-error" not in (batch.get_attribute("class") or "")


def test_the_log_names_the_rows_it_could_not_read_and_what_an_export_sends(wide, server):
    wide.goto(f"{server.url}/tasks/1")
    log = wide.inner_text("pre.log")
    assert re.search(r"could not read 2 rows of the feed:\s+item 522: the row has no value "
                     r"for its key\s+item 523 \(DEMO-0009\): row 523 has 2 columns, the "
                     r"header has 4", log), log
    assert "queued 523 items (2 could not be read)" in log
    wide.goto(f"{server.url}/tasks?kind=export&status=completed&sort=id&order=asc")
    task_id = wide.locator("tr[data-live-task]").first.get_attribute("data-live-task")
    wide.goto(f"{server.url}/tasks/{task_id}")
    assert "started: export of active products, batch size 200" in wide.inner_text("pre.log")
