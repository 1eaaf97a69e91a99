"""Signing in and out in headless Chromium: signing out ends the session on the server, and
failed sign-ins are throttled with a message that says when to try again."""

from __future__ import annotations

import re

import pytest
from browsertools import PASSWORD, sign_in

pytestmark = pytest.mark.browser


def test_signing_out_ends_the_session_even_for_a_copied_cookie(browser, plain_server):
    url = plain_server.url
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, url)
    copied = context.cookies()
    page.click("form.whoami button[type=submit]")
    page.wait_for_url(f"{url}/login")
    page.goto(f"{url}/tasks")
    assert "/login" in page.url
    thief = browser.new_context()
    thief.add_cookies(copied)
    stolen = thief.new_page()
    stolen.goto(f"{url}/tasks")
    assert "/login" in stolen.url
    thief.close()
    context.close()


def test_the_sixth_failed_sign_in_says_when_to_try_again(browser, plain_server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{plain_server.url}/login")
    for password in ["wrong-1", "wrong-2", "wrong-3", "wrong-4", "wrong-5", PASSWORD]:
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", password)
        page.click("form.login button[type=submit]")
        page.wait_for_load_state()
    assert "/login" in page.url
    # The lock lasts a minute from the fifth failure; a slow machine may take a second or
    # more to send the sixth, and the page then says what is left, rounded up.
    said = page.inner_text(".alert.error")
    assert re.search(r"too many failed sign-ins for admin: try again in (1 minute|5\d seconds)",
                     said), said
    context.close()
