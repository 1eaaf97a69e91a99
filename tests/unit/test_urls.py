"""Passwords in URLs: shown as ***, and kept when a shown URL comes back unchanged."""

from __future__ import annotations

import pytest

from syncbeat.feeds.urls import excerpt, has_masked_password, shown_url, unmasked_url, url_scheme

STORED = "https://shop:s3cret@feeds.example.com:8443/a.csv?x=1"


def test_a_password_is_shown_as_stars():
    assert shown_url(STORED) == "https://shop:***@feeds.example.com:8443/a.csv?x=1"
    assert shown_url("http://u:p@[fd00::1]:81/x") == "http://u:***@[fd00::1]:81/x"
    assert shown_url("feeds/a.csv") == "feeds/a.csv"
    assert shown_url("https://feeds.example.com/a.csv") == "https://feeds.example.com/a.csv"


def test_a_shown_url_sent_back_keeps_the_stored_password():
    shown = shown_url(STORED)
    assert has_masked_password(shown)
    assert unmasked_url(shown, STORED) == STORED
    moved = shown.replace("/a.csv", "/b.csv")  # the path may change, the password stays
    assert unmasked_url(moved, STORED) == STORED.replace("/a.csv", "/b.csv")


@pytest.mark.parametrize("changed", [
    "https://other:***@feeds.example.com:8443/a.csv",   # another user
    "https://shop:***@evil.example.net:8443/a.csv",     # another host: never send it there
    "https://shop:***@feeds.example.com:9443/a.csv",    # another port
    "http://shop:***@feeds.example.com:8443/a.csv",     # in clear text
])
def test_the_password_is_not_restored_for_another_place(changed):
    assert unmasked_url(changed, STORED) == changed
    assert has_masked_password(changed)


def test_a_new_password_replaces_the_stored_one():
    assert unmasked_url("https://shop:new@feeds.example.com:8443/a.csv", STORED).count("new") == 1


def test_an_excerpt_is_the_first_line_cut_short():
    assert excerpt("  first  line \nsecond") == "first line"
    assert excerpt("x" * 150) == "x" * 100 + "..."
    assert excerpt("") == ""


@pytest.mark.parametrize(("url", "shown"), [
    ("https://user:pw@example.com:99999/x", "https://user:***@example.com:99999/x"),
    ("https://user:p@ss:w@[::1/x?a=b@c", "https://user:***@[::1/x?a=b@c"),
    ("ftp://u:pw@[fe80::1", "ftp://u:***@[fe80::1"),
    ("http://[::1", "http://[::1"),
])
def test_a_url_the_parser_refuses_still_has_its_password_masked(url: str, shown: str) -> None:
    assert shown_url(url) == shown
    assert url_scheme(url) == url.split(":")[0]
