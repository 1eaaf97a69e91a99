"""`syncbeat demo`: a small catalog, sample feeds with a few bad rows, profiles, and runs of
them, so a newcomer sees every status and outcome within a minute."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

from syncbeat.domain.profile import parse_profile
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import kill_task, run_now
from syncbeat.engine.context import Context
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.store.catalog_queries import count_products, insert_products
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.profiles import get_profile, insert_profile
from syncbeat.store.tasks import get_task

PRODUCTS = 500

PROFILES: list[dict[str, Any]] = [
    {
        "name": "Demo: supplier stock (CSV)",
        "kind": "import",
        "schedule": "*/15 * * * *",
        "batch_size": 100,
        "source": {"location": "feeds/supplier-stock.csv", "format": "csv", "delimiter": ";"},
        "match": {"feed": "sku", "catalog": "reference"},
        "mapping": {"price": "net_price", "quantity": "stock", "name": "title"},
        # Its feed lists DEMO-0007 again, with a bad price, to show that row's error.
        "options": {"create_missing": True, "skip_unchanged": True,
                    "duplicates": "last_wins"},
    },
    {
        "name": "Demo: marketplace prices (JSON lines)",
        "kind": "import",
        "batch_size": 50,
        "source": {"location": "feeds/marketplace.jsonl", "format": "jsonl"},
        "match": {"feed": "ean", "catalog": "ean13"},
        "mapping": {"price": "price.amount"},
        "options": {"create_missing": False},
    },
    {
        "name": "Demo: a supplier whose feed is missing",
        "kind": "import",
        "source": {"location": "feeds/not-delivered-yet.xml", "format": "xml", "item": "product"},
        "match": {"feed": "code", "catalog": "reference"},
        "mapping": {"quantity": "qty"},
    },
    {
        "name": "Demo: catalog to app (export)",
        "kind": "export",
        "schedule": "0 * * * *",
        "batch_size": 200,
        "filter": {"active": True, "changed_since_last_export": False},
        "fields": {"sku": "reference", "ean": "ean13", "title": "name", "price": "price",
                   "qty": "quantity"},
        "destination": {"location": "exports/"},
    },
]


def load_demo(ctx: Context) -> Iterator[str]:
    """Build the demo and run it; yields what it does, line by line."""
    rng = random.Random(7)
    with write_tx(ctx.db) as conn:
        if count_products(conn) == 0:
            insert_products(conn, [_product(i, rng, ctx) for i in range(1, PRODUCTS + 1)])
    yield f"catalog: {PRODUCTS} demo products (DEMO-0001 ... DEMO-{PRODUCTS:04d})"
    feeds = ctx.data_dir / "feeds"
    feeds.mkdir(parents=True, exist_ok=True)
    _stock_feed(feeds / "supplier-stock.csv", rng)
    _marketplace_feed(feeds / "marketplace.jsonl", rng)
    yield f"feeds: {feeds}/supplier-stock.csv (with 3 bad rows), marketplace.jsonl (with 2)"
    ids: dict[str, int] = {}
    with write_tx(ctx.db) as conn:
        for data in PROFILES:
            existing = get_profile(conn, data["name"])
            profile = existing or insert_profile(conn, parse_profile(data), ctx.clock())
            assert profile.id is not None
            ids[profile.name] = profile.id
            yield f"profile {profile.id}: {profile.name}"
    stock, market, missing, export = (ids[p["name"]] for p in PROFILES)
    first = run_now(ctx, stock)
    second = run_now(ctx, stock)  # due while the first runs: it becomes missed
    broken = run_now(ctx, missing)  # its feed does not exist: error
    heartbeat = Heartbeat(ctx)
    heartbeat.tick()
    big = run_now(ctx, market)
    heartbeat.tick()
    heartbeat.tick()
    kill_task(ctx, big, by="the demo, to show a killed task")
    while heartbeat.tick().more:
        pass
    exported = run_now(ctx, export)
    while heartbeat.tick().more:
        pass
    for task_id in (first, second, broken, big, exported):
        with read_tx(ctx.db) as conn:
            task = get_task(conn, task_id)
        assert task is not None
        p = task.progress
        yield (f"task {task.id} {task.status:<9} {task.profile_name}: {p.processed} processed, "
               f"{p.skipped} skipped, {p.errors} error, {p.cancelled} cancelled"
               + (f" ({task.message})" if task.message and task.status != TaskStatus.COMPLETED
                  else ""))
    yield ("next: `syncbeat tasks`, `syncbeat task report ID`, `syncbeat task log ID` (in a "
           "checkout set up by `make run`: `./syncbeat tasks`, or `.venv/bin/syncbeat tasks`)")


def _price(i: int) -> Decimal:
    return Decimal((i * 7919) % 9900 + 100) / 100


def _quantity(i: int) -> int:
    return (i * 31) % 41


def _product(i: int, rng: random.Random, ctx: Context) -> dict[str, object]:
    return {
        "reference": f"DEMO-{i:04d}",
        "ean13": f"{4770000000000 + i}",
        "name": f"Demo product {i}",
        "price": _price(i),
        "quantity": _quantity(i),
        "active": i % 10 != 0,
        "updated_at": ctx.clock() - timedelta(days=1),
    }


def _stock_feed(path: object, rng: random.Random) -> None:
    with open(str(path), "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(["sku", "title", "net_price", "stock"])
        for i in range(1, PRODUCTS + 1):
            if i % 3 == 0:  # a third of the products are unchanged: skipped
                price, stock = _price(i), _quantity(i)
            else:
                price, stock = Decimal(rng.randint(100, 9999)) / 100, rng.randint(0, 40)
            text = format(price, "f").replace(".", ",")  # the supplier writes decimal commas
            out.writerow([f"DEMO-{i:04d}", f"Demo product {i}", text, stock])
        for i in range(PRODUCTS + 1, PRODUCTS + 21):
            out.writerow([f"DEMO-{i:04d}", f"New demo product {i}", "9.99", 5])
        out.writerow(["DEMO-0007", "Demo product 7", "abc", 3])  # a price that is no number
        out.writerow(["", "No key", "1.00", 1])  # a row without its key
        f.write("DEMO-0009;only two\n")  # a row with too few columns


def _marketplace_feed(path: object, rng: random.Random) -> None:
    with open(str(path), "w", encoding="utf-8") as f:
        for i in range(1, PRODUCTS + 1):
            amount = rng.randint(100, 9999) / 100
            f.write(json.dumps({"ean": f"{4770000000000 + i}", "price": {"amount": amount}}))
            f.write("\n")
        f.write('{"ean": "4770000000003", "price": {"amount": "twelve"}}\n')
        f.write("{not json\n")
