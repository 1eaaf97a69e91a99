"""`catalog check` against a real PrestaShop-shaped MariaDB database: what it finds in a good
shop, and each thing that can be wrong, named in one line without the password."""

from __future__ import annotations

import pytest

from shopdb import Product, sample_products
from syncbeat.catalog.check import check_catalog
from syncbeat.catalog.location import parse_catalog
from syncbeat.catalog.prestashop.schema import TABLES


def check(url: str):
    return check_catalog(parse_catalog(url))


@pytest.fixture(scope="module")
def good(shop_db):
    shop_db.install("ps_", products=sample_products())
    return shop_db


def test_a_good_shop_is_usable_and_described(good):
    report = check(good.url())
    assert report.problems == ()
    assert report.usable
    assert report.missing == ()
    assert (report.version, report.shop_id, report.shop_name) == ("8.1.7", 1, "Main shop")
    assert (report.lang_id, report.lang_iso) == (1, "en")
    assert (report.products, report.combinations) == (3, 3)
    facts = dict(report.facts())
    assert facts["PrestaShop version"] == "8.1.7"
    assert facts["shop"] == "1 (Main shop)"
    assert facts["language"] == "1 (en)"


def test_the_url_can_choose_the_language_and_another_prefix(shop_db):
    shop_db.install("shop2_", shops=2, products=[Product(reference="A")])
    report = check(shop_db.url("shop2_", shop=2, lang=2))
    assert report.usable, report.problems
    assert (report.shop_id, report.shop_name, report.lang_iso) == (2, "Shop 2", "fr")
    assert report.products == 1


def test_the_shop_defaults_come_from_its_configuration(shop_db):
    shop_db.install("defaults_", shops=2)
    with shop_db.engine.begin() as conn:
        shop_db.configure(conn, "defaults_", PS_SHOP_DEFAULT="2", PS_LANG_DEFAULT="2")
    report = check(shop_db.url("defaults_"))
    assert report.usable, report.problems
    assert (report.shop_id, report.lang_id, report.lang_iso) == (2, 2, "fr")


def test_a_missing_table_is_named(shop_db):
    shop_db.install("droptable_")
    shop_db.execute("DROP TABLE droptable_stock_available")
    report = check(shop_db.url("droptable_"))
    assert not report.usable
    assert report.missing == ("droptable_stock_available",)
    assert "droptable_stock_available" in report.problems[0]
    assert report.shop_name == "Main shop"  # what could be read is still reported


def test_a_missing_column_is_named(shop_db):
    shop_db.install("dropcol_")
    shop_db.execute("ALTER TABLE dropcol_product_attribute DROP COLUMN mpn")
    shop_db.execute("ALTER TABLE dropcol_product_lang DROP COLUMN link_rewrite")
    report = check(shop_db.url("dropcol_"))
    assert not report.usable
    assert report.missing == ("dropcol_product_lang.link_rewrite",
                              "dropcol_product_attribute.mpn")
    assert ("lacks what syncbeat reads and writes (prefix 'dropcol_'): "
            "dropcol_product_lang.link_rewrite, dropcol_product_attribute.mpn"
            ) in report.problems[0]


def test_a_wrong_prefix_names_every_table(good):
    report = check(good.url("nope_"))
    assert report.missing == tuple(f"nope_{t}" for t in TABLES)
    assert not report.usable


def test_a_wrong_shop_id_names_the_shops_there_are(good):
    report = check(good.url(shop=7))
    assert report.problems == ("the shop 7 does not exist in ps_shop (shops: 1 (Main shop))",)


def test_a_wrong_language_names_the_languages_there_are(good):
    report = check(good.url(lang=9))
    assert report.problems == (
        "the language 9 does not exist in ps_lang (languages: 1 (en), 2 (fr))",)


def test_a_language_the_shop_does_not_use(shop_db):
    shop_db.install("langshop_")
    shop_db.execute("DELETE FROM langshop_lang_shop WHERE id_lang = 2")
    report = check(shop_db.url("langshop_", lang=2))
    assert report.problems == (
        "the language 2 (fr) is not one of the shop 1's languages (1 (en))",)


def test_an_old_prestashop_is_refused(shop_db):
    shop_db.install("old_", version="1.6.1.24")
    report = check(shop_db.url("old_"))
    assert report.problems == (
        "PrestaShop 1.6.1.24 is too old: syncbeat works with PrestaShop 1.7 and 8",)


def test_a_bad_password_is_refused_without_showing_it(good):
    url = good.url(password="Sup3r-s3cret")
    report = check(url)
    assert not report.usable
    assert len(report.problems) == 1
    assert "refused the user 'root' with this password (access denied)" in report.problems[0]
    assert "Sup3r-s3cret" not in repr(report)
    assert report.shown_url.startswith("prestashop://root:***@")


def test_an_unknown_database_is_named(good):
    report = check(good.url(database="sb_test_nowhere"))
    assert report.problems == (
        f"the database 'sb_test_nowhere' does not exist on {good.hostport}: check its name "
        "in the catalog URL (the part after the port)",)


def test_an_unreachable_server_is_named():
    report = check("prestashop://shop:pw@127.0.0.1:1/shop")
    assert report.problems == (
        "cannot reach the database server at 127.0.0.1:1: the connection was refused",)
