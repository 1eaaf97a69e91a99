"""SYNCBEAT_CATALOG / --catalog: builtin or a prestashop:// URL, every mistake named in one
line, and the password shown as *** everywhere."""

from __future__ import annotations

import pytest

from syncbeat.catalog.location import (
    BuiltinLocation,
    CatalogUrlError,
    PrestashopLocation,
    parse_catalog,
)
from syncbeat.config import Settings, SettingsError
from syncbeat.feeds.urls import shown_url

SECRET = "s3cr@t:pw/x"
URL = "prestashop://shop:s3cr%40t%3Apw%2Fx@db.example.com:3307/presta?prefix=shop_&shop=2&lang=3"


@pytest.mark.parametrize("text", [None, "", "  ", "builtin", "BUILTIN"])
def test_the_default_is_the_builtin_catalog(text):
    assert parse_catalog(text) == BuiltinLocation()
    assert parse_catalog(text).shown == "builtin"


def test_a_full_url_is_parsed():
    found = parse_catalog(URL)
    assert found == PrestashopLocation(user="shop", password=SECRET, host="db.example.com",
                                       port=3307, database="presta", prefix="shop_", shop=2,
                                       lang=3)
    assert found.table("product") == "shop_product"
    url = found.sqlalchemy_url()
    assert (url.drivername, url.password, url.port) == ("mysql+pymysql", SECRET, 3307)


def test_the_defaults_of_a_short_url():
    found = parse_catalog("prestashop://shop:pw@db/presta")
    assert isinstance(found, PrestashopLocation)
    assert (found.port, found.prefix, found.shop, found.lang) == (3306, "ps_", None, None)
    assert found.shown == "prestashop://shop:***@db:3306/presta?prefix=ps_"


def test_the_password_is_shown_as_stars_and_never_in_repr():
    found = parse_catalog(URL)
    assert found.shown == ("prestashop://shop:***@db.example.com:3307/presta"
                           "?prefix=shop_&shop=2&lang=3")
    assert SECRET not in repr(found) and "s3cr" not in repr(found)


def test_a_user_without_password_shows_no_stars():
    assert parse_catalog("prestashop://shop@db/presta").shown == (
        "prestashop://shop@db:3306/presta?prefix=ps_")


@pytest.mark.parametrize(("text", "problem"), [
    ("mysql://shop:pw@db/presta", "unknown kind of catalog 'mysql': write builtin or "
                                  "prestashop://..."),
    ("shopify", "write builtin or a URL like prestashop://USER:PASSWORD@HOST:3306/DBNAME"
                "?prefix=ps_&shop=1&lang=1"),
    ("prestashop://shop:pw@db:99999/presta", "the port '99999' is not a port number "
                                             "(1 to 65535, e.g. 3306)"),
    ("prestashop://shop:pw@db:port/presta", "the port 'port' is not a port number"),
    ("prestashop://shop:pw@db:0/presta", "the port 0 is not a port number"),
    ("prestashop://shop:pw@db/presta?prefix=ps_&user=x", "unknown parameter 'user' "
                                                         "(known: prefix, shop, lang)"),
    ("prestashop://shop:pw@db/presta?shop=1&shop=2", "the parameter 'shop' is given twice"),
    ("prestashop://shop:pw@db/presta?prefix=ps-", "the table prefix 'ps-' may hold only "
                                                  "letters, digits and _"),
    ("prestashop://shop:pw@db/presta?prefix=ps_;drop", "the table prefix 'ps_;drop' may hold"),
    ("prestashop://shop:pw@db/presta?shop=one", "shop=one: the shop is a whole number, its "
                                                "id in PrestaShop (e.g. shop=1)"),
    ("prestashop://shop:pw@db/presta?shop=-1", "shop=-1: the shop is a whole number"),
    ("prestashop://shop:pw@db/presta?lang=1.5", "lang=1.5: the language is a whole number"),
    ("prestashop://shop:pw@db/presta?lang=0", "lang=0: the language is a whole number"),
    ("prestashop://shop:pw@db/", "the database name is missing"),
    ("prestashop://shop:pw@db", "the database name is missing"),
    ("prestashop://shop:pw@db/a/b", "'a/b' is not a database name"),
    ("prestashop://:pw@db/presta", "the database user is missing"),
    ("prestashop://db/presta", "the database user is missing"),
    ("prestashop://shop:pw@:3306/presta", "the server's host name is missing"),
    ("prestashop://shop:pw@db/presta#x", "'#x' has no meaning here"),
])
def test_every_mistake_is_named_without_the_password(text, problem):
    with pytest.raises(CatalogUrlError) as caught:
        parse_catalog(text)
    message = str(caught.value)
    assert message.startswith("SYNCBEAT_CATALOG: ")
    assert problem in message
    assert ":pw@" not in message
    if ":pw@" in text:
        assert ":***@" in message


def test_masking_works_on_urls_that_do_not_parse():
    assert shown_url("prestashop://u:p@ss@h:x/db") == "prestashop://u:***@h:x/db"
    assert shown_url("prestashop://h/db") == "prestashop://h/db"
    assert shown_url("builtin") == "builtin"


def test_settings_read_the_catalog_and_name_the_variable_of_a_mistake():
    found = Settings.from_environ({"SYNCBEAT_CATALOG": "prestashop://u:pw@h/db?shop=2"})
    assert isinstance(found.catalog, PrestashopLocation) and found.catalog.shop == 2
    assert Settings.from_environ({}).catalog == BuiltinLocation()
    with pytest.raises(SettingsError, match=r"^SYNCBEAT_CATALOG: prestashop://u:\*\*\*@h"):
        Settings.from_environ({"SYNCBEAT_CATALOG": "prestashop://u:pw@h/db?shop=x"})
