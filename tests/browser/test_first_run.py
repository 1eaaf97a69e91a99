"""The pages a new user meets first (issue 13), at 1366 and 1024 px: the sign-in page says how
to reset the password, the tab has an icon, a wrong address keeps the tabs, a profile follows
the default batch size, and a preview shows the feed's problem beside the field errors."""

from __future__ import annotations

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
    assert field.input_value() == "" and field.get_attribute("placeholder") == "default (1,000)"
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
