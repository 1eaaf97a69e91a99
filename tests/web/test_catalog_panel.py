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
            "Combinations 3 Batch records ps_syncbeat_batch (made by the first import") in text


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


def test_the_catalog_tab_and_api_read_the_shop(web, api, ctx, shop):
    """With a shop as the catalog, the Catalog tab lists its products (names in the URL's
    language), a product's page shows its combinations, and /api/products answers the same."""
    from syncbeat.catalog.opening import open_catalog

    ctx.catalog = open_catalog(parse_catalog(shop.url(lang=2)))
    try:
        listed = web.get("/catalog")
        assert listed.status_code == 200
        rows = re.findall(r'<a href="/catalog/([^"]+)">', listed.text)
        assert rows == ["CAP-1", "MUG-1", "TEE-1"]
        assert "Casquette" in listed.text and "Tasse" in listed.text
        page = web.get("/catalog/TEE-1")
        assert page.status_code == 200
        combos = re.search(r"<h2>Combinations</h2>(.*?)</table>", page.text, re.S)
        assert combos is not None
        assert re.findall(r'<td class="mono">(TEE-1-\w)</td>', combos.group(1)) == [
            "TEE-1-S", "TEE-1-M", "TEE-1-L"]
        found = api.get("/api/products", params={"search": "tee"}).json()
        assert (found["total"], [p["reference"] for p in found["products"]]) == (1, ["TEE-1"])
        assert api.get("/api/products/TEE-1").json()["product"]["quantity"] == 8
        assert api.get("/api/products/NOPE").status_code == 404
    finally:
        ctx.catalog.close()
