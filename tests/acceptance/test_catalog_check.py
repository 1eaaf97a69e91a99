"""`syncbeat catalog check` as an operator runs it: what it prints, its exit code, the password
never shown; and the commands that read the catalog reading the shop."""

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
        "batch records: ps_syncbeat_batch (made by the first import: the user needs CREATE on "
        "the database once)",
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


def test_catalog_count_list_and_show_read_the_shop(sb, shop):
    on_shop = sb.with_env(SYNCBEAT_CATALOG=shop.url())
    assert on_shop("catalog", "count").lines == ["3"]
    listed = on_shop.json("catalog", "list", "--json")
    assert [(p["reference"], p["name"], p["price"], p["quantity"], p["active"])
            for p in listed] == [("CAP-1", "Cap", "15.00", 0, True),
                                 ("MUG-1", "Mug", "8.90", 12, True),
                                 ("TEE-1", "T-shirt", "19.90", 8, True)]
    assert [p["reference"] for p in on_shop.json("catalog", "list", "--json", "--search",
                                                 "mug")] == ["MUG-1"]
    shown = on_shop("catalog", "show", "TEE-1", "--json").json()
    assert [(c["reference"], c["quantity"], c["price"]) for c in shown["combinations"]] == [
        ("TEE-1-S", 3, "0.00"), ("TEE-1-M", 5, "0.00"), ("TEE-1-L", 0, "1.50")]
    french = sb.with_env(SYNCBEAT_CATALOG=shop.url(lang=2))
    assert french("catalog", "show", "CAP-1", "--json").json()["name"] == "Casquette"
    missing = on_shop.fails("catalog", "show", "NOPE-1")
    assert missing.err_lines == [
        "syncbeat: no product 'NOPE-1' (see `syncbeat catalog list --search TEXT`)"]
    assert "combination: id " in on_shop("catalog", "show", "TEE-1").out


def test_a_shop_that_refuses_the_user_is_one_line_exit_1(sb, shop):
    result = sb.with_env(SYNCBEAT_CATALOG=shop.url(password=PASSWORD)).fails("catalog", "count")
    assert result.err_lines == [
        f"syncbeat: the shop's catalog: the server at {shop.hostport} refused the user 'root' "
        "with this password (access denied): check the user and password in the catalog URL"]
    _secret_free(result)


def test_a_shop_out_of_reach_is_one_line_exit_3(sb):
    url = f"prestashop://shop:{PASSWORD}@127.0.0.1:1/shop?prefix=ps_"
    result = sb.with_env(SYNCBEAT_CATALOG=url).fails("catalog", "list", code=3)
    assert result.err_lines == [
        "syncbeat: the shop's catalog: cannot reach the database server at 127.0.0.1:1: the "
        "connection was refused"]
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


def test_a_shop_or_prefix_the_url_names_wrongly_is_one_line(sb, shop):
    wrong_shop = sb.with_env(SYNCBEAT_CATALOG=shop.url(shop=99)).fails("catalog", "list")
    assert wrong_shop.err_lines == ["syncbeat: the shop's catalog: the shop 99 is not in ps_shop"]
    wrong_prefix = sb.with_env(SYNCBEAT_CATALOG=shop.url("nope_")).fails("catalog", "count")
    assert len(wrong_prefix.err_lines) == 1, str(wrong_prefix)
    assert wrong_prefix.err_lines[0].startswith(
        "syncbeat: the shop's catalog: the shop's database lacks a table syncbeat uses "
        f"(Table '{shop.name}.nope_")
    assert wrong_prefix.err_lines[0].endswith(
        "check the prefix in the catalog URL, and run `syncbeat catalog check`")


def test_the_demo_never_loads_into_a_shop(sb, shop):
    on_shop = sb.with_env(SYNCBEAT_CATALOG=shop.url())
    refused = on_shop.fails("demo")
    assert refused.err_lines == [
        "syncbeat: the demo loads 500 products into the built-in catalog, never into a shop: "
        "unset SYNCBEAT_CATALOG (or --catalog builtin) to load it; "
        f"prestashop://root@{shop.hostport}/{shop.name}?prefix=ps_ is left as it is"]
    assert on_shop("catalog", "count").lines == ["3"]
