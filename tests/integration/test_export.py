"""An export from catalog to its JSON file, delivered to the profile's destination."""

from __future__ import annotations

import json

from helpers import add_products, add_profile, drain, product, task_of

from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.finish import EXPORT_FILE
from syncbeat.feeds.netguard import HostPolicy
from syncbeat.feeds.reach import Reach
from syncbeat.store.db import write_tx
from syncbeat.store.tables import products


def export_profile(**overrides):
    data = {
        "name": "Catalog to app",
        "kind": "export",
        "batch_size": 2,
        "filter": {"active": True, "changed_since_last_export": True},
        "fields": {"sku": "reference", "price": "price", "qty": "quantity"},
        "destination": {"location": "exports/"},
    }
    data.update(overrides)
    return data


def test_export_writes_every_active_product_and_delivers_the_file(ctx, clock):
    add_products(ctx, ("A1", "10.50", 3), ("A2", "5.00", 0), ("A3", "7.25", 9))
    with write_tx(ctx.db) as conn:
        conn.execute(products.update().where(products.c.reference == "A2").values(active=False))
    profile = add_profile(ctx, export_profile())
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED, task.message
    document = json.loads((ctx.task_dir(task_id) / EXPORT_FILE).read_text("utf-8"))
    assert document["profile"] == "Catalog to app"
    assert document["task"] == task_id
    assert document["count"] == 2
    assert document["products"] == [
        {"sku": "A1", "price": 10.5, "qty": 3},
        {"sku": "A3", "price": 7.25, "qty": 9},
    ]
    delivered = ctx.data_dir / "exports" / f"catalog-to-app-{task_id}-20261102T090000.json"
    assert json.loads(delivered.read_text("utf-8")) == document
    assert "written to" in task.message


def test_changed_since_last_export_exports_only_what_changed(ctx, clock):
    add_products(ctx, ("A1", "10.50", 3), ("A2", "5.00", 1))
    profile = add_profile(ctx, export_profile())
    run_now(ctx, profile.id)
    drain(ctx)
    a2 = product(ctx, "A2")
    assert a2 is not None
    with write_tx(ctx.db) as conn:  # as an import's batch writes it
        ctx.catalog.apply(conn, ["quantity"], {a2["id"]: {"quantity": 4}}, [], clock())
    second = run_now(ctx, profile.id)
    drain(ctx)
    document = json.loads((ctx.task_dir(second) / EXPORT_FILE).read_text("utf-8"))
    assert [p["sku"] for p in document["products"]] == ["A2"]


def test_an_undeliverable_export_is_an_error_with_the_reason(ctx):
    # 127.0.0.1 allowed, as SYNCBEAT_ALLOWED_HOSTS would: the delivery is tried and refused.
    ctx.reach = Reach.create(data_dir=ctx.data_dir, hosts=HostPolicy.parse("127.0.0.1"))
    add_products(ctx, ("A1", "1.00", 1))
    profile = add_profile(ctx, export_profile(
        destination={"location": "http://127.0.0.1:9/receiver"}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.ERROR
    assert task.message.startswith("the export file was written but not delivered")
    assert "the connection was refused" in task.message
    assert (ctx.task_dir(task_id) / EXPORT_FILE).exists()
