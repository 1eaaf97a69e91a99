"""Small builders for engine tests: profiles, catalogs, feeds, and draining the heartbeat."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from syncbeat.domain.profile import Profile, parse_profile
from syncbeat.domain.statuses import TaskStatus
from syncbeat.domain.task import Task
from syncbeat.engine.actions import run_now
from syncbeat.engine.context import Context
from syncbeat.engine.finish import EXPORT_FILE
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.store.catalog_queries import get_product, insert_products
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.profiles import insert_profile
from syncbeat.store.tasks import get_task


def import_profile(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Supplier A stock",
        "kind": "import",
        "batch_size": 3,
        "source": {"location": "feeds/a.csv", "format": "csv", "delimiter": ";"},
        "match": {"feed": "sku", "catalog": "reference"},
        "mapping": {"price": "net_price", "quantity": "stock", "name": "title"},
        "options": {"create_missing": False, "skip_unchanged": True},
    }
    data.update(overrides)
    return data


def add_profile(ctx: Context, data: dict[str, Any]) -> Profile:
    with write_tx(ctx.db) as conn:
        return insert_profile(conn, parse_profile(data, known=ctx.catalog.known), ctx.clock())


def add_products(ctx: Context, *rows: tuple[str, str, int]) -> None:
    """(reference, price, quantity) products named after their reference."""
    with write_tx(ctx.db) as conn:
        insert_products(conn, [
            {"reference": ref, "name": ref, "price": Decimal(price), "quantity": qty,
             "active": True, "updated_at": ctx.clock()}
            for ref, price, qty in rows
        ])


def write_csv(ctx: Context, name: str, header: list[str], rows: list[list[Any]]) -> Path:
    path = ctx.data_dir / "feeds" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(header)
        out.writerows(rows)
    return path


def drain(ctx: Context, heartbeat: Heartbeat | None = None, limit: int = 1000) -> int:
    """Tick until no task is due or running; returns the ticks."""
    heartbeat = heartbeat or Heartbeat(ctx)
    for n in range(1, limit + 1):
        if not heartbeat.tick().more:
            return n
    raise AssertionError(f"still busy after {limit} ticks")


def task_of(ctx: Context, task_id: int) -> Task:
    with read_tx(ctx.db) as conn:
        task = get_task(conn, task_id)
    assert task is not None
    return task


def product(ctx: Context, reference: str) -> dict[str, Any] | None:
    with read_tx(ctx.db) as conn:
        return get_product(conn, reference)


def invariant_holds(task: Task) -> bool:
    p = task.progress
    return p.pending + p.processed + p.skipped + p.cancelled + p.errors == p.total


def changes_profile(ctx: Context) -> int:
    """An export profile of the products changed since its last export (sku, qty); its id."""
    return add_profile(ctx, {
        "name": "Changes to app", "kind": "export", "batch_size": 2,
        "filter": {"changed_since_last_export": True},
        "fields": {"sku": "reference", "qty": "quantity"}}).id


def exported(ctx: Context, profile_id: int) -> list[Any]:
    """Run the profile's export through the heartbeat: the products its file holds."""
    task_id = run_now(ctx, profile_id)
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED, task.message
    return list(json.loads((ctx.task_dir(task_id) / EXPORT_FILE).read_text("utf-8"))["products"])
