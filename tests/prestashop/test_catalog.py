"""The PrestaShop catalog on a real PrestaShop-shaped MariaDB database: what it writes where,
read back from the shop's own tables (the contract suite runs the rest on it too)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from shopdb import Combination, Product, sample_products
from syncbeat.catalog.base import AMBIGUOUS, Refused
from syncbeat.catalog.location import PrestashopLocation, parse_catalog
from syncbeat.catalog.prestashop.catalog import PrestashopCatalog
from syncbeat.catalog.prestashop.fields import COMBINATION_ID
from syncbeat.catalog.prestashop.writes import slug

NOW = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
_prefixes = itertools.count(1)


class Shop:
    """A freshly installed shop under its own prefix, its catalog, and its rows."""

    def __init__(self, shop_db: Any, products: list[Product], **catalog: Any) -> None:
        self.db = shop_db
        self.prefix = f"t{next(_prefixes)}_"
        shop_db.install(self.prefix, products=products)
        location = parse_catalog(shop_db.url(self.prefix))
        assert isinstance(location, PrestashopLocation)
        self.catalog = PrestashopCatalog(location, **catalog)

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        """Rows of a query where {t} is the table prefix."""
        with self.db.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql.format(t=self.prefix)), params)]

    def fetch(self, match: str, keys: list[str], fields: list[str]) -> dict[str, Any]:
        return self.catalog.fetch(None, match, keys, fields)  # type: ignore[arg-type]

    def apply(self, fields: list[str], updates: dict[int, Any], creates: list[Any] = ()
              ) -> None:
        self.catalog.apply(None, fields, updates, list(creates), NOW)  # type: ignore[arg-type]

    def id_of(self, reference: str) -> int:
        return int(self.rows("SELECT id_product FROM {t}product WHERE reference = :r",
                             r=reference)[0][0])


@pytest.fixture
def shop(shop_db):
    made = Shop(shop_db, sample_products())
    yield made
    made.catalog.engine.dispose()


def test_price_and_active_write_the_product_and_its_shop_row(shop):
    mug = shop.id_of("MUG-1")
    found = shop.fetch("reference", ["MUG-1"], ["price", "active", "wholesale_price"])
    assert found["MUG-1"].values == {"price": Decimal("8.90"), "active": True,
                                     "wholesale_price": Decimal("0.00")}
    shop.apply(["price", "active", "wholesale_price"],
               {mug: {"price": Decimal("9.95"), "active": False,
                      "wholesale_price": Decimal("4.123456")}})
    local = NOW.replace(tzinfo=None)
    assert shop.rows("SELECT price, wholesale_price, active, date_upd FROM {t}product") [0] == (
        Decimal("9.950000"), Decimal("4.123456"), 0, local)
    assert shop.rows("SELECT price, wholesale_price, active, date_upd FROM {t}product_shop "
                     "WHERE id_product = :id", id=mug) == [
        (Decimal("9.950000"), Decimal("4.123456"), 0, local)]
    # The other products are untouched.
    assert {r[0] for r in shop.rows("SELECT date_upd FROM {t}product WHERE id_product <> :id",
                                     id=mug)} == {datetime(2026, 11, 2, 9, 0)}


def test_a_name_change_writes_the_language_and_unindexes_the_product(shop):
    mug, cap = shop.id_of("MUG-1"), shop.id_of("CAP-1")
    shop.db.execute(f"UPDATE {shop.prefix}product SET indexed = 1")
    shop.db.execute(f"UPDATE {shop.prefix}product_shop SET indexed = 1")
    shop.apply(["name", "description"], {
        mug: {"name": "Big mug", "description": "<p>Holds 50 cl</p>"},
        cap: {"name": "Cap", "description": None}})  # the same name: not unindexed
    assert shop.rows("SELECT id_lang, name, description FROM {t}product_lang "
                     "WHERE id_product = :id ORDER BY id_lang", id=mug) == [
        (1, "Big mug", "<p>Holds 50 cl</p>"), (2, "Tasse", None)]
    for table in ("product", "product_shop"):
        assert shop.rows(f"SELECT id_product, indexed FROM {{t}}{table} WHERE id_product IN "
                         "(:a, :b) ORDER BY id_product", a=mug, b=cap) == [(mug, 0), (cap, 1)]


def test_a_combination_stock_change_sums_into_its_product(shop):
    tee = shop.id_of("TEE-1")
    shop.db.execute(f"UPDATE {shop.prefix}stock_available SET reserved_quantity = 2, "
                    "physical_quantity = quantity + 2")
    found = shop.fetch("combination.reference", ["TEE-1-S", "TEE-1-L", "tee-1-m", "MUG-1"],
                       ["quantity", "price", "name"])
    assert set(found) == {"TEE-1-S", "TEE-1-L", "tee-1-m"}
    assert found["TEE-1-L"].values == {"quantity": 0, "price": Decimal("1.50"),
                                       "name": "T-shirt"}
    small, large = found["TEE-1-S"], found["TEE-1-L"]
    assert small.id > COMBINATION_ID and large.id > COMBINATION_ID
    shop.apply(["quantity", "price"], {
        small.id: {**small.values, "quantity": 10},
        large.id: {**large.values, "quantity": -1, "price": Decimal("-0.50")}})
    small, large = (p._replace(id=p.id - COMBINATION_ID) for p in (small, large))
    stock = dict(((a, (q, p)) for a, q, p in shop.rows(
        "SELECT id_product_attribute, quantity, physical_quantity FROM {t}stock_available "
        "WHERE id_product = :id", id=tee)))
    assert stock[small.id] == (10, 12) and stock[large.id] == (-1, 1)
    assert stock[0] == (10 + 5 - 1, 14 + 2)  # the sum; what orders reserve stays on top
    for table in ("product_attribute", "product_attribute_shop"):
        assert shop.rows(f"SELECT price FROM {{t}}{table} WHERE id_product_attribute = :a",
                         a=large.id) == [(Decimal("-0.500000"),)]
    assert shop.rows("SELECT date_upd FROM {t}product_shop WHERE id_product = :id",
                     id=tee) == [(NOW.replace(tzinfo=None),)]


def test_create_missing_makes_every_row_prestashop_shows(shop):
    shop.apply(["name", "price", "quantity"], {}, [
        {"reference": "NEW-1", "name": "Café crème: Noir & Fort!", "price": Decimal("3.20"),
         "quantity": 7},
        {"reference": "NEW-2", "name": None, "active": True}])
    new = shop.id_of("NEW-1")
    assert shop.rows("SELECT active, price, id_category_default, indexed, date_add FROM "
                     "{t}product WHERE id_product = :id", id=new) == [
        (0, Decimal("3.200000"), 2, 0, NOW.replace(tzinfo=None))]
    assert shop.rows("SELECT id_shop, active, price FROM {t}product_shop WHERE id_product = :id",
                     id=new) == [(1, 0, Decimal("3.200000"))]
    assert shop.rows("SELECT id_lang, name, link_rewrite FROM {t}product_lang "
                     "WHERE id_product = :id ORDER BY id_lang", id=new) == [
        (1, "Café crème: Noir & Fort!", "cafe-creme-noir-fort"),
        (2, "Café crème: Noir & Fort!", "cafe-creme-noir-fort")]
    assert shop.rows("SELECT id_category, position FROM {t}category_product "
                     "WHERE id_product = :id", id=new) == [(2, 1)]  # after the seeded 0s
    assert shop.rows("SELECT id_product_attribute, id_shop, quantity, physical_quantity FROM "
                     "{t}stock_available WHERE id_product = :id", id=new) == [(0, 1, 7, 7)]
    second = shop.id_of("NEW-2")  # active when the profile maps it; named by its reference
    assert shop.rows("SELECT p.active, ps.active, pl.name FROM {t}product p JOIN "
                     "{t}product_shop ps USING (id_product) JOIN {t}product_lang pl USING "
                     "(id_product) WHERE p.id_product = :id AND pl.id_lang = 2",
                     id=second) == [(1, 1, "NEW-2")]


def test_created_products_go_to_the_home_category_or_the_one_given(shop_db):
    home = Shop(shop_db, [])
    with shop_db.engine.begin() as conn:
        shop_db.configure(conn, home.prefix, PS_HOME_CATEGORY="5")
    home.apply([], {}, [{"reference": "A"}])
    given = Shop(shop_db, [], category=9)
    given.apply([], {}, [{"reference": "A"}])
    for made, category in ((home, 5), (given, 9)):
        assert made.rows("SELECT id_category FROM {t}category_product") == [(category,)]
        assert made.rows("SELECT id_category_default FROM {t}product") == [(category,)]
        made.catalog.engine.dispose()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("reference", "R" * 65, "reference: at most 64 characters in PrestaShop, not 65"),
    ("supplier_reference", "S" * 70, "supplier_reference: at most 64 characters in "
     "PrestaShop, not 70"),
    ("ean13", "12345", "ean13: 13 digits in PrestaShop (or empty), not '12345'"),
    ("upc", "12345678901X", "upc: 12 digits in PrestaShop (or empty), not '12345678901X'"),
    ("isbn", "9" * 33, "isbn: at most 32 characters in PrestaShop, not 33"),
    ("mpn", "M" * 41, "mpn: at most 40 characters in PrestaShop, not 41"),
    ("name", "N" * 129, "name: at most 128 characters in PrestaShop, not 129"),
    ("price", Decimal("100000000000000"),
     "price: at most 14 digits before the point in PrestaShop (100000000000000)"),
    ("price", Decimal("1.0000001"), "price: at most 6 decimals in PrestaShop (1.0000001)"),
    ("price", Decimal("-1"), "price: PrestaShop holds no negative price (-1)"),
    ("quantity", 2**31, "quantity: PrestaShop holds a stock from -2,147,483,648 to "
     "2,147,483,647"),
])
def test_a_value_prestashop_cannot_hold_is_that_products_error(shop, field, value, message):
    mug, cap = shop.id_of("MUG-1"), shop.id_of("CAP-1")
    updates = {mug: {field: value}, cap: {field: None}}
    assert shop.catalog.refusals(None, [field], updates, []).updates == {mug: message}
    with pytest.raises(Refused) as refused:
        shop.apply([field], updates)
    assert str(refused.value) == message
    assert shop.rows("SELECT date_upd FROM {t}product WHERE id_product = :id", id=cap) == [
        (datetime(2026, 11, 2, 9, 0),)]  # nothing of the batch was written


def test_creates_and_combinations_are_refused_in_words(shop):
    tee = shop.id_of("TEE-1")
    found = shop.fetch("combination.reference", ["TEE-1-S"], ["quantity"])
    refusals = shop.catalog.refusals(None, ["quantity", "name"], {
        tee: {"quantity": 3}, found["TEE-1-S"].id: {**found["TEE-1-S"].values, "name": "x"},
    }, [{"reference": "mug-1"}, {"reference": "N", "ean13": "1"}, {"reference": "N"},
        {"combination.reference": "TEE-1-XL"}])
    assert refusals.updates == {
        found["TEE-1-S"].id: "name: a product's field; matching by a combination field "
        "writes only price, wholesale_price, weight, quantity, combination.reference, "
        "combination.supplier_reference, combination.ean13",
        tee: "quantity: this product's stock is the sum of its combinations' in PrestaShop: "
        "match by combination.reference to change their stock"}
    assert refusals.creates == {
        0: "reference: another product has 'mug-1' already",
        1: "ean13: 13 digits in PrestaShop (or empty), not '1'",
        2: "reference: 'N' is created twice in this batch",
        3: "combination.reference 'TEE-1-XL' is not in the shop, and syncbeat creates simple "
           "products only, not combinations"}


def test_negative_stock_is_accepted_as_prestashop_records_it(shop):
    mug = shop.id_of("MUG-1")
    shop.apply(["quantity"], {mug: {"quantity": -3}})
    assert shop.fetch("reference", ["MUG-1"], ["quantity"])["MUG-1"].values == {"quantity": -3}


def test_prices_are_exact_decimals_both_ways(shop):
    mug = shop.id_of("MUG-1")
    price = Decimal("0.1") + Decimal("0.2") + Decimal("12345678901234.000001") - Decimal("0.3")
    shop.apply(["price", "weight"], {mug: {"price": price, "weight": Decimal("1E+1")}})
    assert shop.rows("SELECT price, weight FROM {t}product WHERE id_product = :id", id=mug) == [
        (Decimal("12345678901234.000001"), Decimal("10.000000"))]
    got = shop.fetch("reference", ["MUG-1"], ["price", "weight"])["MUG-1"].values
    assert got == {"price": Decimal("12345678901234.000001"), "weight": Decimal("10.00")}
    assert str(got["weight"]) == "10.00" and isinstance(got["price"], Decimal)


def test_fetch_by_each_identifier_and_ambiguous_combinations(shop_db):
    shop = Shop(shop_db, [Product(reference="P", ean13="4006381333931", combinations=[
        Combination("C-1", 1, ean13="4006381333948"),
        Combination("C-2", 2, ean13="4006381333948")])])
    shop.db.execute(f"UPDATE {shop.prefix}product SET supplier_reference = 'SUP', "
                    "upc = '123456789012', mpn = 'MPN-1', isbn = '978-3-16'")
    for match, key in (("supplier_reference", "SUP"), ("upc", "123456789012"),
                       ("mpn", "MPN-1"), ("isbn", "978-3-16"), ("ean13", "4006381333931")):
        assert shop.fetch(match, [key], ["reference"])[key].values == {"reference": "P"}
    found = shop.fetch("combination.ean13", ["4006381333948"], ["quantity"])
    assert found["4006381333948"].id == AMBIGUOUS
    shop.catalog.engine.dispose()


def test_export_gives_each_product_with_its_combinations(shop):
    tee, mug = shop.id_of("TEE-1"), shop.id_of("MUG-1")
    rows = {p.id: p.values for p in shop.catalog.export_rows(
        None, [mug, tee], ["reference", "quantity", "combinations", "date_upd"])}
    assert rows[mug]["combinations"] == [] and rows[mug]["quantity"] == 12
    assert rows[mug]["date_upd"] == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert rows[tee]["quantity"] == 8
    assert [{k: c[k] for k in ("reference", "quantity", "price")}
            for c in rows[tee]["combinations"]] == [
        {"reference": "TEE-1-S", "quantity": 3, "price": Decimal("0.00")},
        {"reference": "TEE-1-M", "quantity": 5, "price": Decimal("0.00")},
        {"reference": "TEE-1-L", "quantity": 0, "price": Decimal("1.50")}]
    assert set(rows[tee]["combinations"][0]) == {
        "id", "reference", "supplier_reference", "ean13", "price", "wholesale_price", "weight",
        "quantity"}
    listed = shop.catalog.export_ids(None, active=None,  # type: ignore[arg-type]
                                     since=(NOW - timedelta(days=1)).isoformat(),
                                     mark=None, after_id=0, limit=10)
    assert listed == []


def test_slugs_are_lower_case_ascii_words():
    assert slug("  Ça va? Très bien!! ") == "ca-va-tres-bien"
    assert slug("日本") == "product"
    assert len(slug("a" * 300)) == 128


def test_a_combination_is_told_apart_by_its_id_whatever_its_values_hold(shop):
    mug = shop.id_of("MUG-1")
    found = shop.fetch("combination.reference", ["TEE-1-M"], ["combination.ean13"])["TEE-1-M"]
    shop.apply(["combination.ean13", "price"], {
        found.id: {"combination.ean13": "4006381333948", "price": None}})
    assert shop.rows("SELECT ean13, price FROM {t}product_attribute WHERE reference = 'TEE-1-M'"
                     ) == [("4006381333948", Decimal("0.000000"))]  # no price: kept
    # Matched by reference, a product's values may hold a combination field: still a product.
    assert shop.catalog.refusals(None, ["combination.ean13"], {
        mug: {"reference": "MUG-1", "combination.ean13": "4006381333948"}}, []).updates == {
        mug: "combination.ean13: a combination's field: match by a combination field to "
             "write it"}
    shop.apply(["price"], {mug: {"reference": "MUG-1", "combination.ean13": None,
                                 "price": None}})
    assert shop.rows("SELECT price FROM {t}product_shop WHERE id_product = :id", id=mug) == [
        (Decimal("8.900000"),)]
