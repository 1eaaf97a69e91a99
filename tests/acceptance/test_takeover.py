"""A worker SIGKILLed on this machine is noticed at once: the next worker takes its task over
without waiting its lease out (120 seconds by default), and finishes it exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from clitools import import_toml, wait_for

ROWS = 5_000


def test_a_new_worker_takes_over_a_killed_workers_task_without_waiting_its_lease(sb, probe):
    from syncbeat.store.catalog_queries import insert_products
    from syncbeat.store.db import make_engine, write_tx

    db = make_engine(sb.db_url)
    with write_tx(db) as conn:
        insert_products(conn, [{"reference": f"P{i}", "name": f"P{i}", "price": 1,
                                "quantity": 1, "active": True, "updated_at": datetime.now(UTC)}
                               for i in range(ROWS)])
    db.dispose()
    sb.feed("a.csv", ["sku", "title", "price", "qty"],
            [[f"P{i}", f"P{i}", "2.50", 7] for i in range(ROWS)])
    assert sb.add_profile(import_toml("Stock", "a.csv", batch_size=50)).code == 0
    assert sb("run", "Stock").code == 0
    assert sb.task(1)["status"] == "pending"

    with sb.worker() as worker:
        def working() -> dict[str, Any] | None:
            assert worker.running(), worker.output()
            row = probe.row(1)
            return row if row and row["queue_done"] and row["pending"] < ROWS - 500 else None

        wait_for("batches to run", working, every=0.002)
        worker.sigkill()
    killed = probe.row(1)
    assert killed is not None and killed["status"] == "running" and killed["pending"] > 0

    # The default lease is 120 s: a drain that waited it out would pass the command's timeout.
    drained = sb("worker", "--drain", timeout=60)
    assert drained.code == 0, str(drained)
    assert any("no longer runs on this machine: taken over without waiting for its lease" in line
               for line in drained.lines), str(drained)
    assert "task 1 (Stock) completed" in drained.lines, str(drained)
    task = sb.task(1)
    assert task["progress"]["processed"] == ROWS and task["progress"]["error"] == 0
