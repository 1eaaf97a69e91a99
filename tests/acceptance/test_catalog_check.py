"""`syncbeat catalog check` as an operator runs it: what it prints, its exit code, the password
never shown; and every other command refusing a PrestaShop catalog until it exists."""

from __future__ import annotations

import pytest

from shopdb import sample_products

PASSWORD = "Sup3r-s3cret"


@pytest.fixture(scope="module")
def shop(shop_db):
    shop_db.install("ps_", products=sample_products())
    shop_db.install("broken_")
    shop_db.execute("DROP TABLE broken_product_attribute_shop")
    shop_db.execute("ALTER TABLE broken_stock_available DROP COLUMN reserved_quantity")
    return shop_db


def _secret_free(result):
    assert PASSWORD not in result.out and PASSWORD not in result.err, str(result)


def test_the_builtin_catalog_is_checked_by_default(sb):
    result = sb("catalog", "check")
    assert result.lines == [
        "catalog: builtin",
        "kind: the built-in catalog (the products table in syncbeat's own database)",
        "products: 0",
        "the catalog is usable",
    ]


def test_a_good_shop_is_described_and_exits_0(sb, shop):
    result = sb.with_env(SYNCBEAT_CATALOG=shop.url())("catalog", "check")
    assert result.lines == [
        f"catalog: prestashop://root@{shop.hostport}/{shop.name}?prefix=ps_",
        "PrestaShop version: 8.1.7",
        "shop: 1 (Main shop)",
        "language: 1 (en)",
        "products: 3",
        "combinations: 3",
        "the catalog is usable",
    ]


def test_the_option_wins_over_the_variable(sb, shop):
    result = sb.with_env(SYNCBEAT_CATALOG="builtin")(
        "--catalog", shop.url(lang=2), "catalog", "check")
    assert "language: 2 (fr)" in result.lines


def test_a_broken_schema_names_what_is_missing_and_exits_1(sb, shop):
    result = sb.with_env(SYNCBEAT_CATALOG=shop.url("broken_")).fails("catalog", "check")
    assert result.err_lines == [
        f"syncbeat: the database '{shop.name}' lacks what syncbeat reads and writes "
        "(prefix 'broken_'): broken_stock_available.reserved_quantity, "
        "broken_product_attribute_shop",
        "the catalog is not usable",
    ]
    assert "products: 3" not in result.lines


def test_a_wrong_shop_exits_1_with_one_line(sb, shop):
    result = sb.with_env(SYNCBEAT_CATALOG=shop.url(shop=4)).fails("catalog", "check")
    assert result.err_lines[0] == (
        "syncbeat: the shop 4 does not exist in ps_shop (shops: 1 (Main shop))")


def test_a_bad_password_exits_1_without_showing_it(sb, shop):
    result = sb.with_env(SYNCBEAT_CATALOG=shop.url(password=PASSWORD)).fails("catalog", "check")
    assert result.lines == [f"catalog: prestashop://root:***@{shop.hostport}/{shop.name}"
                            "?prefix=ps_"]
    assert result.err_lines[0].startswith(
        f"syncbeat: the server at {shop.hostport} refused the user 'root' with this password")
    _secret_free(result)


def test_an_unknown_database_exits_1(sb, shop):
    result = sb.with_env(SYNCBEAT_CATALOG=shop.url(database="sb_test_gone")).fails(
        "catalog", "check")
    assert "the database 'sb_test_gone' does not exist" in result.err


@pytest.mark.parametrize("args", [("catalog", "count"), ("catalog", "list"),
                                  ("catalog", "show", "P1")])
def test_the_catalog_commands_that_read_the_built_in_table_refuse_a_shop(sb, args):
    url = f"prestashop://shop:{PASSWORD}@127.0.0.1:3306/shop?prefix=ps_"
    result = sb.with_env(SYNCBEAT_CATALOG=url).fails(*args)
    assert result.err_lines == [
        f"syncbeat: `syncbeat {' '.join(args[:2])}` cannot read the PrestaShop catalog "
        "prestashop://shop:***@127.0.0.1:3306/shop?prefix=ps_ yet: look at the shop in its "
        "own back office. Imports, exports and `syncbeat catalog check` work on it."]
    _secret_free(result)


@pytest.mark.parametrize("args", [("tasks",), ("settings",), ("user", "list")])
def test_commands_that_need_no_shop_work_beside_a_shop_catalog(sb, args):
    url = f"prestashop://shop:{PASSWORD}@127.0.0.1:3306/shop?prefix=ps_"
    result = sb.with_env(SYNCBEAT_CATALOG=url)(*args)
    _secret_free(result)


def test_a_mistaken_catalog_url_exits_2_naming_the_problem(sb):
    result = sb.with_env(SYNCBEAT_CATALOG=f"prestashop://shop:{PASSWORD}@db:3306/x?shop=main"
                         ).fails("catalog", "check", code=2)
    assert result.err_lines == [
        "syncbeat: SYNCBEAT_CATALOG: prestashop://shop:***@db:3306/x?shop=main: shop=main: the "
        "shop is a whole number, its id in PrestaShop (e.g. shop=1), or leave it out for the "
        "shop's default"]
    _secret_free(result)
