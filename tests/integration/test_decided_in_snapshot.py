"""A batch on the built-in catalog is read and decided in a read snapshot, outside the write
lock, and applied if nothing it read has moved since; a product changed, removed or created
meanwhile makes it decide again in its write transaction, so the catalog and the report say
what a batch decided alone would."""

from __future__ import annotations

import csv
import io
from typing import Any

import sqlalchemy as sa
from helpers import add_products, add_profile, import_profile, product, task_of, write_csv

from syncbeat.catalog.base import Prepared, Refusals, Refused
from syncbeat.catalog.builtin import BuiltinCatalog
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine import batch as batch_module
from syncbeat.engine.actions import run_now
from syncbeat.engine.artifacts import report_lines
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.store.catalog_queries import insert_products
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.tables import products

HEADER = ["sku", "title", "net_price", "stock"]


def _task(ctx, **options: Any) -> int:
    add_products(ctx, ("P0", "1.00", 1), ("P1", "1.00", 1), ("P2", "1.00", 1))
    write_csv(ctx, "a.csv", HEADER, [["P0", "P0", "2.00", "1"], ["P1", "P1", "2.00", "1"],
                                     ["P2", "P2", "1.00", "1"], ["N3", "N3", "3.00", "1"]])
    profile = import_profile(batch_size=10)
    profile["options"].update(options)
    task_id = run_now(ctx, add_profile(ctx, profile).id)
    Heartbeat(ctx).tick()  # starts it and queues the feed
    return task_id


def _meanwhile(monkeypatch, write) -> dict[str, int]:
    """Run `write` (another writer) right after the batch's snapshot is decided; count the
    batches decided again in their write transaction."""
    real_snapshot, real_read = batch_module._in_snapshot, batch_module._read
    seen = {"snapshots": 0, "decided_again": 0}

    def snapshot(*args: Any) -> Any:
        found = real_snapshot(*args)
        seen["snapshots"] += found is not None
        write()
        return found

    def read(*args: Any) -> Any:
        seen["decided_again"] += 1
        return real_read(*args)

    monkeypatch.setattr(batch_module, "_in_snapshot", snapshot)
    monkeypatch.setattr(batch_module, "_read", read)
    return seen


def _report(ctx, task_id: int) -> dict[str, tuple[str, str]]:
    rows = csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task_of(ctx, task_id)))))
    return {row["key"]: (row["outcome"], row["detail"]) for row in rows}


def _work(ctx, task_id: int) -> None:
    Heartbeat(ctx).tick()  # the one batch
    Heartbeat(ctx).tick()  # finishes
    assert task_of(ctx, task_id).status is TaskStatus.COMPLETED


def test_a_batch_nobody_disturbs_applies_what_its_snapshot_decided(ctx, monkeypatch):
    task_id = _task(ctx, create_missing=True)
    seen = _meanwhile(monkeypatch, lambda: None)

    def apply(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the snapshot's writes were made ready: apply is not called")

    monkeypatch.setattr(BuiltinCatalog, "apply", apply)  # `write` runs what `prepare` made
    _work(ctx, task_id)
    assert seen == {"snapshots": 1, "decided_again": 0}
    assert [product(ctx, key)["price"] for key in ("P0", "P1", "P2", "N3")] == [
        "2.00", "2.00", "1.00", "3.00"]
    assert _report(ctx, task_id) == {"P0": ("processed", "price: 1.00 -> 2.00"),
                                     "P1": ("processed", "price: 1.00 -> 2.00"),
                                     "P2": ("skipped", "no change"),
                                     "N3": ("processed", "created")}


def test_a_product_renamed_meanwhile_is_decided_again_and_reported_from_its_new_name(
        ctx, monkeypatch):
    task_id = _task(ctx)

    def rename() -> None:
        with write_tx(ctx.db) as conn:
            p0 = product(ctx, "P0")
            ctx.catalog.apply(conn, ["name"], {p0["id"]: {"name": "Renamed"}}, [], ctx.clock())

    seen = _meanwhile(monkeypatch, rename)
    _work(ctx, task_id)
    assert seen == {"snapshots": 1, "decided_again": 1}
    assert product(ctx, "P0")["name"] == "P0"  # the feed's, written over the rename
    assert _report(ctx, task_id)["P0"] == ("processed",
                                           "price: 1.00 -> 2.00; name: Renamed -> P0")


def test_a_product_created_meanwhile_for_a_new_key_is_decided_again(ctx, monkeypatch):
    task_id = _task(ctx, create_missing=True)

    def create() -> None:
        with write_tx(ctx.db) as conn:
            _add_n3(ctx, conn)

    seen = _meanwhile(monkeypatch, create)
    _work(ctx, task_id)
    assert seen["decided_again"] == 1
    assert _report(ctx, task_id)["N3"] == ("processed", "price: 1.00 -> 3.00")
    with read_tx(ctx.db) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(products)
                            .where(products.c.reference == "N3")).scalar() == 1


def _add_n3(ctx, conn) -> None:
    insert_products(conn, [{"reference": "N3", "name": "N3", "price": 1, "quantity": 1,
                            "active": True, "updated_at": ctx.clock()}])


def test_a_product_removed_or_created_meanwhile_is_decided_again(ctx, monkeypatch):
    task_id = _task(ctx, create_missing=False)

    def remove_and_create() -> None:
        with write_tx(ctx.db) as conn:
            conn.execute(products.delete().where(products.c.reference == "P1"))
            _add_n3(ctx, conn)

    seen = _meanwhile(monkeypatch, remove_and_create)
    _work(ctx, task_id)
    assert seen["decided_again"] == 1
    report = _report(ctx, task_id)
    assert report["P1"] == ("skipped", "not in the catalog and create_missing is off")
    assert report["N3"] == ("processed", "price: 1.00 -> 3.00")
    assert product(ctx, "P1") is None and product(ctx, "N3")["price"] == "3.00"


class RefusingWrites(BuiltinCatalog):
    """The built-in catalog, refusing P1's change when it writes what its snapshot made
    ready, as a catalog that knows its limits before writing may (`Catalog.write`)."""

    def write(self, conn: Any, prepared: Prepared) -> None:
        p1 = conn.execute(sa.select(products.c.id).where(products.c.reference == "P1")).scalar()
        raise Refused(Refusals({p1: "price: the shop holds no more than 1.50"}, {}))


def test_a_product_refused_when_the_snapshot_s_writes_are_written_is_an_error_alone(ctx):
    task_id = _task(ctx, create_missing=True)
    ctx.catalog = RefusingWrites()
    _work(ctx, task_id)
    assert [product(ctx, key)["price"] for key in ("P0", "P1", "P2", "N3")] == [
        "2.00", "1.00", "1.00", "3.00"]
    refused = "the catalog refused the change: price: the shop holds no more than 1.50"
    assert _report(ctx, task_id) == {"P0": ("processed", "price: 1.00 -> 2.00"),
                                     "P1": ("error", refused),
                                     "P2": ("skipped", "no change"),
                                     "N3": ("processed", "created")}
    progress = task_of(ctx, task_id).progress
    assert (progress.processed, progress.skipped, progress.errors) == (2, 1, 1)
