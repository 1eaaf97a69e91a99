"""The Configure tab's Catalog panel: the same check as `syncbeat catalog check`, with the
catalog URL's password shown as ***."""

from __future__ import annotations

import html
import re

import pytest
from webtools import add_products

from shopdb import sample_products
from syncbeat.catalog.location import parse_catalog

PASSWORD = "Sup3r-s3cret"


def panel_text(page: str) -> str:
    """The visible text of the Catalog panel, its tags dropped and spaces squeezed."""
    found = re.search(r'<section class="card catalog-check" id="catalog">(.*?)</section>',
                      page, re.S)
    assert found, "no Catalog panel on the Configure tab"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


@pytest.fixture(scope="module")
def shop(shop_db):
    shop_db.install("ps_", products=sample_products())
    return shop_db


def test_the_builtin_catalog_is_shown_with_its_products(web, ctx):
    add_products(ctx, 4)
    text = panel_text(web.get("/configure").text)
    assert text.startswith("Catalog Usable")
    assert ("Catalog builtin Kind the built-in catalog (the products table in syncbeat's own "
            "database) Products 4") in text


def test_a_shop_is_shown_with_its_version_shop_language_and_counts(web, app, shop):
    app.state.catalog = parse_catalog(shop.url())
    text = panel_text(web.get("/configure").text)
    assert text.startswith("Catalog Usable")
    assert (f"Catalog prestashop://root@{shop.hostport}/{shop.name}?prefix=ps_ "
            "PrestaShop version 8.1.7 Shop 1 (Main shop) Language 1 (en) Products 3 "
            "Combinations 3") in text


def test_a_shop_that_refuses_the_password_is_shown_without_it(web, app, shop):
    app.state.catalog = parse_catalog(shop.url(password=PASSWORD))
    page = web.get("/configure").text
    text = panel_text(page)
    assert text.startswith("Catalog Not usable")
    assert (f"the server at {shop.hostport} refused the user 'root' with this password "
            "(access denied)") in text
    assert f"prestashop://root:***@{shop.hostport}/{shop.name}" in text
    assert PASSWORD not in page


def test_a_wrong_language_is_named_on_the_page(web, app, shop):
    app.state.catalog = parse_catalog(shop.url(lang=9))
    text = panel_text(web.get("/configure").text)
    assert "Not usable the language 9 does not exist in ps_lang (languages: 1 (en), 2 (fr))" \
        in text
