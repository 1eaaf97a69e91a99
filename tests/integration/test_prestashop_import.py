"""An import through the heartbeat on the PrestaShop catalog: a value the shop cannot hold is
that item's error in words, the rest of its batch is applied; a batch the shop committed is
never applied twice."""

from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from decimal import Decimal

import sqlalchemy as sa
from helpers import add_profile, drain, import_profile, task_of, write_csv

from shopdb import sample_products
from syncbeat.catalog.location import PrestashopLocation, parse_catalog
from syncbeat.catalog.prestashop.catalog import PrestashopCatalog
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.artifacts import log_lines, report_lines


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


def test_a_batch_the_shop_committed_and_the_store_did_not_is_recorded_not_applied_again(
    shop_db, ctx
):
    """The worker stops between the shop's commit and the store's (here: the store's commit
    fails once, right after the shop's): the batch is tried again, finds its record in the
    shop, and the report says what the first attempt did: processed, with the changes, not
    "no change". Matched by combination reference, so the parent's summed stock follows."""
    shop_db.install("once_", products=sample_products())
    location = parse_catalog(shop_db.url("once_"))
    assert isinstance(location, PrestashopLocation)
    ctx.catalog = catalog = PrestashopCatalog(location)
    write_csv(ctx, "a.csv", ["sku", "stock", "impact"], [
        ["TEE-1-S", "7", "0.50"], ["TEE-1-M", "5", ""], ["TEE-1-L", "1", "2.00"]])
    profile = add_profile(ctx, import_profile(
        match={"feed": "sku", "catalog": "combination.reference"},
        mapping={"quantity": "stock", "price": "impact"}, batch_size=10))

    shop_commits: list[str] = []
    real_batch = catalog.batch

    @contextmanager
    def watched(conn, mark):  # type: ignore[no-untyped-def]
        with real_batch(conn, mark) as unit:
            yield unit
        shop_commits.append(f"{mark.first}-{mark.last}")

    catalog.batch = watched  # type: ignore[method-assign]
    failed: list[int] = []

    def store_commit(conn) -> None:  # type: ignore[no-untyped-def]
        if shop_commits and not failed:
            failed.append(1)
            raise sa.exc.OperationalError("COMMIT", {}, Exception("the store went away"))

    sa.event.listen(ctx.db, "commit", store_commit)
    try:
        task_id = run_now(ctx, profile.id)
        drain(ctx)
    finally:
        sa.event.remove(ctx.db, "commit", store_commit)
    assert failed and shop_commits == ["1-3", "1-3"]  # tried twice, applied once

    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED
    assert (task.progress.processed, task.progress.skipped, task.progress.errors) == (2, 1, 0)
    rows = csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task))))
    assert [(r["key"], r["outcome"], r["detail"]) for r in rows] == [
        ("TEE-1-S", "processed", "quantity: 3 -> 7; price: 0.00 -> 0.50"),
        ("TEE-1-M", "skipped", "no change"),
        ("TEE-1-L", "processed", "quantity: 0 -> 1; price: 1.50 -> 2.00")]
    found = catalog.fetch(None, "combination.reference",  # type: ignore[arg-type]
                          ["TEE-1-S", "TEE-1-M", "TEE-1-L"], ["quantity", "price"])
    assert {k: (p.values["quantity"], p.values["price"]) for k, p in found.items()} == {
        "TEE-1-S": (7, Decimal("0.50")), "TEE-1-M": (5, Decimal("0.00")),
        "TEE-1-L": (1, Decimal("2.00"))}
    parent = catalog.fetch(None, "reference", ["TEE-1"], ["quantity"])  # type: ignore[arg-type]
    assert parent["TEE-1"].values["quantity"] == 13  # the sum of its combinations'
    log = "".join(log_lines(ctx.db, task))
    assert "applied to the catalog by an earlier attempt that stopped before recording it" in log
    with shop_db.engine.connect() as conn:  # the record is kept until the next batch only
        kept = conn.exec_driver_sql("SELECT id_task, first_seq, last_seq FROM "
                                    "once_syncbeat_batch").all()
    assert kept == [(task_id, 1, 3)]
    catalog.engine.dispose()


def test_products_missing_from_the_feed_on_a_shop(shop_db, ctx):
    """zero_stock on a shop: a product the feed lists in other case is left, one whose stock
    its combinations keep is that item's error, and delete is refused when the task gets
    there (a shop's orders refer to its products)."""
    shop_db.install("miss_", products=sample_products())
    location = parse_catalog(shop_db.url("miss_"))
    assert isinstance(location, PrestashopLocation)
    ctx.catalog = catalog = PrestashopCatalog(location)
    write_csv(ctx, "a.csv", ["sku", "stock"], [["cap-1", "3"]])
    profile = add_profile(ctx, import_profile(mapping={"quantity": "stock"},
                                              options={"missing": "zero_stock"}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED, task.message
    rows = csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task))))
    report = [(r["key"], r["outcome"], r["detail"]) for r in rows]
    assert report[0] == ("cap-1", "processed", "quantity: 0 -> 3")
    assert report[1] == ("MUG-1", "processed", "not in the feed: stock 12 -> 0")
    assert report[2][:2] == ("TEE-1", "error")
    assert task.progress.as_dict() == {"total": 3, "pending": 0, "processed": 2,
                                       "skipped": 0, "cancelled": 0, "error": 1}
    found = catalog.fetch(None, "reference", ["MUG-1", "CAP-1"],  # type: ignore[arg-type]
                          ["quantity"])
    assert (found["MUG-1"].values["quantity"], found["CAP-1"].values["quantity"]) == (0, 3)

    deleting = add_profile(ctx, import_profile(name="Deleting", mapping={"quantity": "stock"},
                                               options={"missing": "delete"},
                                               scope={"reference_prefix": "MUG"}))
    task_id = run_now(ctx, deleting.id)
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.ERROR
    assert task.message.startswith("products missing from the feed: options.missing: 'delete' "
                                   "is not done on a PrestaShop shop")
    assert catalog.fetch(None, "reference", ["MUG-1"], [])  # type: ignore[arg-type]
    catalog.engine.dispose()
