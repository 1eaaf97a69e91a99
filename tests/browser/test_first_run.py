"""The pages a new user meets first (issue 13), at 1366 and 1024 px: the sign-in page says how
to reset the password, the tab has an icon, a wrong address keeps the tabs, a profile follows
the default batch size, a preview shows the feed's problem beside the field errors, a profile
whose feed cannot be read is saved with the task's warning, the time zones offered are real
ones with the shop's first, and next runs are in the profile's zone with the offset."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from browsertools import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(params=[1366, 1024], ids=lambda w: f"{w}px")
def wide(request: Any, browser: Any, server: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": request.param, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_the_sign_in_page_says_how_to_reset_the_password(wide, server):
    wide.goto(f"{server.url}/login")
    assert "syncbeat user password admin --generate" in wide.inner_text("form.login")


def test_the_icon_loads_and_a_wrong_address_keeps_the_tabs(wide, server):
    icon = httpx.get(f"{server.url}/favicon.ico", timeout=5)
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    sign_in(wide, server.url)
    failed = []
    wide.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    answer = wide.goto(f"{server.url}/no/such/page")
    assert answer.status == 404
    assert wide.inner_text("h1") == "Not found"
    wide.get_by_role("link", name="Profiles").click()
    wide.wait_for_url(f"{server.url}/profiles")
    assert not [url for url in failed if "favicon" in url]


def test_a_new_profile_follows_the_default_batch_size(wide, server):
    sign_in(wide, server.url)
    wide.goto(f"{server.url}/profiles/new?kind=import")
    field = wide.locator("input[name=batch_size]")
    assert field.input_value() == "" and field.get_attribute("placeholder") == "default (5,000)"
    assert "follows the default" in wide.inner_text("#batch-size-hint")


def test_a_preview_shows_the_feeds_problem_beside_the_field_errors(wide, server):
    sign_in(wide, server.url)
    wide.goto(f"{server.url}/profiles/new?kind=import")
    wide.fill("input[name=name]", "Preview at first")
    wide.fill("#schedule", "every monday")
    wide.fill("input[name='source.location']", "feeds/not-delivered.csv")
    wide.fill("input[name='match.feed']", "sku")
    wide.locator("input[name=map_catalog]").first.fill("quantity")
    wide.locator("input[name=map_feed]").first.fill("stock")
    wide.get_by_role("button", name="Preview").click()
    alert = wide.locator(".alert.error").first
    text = alert.inner_text()
    assert "A preview, nothing was saved" in text
    assert "feeds/not-delivered.csv does not exist" in text
    box = alert.bounding_box()
    assert box is not None and box["y"] < 400  # at the top, beside the fields' message


def _new_import(page: Any, url: str, name: str, location: str) -> None:
    """The new import form filled in as a merchant would, not saved."""
    page.goto(f"{url}/profiles/new?kind=import")
    page.fill("input[name=name]", name)
    page.fill("input[name='source.location']", location)
    page.fill("input[name='match.feed']", "sku")
    page.locator("input[name=map_catalog]").first.fill("quantity")
    page.locator("input[name=map_feed]").first.fill("stock")


def _row(page: Any, name: str) -> Any:
    return page.locator("table.profiles tr", has=page.get_by_role("link", name=name, exact=True))


def test_a_profile_whose_feed_cannot_be_read_is_saved_with_the_tasks_warning(wide, server):
    name = f"Feed comes later at {wide.viewport_size['width']} px"
    sign_in(wide, server.url)
    _new_import(wide, server.url, name, "feeds/comes-later.csv")
    wide.get_by_role("button", name="Save").click()
    wide.wait_for_url(f"{server.url}/profiles")
    problem = ("the file feeds/comes-later.csv does not exist "
               "(looked for syncbeat-data/feeds/comes-later.csv)")
    flash = wide.locator(".flash")
    assert flash.inner_text() == (f"profile '{name}' saved, but its feed cannot be read now, "
                                  f"so a task would fail: {problem}")
    box = flash.bounding_box()
    assert box is not None and box["x"] + box["width"] <= wide.viewport_size["width"]
    # Saved: run it, and its task fails with the very words of the warning.
    _row(wide, name).get_by_role("button", name="Run now").click()
    wide.goto(f"{server.url}/profiles")
    last = _row(wide, name).locator("td").nth(4)
    for _ in range(50):
        if "Error" in last.inner_text():
            break
        wide.wait_for_timeout(200)
        wide.reload()
    assert problem in last.inner_text()


def _shop_zone(page: Any, url: str, zone: str) -> None:
    page.goto(f"{url}/configure")
    page.fill("input[name=timezone]", zone)
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_load_state()


def test_the_time_zones_offered_are_real_ones_with_the_shops_first(wide, server):
    sign_in(wide, server.url)
    _shop_zone(wide, server.url, "Europe/Vilnius")
    try:
        wide.goto(f"{server.url}/profiles/new?kind=import")
        zones = wide.eval_on_selector_all("#zones option", "os => os.map(o => o.value)")
        zone = wide.locator("#timezone")
        assert zone.input_value() == "Europe/Vilnius"  # a new profile's, the shop's
        assert zone.is_visible() and zone.get_attribute("list") == "zones"
    finally:
        _shop_zone(wide, server.url, "UTC")
    assert zones[0] == "Europe/Vilnius"
    assert {"UTC", "Europe/Paris", "America/New_York"} <= set(zones)
    assert not {"localtime", "Factory", "posixrules"} & set(zones)
    assert not [z for z in zones if z.startswith(("posix/", "right/"))]
    assert len(zones) == len(set(zones))  # the shop's zone once, at the top


NEXT_RUN = re.compile(r"^(?:[A-Z][a-z]{2} )?\d{4}-\d\d-\d\d 02:00 EES?T \(UTC\+0[23]:00\)$")


def test_next_runs_are_shown_in_the_profiles_zone_with_the_offset(wide, server):
    name = f"Vilnius nightly at {wide.viewport_size['width']} px"
    sign_in(wide, server.url)
    _new_import(wide, server.url, name, "feeds/supplier-stock.csv")
    wide.fill("input[name='source.delimiter']", ";")
    wide.fill("#schedule", "0 2 * * *")
    wide.fill("#timezone", "Europe/Vilnius")
    runs = wide.locator("#cron-runs li")
    # checked while typing: the zone, typed after the schedule, shows in its five next runs
    wide.wait_for_function("() => [...document.querySelectorAll('#cron-runs li')]"
                           ".filter(li => li.textContent.includes(' EE')).length === 5")
    shown = [t.strip() for t in runs.all_inner_texts()]
    assert len(shown) == 5 and all(NEXT_RUN.match(t) for t in shown), shown
    wide.get_by_role("button", name="Save").click()
    wide.wait_for_url(f"{server.url}/profiles")
    row = _row(wide, name)
    assert NEXT_RUN.match(row.locator("td.time").inner_text().strip())
    assert "0 2 * * * · Europe/Vilnius" in row.inner_text()
    row.get_by_role("link", name=name, exact=True).click()
    assert [t.strip() for t in wide.locator("#cron-runs li").all_inner_texts()] == shown
