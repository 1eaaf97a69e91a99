"""An import through the heartbeat on the PrestaShop catalog: a value the shop cannot hold is
that item's error in words, the rest of its batch is applied (the catalog is not yet what
running tasks use: this drives the engine with it directly)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from helpers import add_profile, drain, import_profile, task_of, write_csv

from shopdb import sample_products
from syncbeat.catalog.location import PrestashopLocation, parse_catalog
from syncbeat.catalog.prestashop.catalog import PrestashopCatalog
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.artifacts import report_lines


def test_a_value_the_shop_cannot_hold_is_one_items_error(shop_db, ctx):
    shop_db.install("imp_", products=sample_products())
    location = parse_catalog(shop_db.url("imp_"))
    assert isinstance(location, PrestashopLocation)
    ctx.catalog = catalog = PrestashopCatalog(location)
    write_csv(ctx, "a.csv", ["sku", "net_price", "stock", "code"], [
        ["MUG-1", "9.10", "4", "12345"], ["CAP-1", "16.00", "2", ""],
        ["NEW-1", "1.00", "1", "4006381333948"]])
    profile = add_profile(ctx, import_profile(
        mapping={"price": "net_price", "quantity": "stock", "ean13": "code"},
        options={"create_missing": True}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    assert task_of(ctx, task_id).status is TaskStatus.COMPLETED
    rows = csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task_of(ctx, task_id)))))
    assert [(r["key"], r["outcome"], r["detail"]) for r in rows] == [
        ("MUG-1", "error", "the catalog refused the change: ean13: 13 digits in PrestaShop "
         "(or empty), not '12345'"),
        ("CAP-1", "processed", "price: 15.00 -> 16.00; quantity: 0 -> 2"),
        ("NEW-1", "processed", "created")]
    found = catalog.fetch(None, "reference", ["MUG-1", "CAP-1", "NEW-1"],  # type: ignore[arg-type]
                          ["price", "quantity", "ean13", "active"])
    assert found["MUG-1"].values == {"price": Decimal("8.90"), "quantity": 12,
                                     "ean13": "4006381333931", "active": True}
    assert found["CAP-1"].values["price"] == Decimal("16.00")
    assert found["NEW-1"].values == {"price": Decimal("1.00"), "quantity": 1,
                                     "ean13": "4006381333948", "active": False}
    catalog.engine.dispose()
