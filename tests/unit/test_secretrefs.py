"""{secret:NAME}: found, filled in (percent-encoded in a URL), kept out of messages, and shown
as written."""

from __future__ import annotations

import pytest

from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.reach import ReachError
from syncbeat.feeds.secretrefs import Filled, MissingSecret, names_in
from syncbeat.feeds.urls import shown_url


class Known:
    def __init__(self, **values: str) -> None:
        self.values = values

    def value(self, name: str) -> str | None:
        return self.values.get(name)


def test_names_are_found_once_each_in_order():
    assert names_in("https://{secret:u}:{secret:p}@h/x?k={secret:u}&z={secret:bad name}") == [
        "u", "p"]
    assert names_in(None) == [] and names_in("feeds/a.csv") == []


def test_a_url_gets_values_percent_encoded_a_header_as_they_are():
    filled = Filled(Known(u="me@shop", p="a:b/c"))
    assert filled.fill("https://{secret:u}:{secret:p}@h/", "source.location", url=True) == (
        "https://me%40shop:a%3Ab%2Fc@h/")
    assert filled.fill("Bearer {secret:p}", "destination.headers.Authorization") == "Bearer a:b/c"


def test_a_missing_secret_names_the_setting_and_how_to_set_it():
    with pytest.raises(MissingSecret, match=r"^source.location names the secret 'k', which is "
                                            r"not set: set it with `syncbeat secret set k`"):
        Filled(Known()).fill("https://h/?key={secret:k}", "source.location", url=True)


def test_errors_raised_while_connecting_never_carry_a_value():
    filled = Filled(Known(k="tok/en"))
    real = filled.fill("https://h/?key={secret:k}", "source.location", url=True)
    with pytest.raises(FeedError) as raised, filled.scrubbing():
        raise FeedError(f"could not reach {real} (tok/en)")
    assert str(raised.value) == "could not reach https://h/?key=*** (***)"
    with pytest.raises(ReachError) as refused, filled.scrubbing():
        raise ReachError("source.location", f"{real} is refused")
    assert refused.value.detail == "https://h/?key=*** is refused"


@pytest.mark.parametrize(("written", "shown"), [
    ("https://{secret:u}:{secret:p}@h.example/x?k={secret:k}",
     "https://{secret:u}:{secret:p}@h.example/x?k={secret:k}"),
    ("https://bob:pw@h/x", "https://bob:***@h/x"),
    ("https://bob:pre{secret:p}@h/", "https://bob:***@h/"),
    ("ftp://{secret:u}@h:21/a.csv", "ftp://{secret:u}@h:21/a.csv"),
    ("feeds/{secret:x}.csv", "feeds/{secret:x}.csv"),
])
def test_a_location_is_shown_with_its_secret_names_and_no_password(written, shown):
    assert shown_url(written) == shown


def test_an_unexpected_error_after_a_value_was_filled_in_never_carries_it():
    filled = Filled(Known(k="tok/en"))
    real = filled.fill("https://h/?key={secret:k}", "source.location", url=True)
    with pytest.raises(FeedError) as raised, filled.scrubbing():
        raise ValueError(f"Invalid URL {real!r}")
    assert str(raised.value) == "the connection failed: ValueError: Invalid URL 'https://h/?key=***'"
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    with pytest.raises(ValueError), Filled(Known()).scrubbing():
        raise ValueError("no secret was filled in: a fault of syncbeat's own, as it is")
