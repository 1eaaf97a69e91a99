"""Export batches on their fast paths (queued by the database, products written as JSON by
SQLite or column by column): the same document as the general writer, crash-safe."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa
from helpers import add_products, add_profile, drain, invariant_holds, task_of

from syncbeat.domain.convert import canonical_decimal
from syncbeat.domain.statuses import ItemOutcome, TaskStatus
from syncbeat.engine import recording as recording_module
from syncbeat.engine.actions import run_now
from syncbeat.engine.finish import EXPORT_FILE
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.feeds import export as export_module
from syncbeat.feeds.jsonvalues import dumps
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.items import list_items
from syncbeat.store.tables import products

TRICKY = ['quote " and \\ backslash', "tab\tnew\nline\x01\x1f", "Šilutė 東京 😀", "100% 'sure'"]
FIELDS = {"sku": "reference", "title": "name", "price": "price", "qty": "quantity",
          "on": "active", "code": "ean13", "pid": "id", "100% 'x\"": "name"}


def profile(**overrides):
    data = {"name": "Catalog out", "kind": "export", "batch_size": 4, "fields": FIELDS}
    data.update(overrides)
    return data


def document(ctx, task_id):
    text = (ctx.task_dir(task_id) / EXPORT_FILE).read_text("utf-8")
    return text, json.loads(text, parse_float=Decimal)


def expected_products(ctx, fields=FIELDS):
    """What the general writer (a dict a product, `dumps`) writes for the catalog now."""
    with read_tx(ctx.db) as conn:
        rows = conn.execute(sa.select(products).order_by(products.c.id)).mappings().all()
    return [
        dumps({out: (canonical_decimal(Decimal(row[c])) if c == "price" else row[c])
               for out, c in fields.items()})
        for row in rows
    ]


def products_text(text):
    return text[text.index('"products": [\n') + len('"products": [\n'):text.rindex("\n]\n}\n")]


def test_every_path_writes_what_the_general_writer_writes(ctx):
    add_products(ctx, *[(f"P{i:02d}", f"{i}.{i:02d}", i) for i in range(1, 15)])
    with write_tx(ctx.db) as conn:
        for i, name in enumerate(TRICKY, start=1):
            conn.execute(products.update().where(products.c.id == i).values(name=name))
        conn.execute(products.update().where(products.c.id == 6).values(active=False))
        # Prices stored in a form that is not the canonical one: their batches leave the
        # SQLite fast path, and are written the general way ("12.50", "0.125").
        conn.exec_driver_sql("UPDATE products SET price = '12.5' WHERE id = 9")
        conn.exec_driver_sql("UPDATE products SET price = '0.1250' WHERE id = 13")
    task_id = run_now(ctx, add_profile(ctx, profile()).id)
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED, task.message
    assert invariant_holds(task)
    text, doc = document(ctx, task_id)
    assert products_text(text) == ",\n".join(expected_products(ctx))
    assert doc["count"] == 14
    assert doc["products"][0]["title"] == TRICKY[0]
    assert doc["products"][5]["on"] is False
    assert [str(p["price"]) for p in doc["products"]][8:13] == [
        "12.50", "10.10", "11.11", "12.12", "0.125"]


def test_attribute_fields_take_the_general_path(ctx):
    add_products(ctx, ("A1", "1.00", 1), ("A2", "2.50", 2))
    with write_tx(ctx.db) as conn:
        conn.execute(products.update().where(products.c.id == 1)
                     .values(attributes={"color": 'red "dark"'}))
    fields = {"sku": "reference", "price": "price", "color": "attributes.color"}
    task_id = run_now(ctx, add_profile(ctx, profile(fields=fields)).id)
    drain(ctx)
    _, doc = document(ctx, task_id)
    assert doc["products"] == [
        {"sku": "A1", "price": Decimal("1.00"), "color": 'red "dark"'},
        {"sku": "A2", "price": Decimal("2.50"), "color": None},
    ]


def test_only_active_products_are_queued_with_dense_seq_numbers(ctx):
    add_products(ctx, *[(f"P{i}", "1.00", i) for i in range(1, 11)])
    with write_tx(ctx.db) as conn:
        conn.execute(products.update().where(products.c.id.in_([2, 3, 7])).values(active=False))
    task_id = run_now(ctx, add_profile(ctx, profile(filter={"active": True})).id)
    drain(ctx)
    task = task_of(ctx, task_id)
    with read_tx(ctx.db) as conn:
        items = list_items(conn, task_id, task.status, limit=100)
    assert [i.seq for i in items] == list(range(1, 8))
    assert [(i.key, i.input) for i in items] == [
        (f"P{n}", str(n)) for n in (1, 4, 5, 6, 8, 9, 10)]
    _, doc = document(ctx, task_id)
    assert [p["sku"] for p in doc["products"]] == [f"P{n}" for n in (1, 4, 5, 6, 8, 9, 10)]


def test_a_product_deleted_after_queueing_is_skipped(ctx):
    add_products(ctx, *[(f"P{i}", "1.00", i) for i in range(1, 10)])
    task_id = run_now(ctx, add_profile(ctx, profile()).id)
    heartbeat = Heartbeat(ctx)
    while task_of(ctx, task_id).progress.total < 9 or not task_of(ctx, task_id).queue_done:
        heartbeat.tick()
    assert task_of(ctx, task_id).progress.pending == 9
    with write_tx(ctx.db) as conn:
        conn.execute(products.delete().where(products.c.id.in_([2, 9])))
    drain(ctx, heartbeat)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED, task.message
    assert (task.progress.processed, task.progress.skipped) == (7, 2)
    assert invariant_holds(task)
    with read_tx(ctx.db) as conn:
        skipped = list_items(conn, task_id, task.status, outcome=ItemOutcome.SKIPPED)
    assert [(i.key, i.detail) for i in skipped] == [
        ("P2", "no longer in the catalog"), ("P9", "no longer in the catalog")]
    text, doc = document(ctx, task_id)
    assert doc["count"] == 7
    assert [p["sku"] for p in doc["products"]] == ["P1", "P3", "P4", "P5", "P6", "P7", "P8"]
    assert products_text(text) == ",\n".join(expected_products(ctx))


@pytest.mark.parametrize("where", ["after_append", "in_commit"])
def test_a_crash_between_the_parts_append_and_the_commit(ctx, monkeypatch, where):
    """The second batch's products reach the parts file, then the batch dies before it
    commits (a worker killed there): the next attempt writes them again, once."""
    add_products(ctx, *[(f"P{i:02d}", f"{i}.50", i) for i in range(1, 12)])
    task_id = run_now(ctx, add_profile(ctx, profile()).id)

    class Killed(BaseException):
        """Not an Exception: nothing in the worker catches it, as with a killed process."""

    batches = {"n": 0}
    if where == "after_append":
        real_finish_batch = recording_module.finish_batch

        def finish_batch(conn, task_id, **kwargs):
            batches["n"] += 1
            if batches["n"] == 2:
                raise Killed
            return real_finish_batch(conn, task_id, **kwargs)

        monkeypatch.setattr(recording_module, "finish_batch", finish_batch)
    else:
        real_sync = export_module._sync_and_close

        def sync(parts):
            batches["n"] += 1
            real_sync(parts)
            if batches["n"] == 2:
                raise Killed  # in the flusher thread: the commit's wait raises it

        monkeypatch.setattr(export_module, "_sync_and_close", sync)
    with pytest.raises(Killed):
        drain(ctx)
    parts = ctx.task_dir(task_id) / "export.parts"
    task = task_of(ctx, task_id)
    assert task.progress.processed == 4  # the first batch only
    assert invariant_holds(task)
    assert parts.stat().st_size > task.export_size  # the dead batch's bytes are there
    drain(ctx)  # same worker again (a new one would wait for the lease to expire)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED, task.message
    assert invariant_holds(task)
    text, doc = document(ctx, task_id)
    assert [p["sku"] for p in doc["products"]] == [f"P{i:02d}" for i in range(1, 12)]
    assert products_text(text) == ",\n".join(expected_products(ctx))


def test_a_parts_file_that_cannot_reach_the_disk_fails_the_batch(ctx, monkeypatch):
    add_products(ctx, *[(f"P{i}", "2.00", i) for i in range(1, 6)])
    task_id = run_now(ctx, add_profile(ctx, profile()).id)
    real_sync = export_module._sync_and_close

    def sync(parts):
        real_sync(parts)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(export_module, "_sync_and_close", sync)
    heartbeat = Heartbeat(ctx)
    for _ in range(4):
        heartbeat.tick()
    task = task_of(ctx, task_id)
    assert task.progress.processed == 0 and task.export_size == 0  # nothing committed
    assert task.status is TaskStatus.RUNNING
    monkeypatch.setattr(export_module, "_sync_and_close", real_sync)
    drain(ctx, heartbeat)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED, task.message
    assert document(ctx, task_id)[1]["count"] == 5


def test_each_character_json_escapes_is_caught_on_its_own(ctx):
    specials = ['a"b', "a\\b", "a\nb", "a\x01b", "a\x1fb", "a\tb", "a\x7fb\u2028", "plain"]
    add_products(ctx, *[(f"P{i}", "1.00", i) for i in range(len(specials))])
    with write_tx(ctx.db) as conn:
        for i, name in enumerate(specials, start=1):
            conn.execute(products.update().where(products.c.id == i).values(name=name))
    task_id = run_now(ctx, add_profile(ctx, profile(batch_size=1)).id)
    drain(ctx)
    text, doc = document(ctx, task_id)
    assert [p["title"] for p in doc["products"]] == specials
    assert products_text(text) == ",\n".join(expected_products(ctx))
