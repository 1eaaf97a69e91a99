"""Only what changed since the last export: a change committed after an export read the
catalog is sent by the next one (two workers on PostgreSQL make that ordinary), and a
product the merchant edits in a PrestaShop shop's own back office (which moves only
date_upd) is sent, while one left alone is not sent twice (docs/profiles.md)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from helpers import add_products, changes_profile, drain, exported, task_of

from shopdb import sample_products
from syncbeat.catalog.location import PrestashopLocation, parse_catalog
from syncbeat.catalog.prestashop.catalog import PrestashopCatalog
from syncbeat.engine.actions import run_now
from syncbeat.engine.artifacts import log_lines
from syncbeat.engine.finish import EXPORT_FILE
from syncbeat.store.catalog_queries import get_product
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.tables import tasks


@pytest.mark.postgres
def test_a_batch_that_commits_after_an_export_read_the_catalog_is_exported_next(ctx, clock):
    if ctx.db.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: no batch can commit during a read")
    add_products(ctx, ("A1", "1.00", 1), ("A2", "2.00", 2))
    profile_id = changes_profile(ctx)
    assert [p["sku"] for p in exported(ctx, profile_id)] == ["A1", "A2"]
    with read_tx(ctx.db) as conn:
        a2 = get_product(conn, "A2")
    assert a2 is not None
    # A worker's batch writes A2 and holds its transaction open while another export
    # starts, reads the catalog and completes; it commits only then.
    with ctx.db.connect() as held:
        batch = held.begin()
        ctx.catalog.apply(held, ["quantity"], {a2["id"]: {"quantity": 7}}, [], clock())
        clock.advance(minutes=1)
        assert exported(ctx, profile_id) == []  # A2's change is not committed yet
        batch.commit()
    clock.advance(minutes=1)
    assert exported(ctx, profile_id) == [{"sku": "A2", "qty": 7}]
    assert exported(ctx, profile_id) == []


@pytest.fixture
def shop(shop_db: Any, ctx: Any) -> Any:
    shop_db.install("inc_", products=sample_products())
    location = parse_catalog(shop_db.url("inc_"))
    assert isinstance(location, PrestashopLocation)
    ctx.catalog = catalog = PrestashopCatalog(location)
    yield shop_db
    catalog.engine.dispose()


def _back_office(shop_db: Any, ctx: Any, reference: str, quantity: int, at: Any) -> None:
    """What PrestaShop's back office does on a save: the fields, and date_upd, in whole
    seconds of the shop's time, in ps_product and ps_product_shop."""
    stamp = at.replace(tzinfo=None, microsecond=0)  # the sample shop keeps UTC
    with shop_db.engine.begin() as conn:
        conn.execute(sa.text(
            "UPDATE inc_stock_available s JOIN inc_product p ON p.id_product = s.id_product "
            "SET s.quantity = :q WHERE p.reference = :r AND s.id_product_attribute = 0"),
            {"q": quantity, "r": reference})
        for table in ("inc_product", "inc_product_shop"):
            conn.execute(sa.text(
                f"UPDATE {table} t JOIN inc_product p ON p.id_product = t.id_product "
                "SET t.date_upd = :at WHERE p.reference = :r"), {"at": stamp, "r": reference})


def test_a_shop_export_after_an_export_exports_only_what_the_back_office_changed(
        shop, ctx, clock):
    profile_id = changes_profile(ctx)
    clock.advance(minutes=1)  # the sample shop's products were saved at the clock's start
    every = [p["sku"] for p in exported(ctx, profile_id)]
    assert every == ["MUG-1", "CAP-1", "TEE-1"]
    clock.advance(seconds=30)
    assert exported(ctx, profile_id) == []  # nothing changed
    clock.advance(seconds=30)
    _back_office(shop, ctx, "CAP-1", 4, clock())
    clock.advance(seconds=30)
    assert exported(ctx, profile_id) == [{"sku": "CAP-1", "qty": 4}]
    clock.advance(seconds=30)
    assert exported(ctx, profile_id) == []  # CAP-1 was sent: not again while unchanged
    # A save stamped before that export started, committed only after it listed (a slow
    # request, or the shop server's clock behind syncbeat's): sent by the next one.
    _back_office(shop, ctx, "MUG-1", 3, clock() - timedelta(seconds=20))
    clock.advance(seconds=30)
    assert exported(ctx, profile_id) == [{"sku": "MUG-1", "qty": 3}]
    # CAP-1 saved again, its date_upd moved: sent again.
    _back_office(shop, ctx, "CAP-1", 6, clock())
    clock.advance(minutes=10)
    assert exported(ctx, profile_id) == [{"sku": "CAP-1", "qty": 6}]
    assert exported(ctx, profile_id) == []


def test_the_log_says_what_an_incremental_export_lists(ctx, clock):
    add_products(ctx, ("A1", "1.00", 1))
    profile_id = changes_profile(ctx)
    first = run_now(ctx, profile_id)
    drain(ctx)
    second = run_now(ctx, profile_id)
    drain(ctx)
    assert "started: export of every product, batch size 2" in "".join(
        log_lines(ctx.db, task_of(ctx, first)))
    assert (f"started: export of every product changed since the last export (task {first}),"
            " batch size 2") in "".join(log_lines(ctx.db, task_of(ctx, second)))


def test_after_an_export_without_a_change_mark_the_next_sends_every_product_once(ctx, clock):

    add_products(ctx, ("A1", "1.00", 1), ("A2", "2.00", 2))
    profile_id = changes_profile(ctx)
    first = run_now(ctx, profile_id)
    drain(ctx)
    with write_tx(ctx.db) as conn:  # as an export of a syncbeat before change marks kept it
        spec = dict(task_of(ctx, first).spec or {})
        del spec["_mark"]
        conn.execute(tasks.update().where(tasks.c.id == first).values(spec=spec))
    clock.advance(minutes=1)
    second = run_now(ctx, profile_id)
    drain(ctx)
    sent = json.loads((ctx.task_dir(second) / EXPORT_FILE).read_text("utf-8"))["products"]
    assert [p["sku"] for p in sent] == ["A1", "A2"]
    log = "".join(log_lines(ctx.db, task_of(ctx, second)))
    assert (f"started: export of every product (not only those changed: the last export, "
            f"task {first}, has no change mark for this catalog)") in log
    assert exported(ctx, profile_id) == []


def test_an_export_started_before_the_upgrade_lists_by_its_time(ctx, clock):
    # Its `_since` is a time, as an older syncbeat wrote it: the built-in catalog lists the
    # products changed after it, by their changed time.
    add_products(ctx, ("A1", "1.00", 1))
    since = clock.advance(minutes=5)
    clock.advance(minutes=5)
    add_products(ctx, ("A2", "2.00", 2))
    task_id = run_now(ctx, changes_profile(ctx))  # pending: no items yet
    with write_tx(ctx.db) as conn:
        listed = ctx.catalog.export_ids(conn, active=None, since=since.isoformat(), mark=None,
                                        after_id=0, limit=10)
        queued = ctx.catalog.queue_export(conn, task_id, first_seq=1, active=None,
                                          since=since.isoformat(), after_id=0, limit=10)
    assert [one.reference for one in listed] == ["A2"]
    assert queued is not None and queued.added == 1
