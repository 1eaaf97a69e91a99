"""Helpers of the web tier's tests: signing in, a small catalog, feeds and profiles."""

from __future__ import annotations

import csv
import re
import warnings
from decimal import Decimal
from typing import Any

with warnings.catch_warnings():
    # Starlette asks for httpx2 instead of httpx; the client works the same meanwhile.
    warnings.filterwarnings("ignore", message=".*httpx2")
    from fastapi.testclient import TestClient

from syncbeat.domain.profile import Profile, parse_profile
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.store.catalog_queries import insert_products
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.profiles import insert_profile
from syncbeat.store.tasks import get_task

PASSWORD = "correct-horse-battery"
HEADER = ["sku", "title", "net_price", "stock"]
__all__ = ["TestClient"]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: TestClient, username: str = "admin", password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_of(page.text), "next": "/tasks"},
                       follow_redirects=False)


def csrf_header(client: TestClient) -> dict[str, str]:
    """The X-CSRF-Token header the pages' scripts send with the session's changes."""
    found = re.search(r'data-csrf="([^"]+)"', client.get("/tasks").text)
    assert found, "no CSRF token in the page"
    return {"X-CSRF-Token": found.group(1)}


def add_products(ctx: Any, n: int) -> None:
    with write_tx(ctx.db) as conn:
        insert_products(conn, [
            {"reference": f"P{i}", "ean13": f"477000000{i:04d}", "name": f"Product {i}",
             "price": Decimal("1.00"), "quantity": 1, "active": True, "updated_at": ctx.clock()}
            for i in range(1, n + 1)
        ])


def write_feed(ctx: Any, name: str, rows: list[list[Any]]) -> None:
    path = ctx.data_dir / "feeds" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(HEADER)
        out.writerows(rows)


def import_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Supplier A", "kind": "import", "batch_size": 3,
        "source": {"location": "feeds/a.csv", "format": "csv", "delimiter": ";"},
        "match": {"feed": "sku", "catalog": "reference"},
        "mapping": {"price": "net_price", "quantity": "stock", "name": "title"},
        "options": {"create_missing": False, "skip_unchanged": True},
    }
    data.update(overrides)
    return data


def export_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "To the app", "kind": "export", "batch_size": 4,
                            "fields": {"sku": "reference", "price": "price"}}
    data.update(overrides)
    return data


def add_profile(ctx: Any, data: dict[str, Any]) -> Profile:
    with write_tx(ctx.db) as conn:
        return insert_profile(conn, parse_profile(data), ctx.clock())


def drain(ctx: Any, limit: int = 500) -> None:
    heartbeat = Heartbeat(ctx)
    for _ in range(limit):
        if not heartbeat.tick().more:
            return
    raise AssertionError("the heartbeat is still busy")


def task_of(ctx: Any, task_id: int) -> Any:
    with read_tx(ctx.db) as conn:
        return get_task(conn, task_id)
