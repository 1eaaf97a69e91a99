"""A merchant's first supplier import into a PrestaShop shop, from the command line: check the
shop, add a profile matching combinations by reference, run it, read the shop, the report and
the log; then an export of the shop with its combinations."""

from __future__ import annotations

import json
import re

from shopdb import sample_products

SUPPLIER = '''name = "Supplier variants"
kind = "import"

[source]
location = "feeds/variants.csv"
format = "csv"

[match]
feed = "sku"
catalog = "combination.reference"

[mapping]
quantity = "stock"
price = "impact"
'''

EXPORT = '''name = "Marketplace"
kind = "export"

[filter]
active = true

[fields]
sku = "reference"
name = "name"
price = "price"
stock = "quantity"
variants = "combinations"
'''


def test_a_supplier_feed_by_combination_reference_changes_the_shop(sb, shop_db):
    shop_db.install("ps_", products=sample_products())
    shop = sb.with_env(SYNCBEAT_CATALOG=shop_db.url())
    checked = shop("catalog", "check")
    assert "products: 3" in checked.lines and checked.lines[-1] == "the catalog is usable"

    shop.feed("variants.csv", ["sku", "stock", "impact"], [
        ["TEE-1-S", "9", "0.00"], ["TEE-1-M", "5", "0.00"], ["TEE-1-L", "2", "1.75"],
        ["TEE-1-XL", "4", "2.00"], ["TEE-1-M", "-", ""]])
    added = shop("profile", "add", str(shop.profile_file(SUPPLIER)))
    assert added.lines[0].startswith("profile 1 'Supplier variants' added")
    assert shop("run", "Supplier variants", "--wait").lines == ["task 1 completed"]

    task = shop.task(1)
    assert task["progress"] == {"total": 5, "pending": 0, "processed": 2, "skipped": 2,
                                "cancelled": 0, "error": 1}
    report = shop("task", "report", "1").csv()
    assert [row[1:4] for row in report[1:]] == [
        ["TEE-1-S", "processed", "quantity: 3 -> 9"],
        ["TEE-1-M", "skipped", "no change"],
        ["TEE-1-L", "processed", "quantity: 0 -> 2; price: 1.50 -> 1.75"],
        ["TEE-1-XL", "skipped", "not in the catalog and create_missing is off"],
        ["TEE-1-M", "error", "key TEE-1-M also on row 2"]]  # issue 9: duplicates
    tee = shop("catalog", "show", "TEE-1", "--json").json()
    assert tee["quantity"] == 16  # the product's stock row: the sum of its combinations'
    assert [(c["reference"], c["quantity"], c["price"]) for c in tee["combinations"]] == [
        ("TEE-1-S", 9, "0.00"), ("TEE-1-M", 5, "0.00"), ("TEE-1-L", 2, "1.75")]
    log = shop("task", "log", "1").out
    # The repeated key is told while queueing; the batch works the other four items.
    assert re.search(r"batch 1: items 1-[45]: 2 processed, 2 skipped, 0 error", log), log
    assert "TEE-1-L: quantity: 0 -> 2; price: 1.50 -> 1.75" in log
    with shop_db.engine.connect() as conn:  # PrestaShop's own rows, as its back office reads
        rows = conn.exec_driver_sql(
            "SELECT pa.reference, sa.quantity, sa.physical_quantity, pas.price FROM "
            "ps_product_attribute pa JOIN ps_product_attribute_shop pas ON "
            "pas.id_product_attribute = pa.id_product_attribute JOIN ps_stock_available sa "
            "ON sa.id_product_attribute = pa.id_product_attribute ORDER BY pa.reference"
        ).all()
        assert [(r, q, pq, f"{p:.2f}") for r, q, pq, p in rows] == [
            ("TEE-1-L", 2, 2, "1.75"), ("TEE-1-M", 5, 5, "0.00"), ("TEE-1-S", 9, 9, "0.00")]
        stamp = conn.exec_driver_sql(
            "SELECT p.date_upd > '2026-11-02 09:00:00', ps.date_upd > '2026-11-02 09:00:00' "
            "FROM ps_product p JOIN ps_product_shop ps ON ps.id_product = p.id_product "
            "WHERE p.reference = 'TEE-1'").one()
        assert tuple(stamp) == (1, 1)

    assert shop("profile", "add", str(shop.profile_file(EXPORT))).code == 0
    assert shop("run", "Marketplace", "--wait").lines == [
        "task 2 completed: export file of 3 products (801 bytes)"]
    exported = json.loads(shop("task", "export-file", "2").out)["products"]
    assert [(p["sku"], p["stock"], len(p["variants"])) for p in exported] == [
        ("MUG-1", 12, 0), ("CAP-1", 0, 0), ("TEE-1", 16, 3)]
    assert exported[2]["variants"][2]["reference"] == "TEE-1-L"
