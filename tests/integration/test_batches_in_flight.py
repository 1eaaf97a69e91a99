"""Several batches of one import in flight at once (PostgreSQL): two workers work one task on
ranges of their own, a batch that decides holds up no other, the counters and the report come
out exact, and a kill waits for no batch deciding: that batch then applies nothing."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from helpers import add_products, add_profile, drain, import_profile, product, task_of, write_csv

from syncbeat.domain.statuses import ItemOutcome, TaskStatus
from syncbeat.engine import batch as batch_module
from syncbeat.engine.actions import kill_task, run_now
from syncbeat.engine.batch import run_batch
from syncbeat.engine.context import Context
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.items import list_items
from syncbeat.store.tasks import release_leases

pytestmark = pytest.mark.postgres

LEASE = timedelta(seconds=120)
HEADER = ["sku", "title", "net_price", "stock"]


class Paused:
    """Worker A's batch on a thread, stopped while it decides (its range taken, its items
    and products read in a snapshot) until `go()`: a batch in flight."""

    def __init__(self, ctx: Context, task_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
        self.inside = threading.Event()
        self.resume = threading.Event()
        self.line: Any = None
        real = batch_module.decide_batch

        def paused(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is self.thread:
                self.inside.set()
                assert self.resume.wait(30)
            return real(*args, **kwargs)

        monkeypatch.setattr(batch_module, "decide_batch", paused)
        self.thread = threading.Thread(target=self._run, args=(ctx, task_id), daemon=True)
        self.thread.start()
        assert self.inside.wait(30), "worker A's batch never started"

    def _run(self, ctx: Context, task_id: int) -> None:
        self.line = run_batch(ctx, task_of(ctx, task_id), LEASE)

    def go(self) -> str:
        self.resume.set()
        self.thread.join(30)
        assert not self.thread.is_alive()
        return str(self.line)


def _other(ctx: Context) -> Context:
    """A second worker on the same database: its own name, its own leases."""
    other = Context(db=ctx.db, data_dir=ctx.data_dir, clock=ctx.clock)
    assert other.owner != ctx.owner
    return other


def _in_thread(work: Any) -> Any:
    """`work()` on a thread, which must end within 10 s: a step that waited for the batch
    in flight would not."""
    done: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: done.setdefault("result", work()), daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "it waited for the other worker's batch"
    return done["result"]


def _queued_import(ctx: Context, n: int = 9) -> int:
    add_products(ctx, *[(f"P{i}", "1.00", 1) for i in range(n)])
    write_csv(ctx, "a.csv", HEADER, [[f"P{i}", f"P{i}", "2.00", "1"] for i in range(n)])
    task_id = run_now(ctx, add_profile(ctx, import_profile()).id)
    Heartbeat(ctx).tick()  # starts it and queues the feed (batch size 3)
    assert task_of(ctx, task_id).progress.pending == n
    return task_id


def _prices(ctx: Context, n: int = 9) -> list[Decimal]:
    return [Decimal(product(ctx, f"P{i}")["price"]) for i in range(n)]  # type: ignore[index]


def test_two_workers_work_one_import_at_once_on_ranges_of_their_own(ctx, monkeypatch):
    if not ctx.db.dialect.name == "postgresql":
        pytest.skip("SQLite serves one writer at a time: its batches take turns")
    task_id = _queued_import(ctx)
    a = Paused(ctx, task_id, monkeypatch)  # items 1-3, in flight
    other = _other(ctx)
    line = _in_thread(lambda: run_batch(other, task_of(ctx, task_id), LEASE))
    assert "items 4-6: 3 processed" in line
    # Worker B took its next range (7-9) as it recorded; it stops cleanly, handing it back.
    with write_tx(ctx.db) as conn:
        release_leases(conn, other.owner)
    task = task_of(ctx, task_id)
    assert (task.progress.processed, task.progress.pending, task.cursor) == (3, 6, 0)
    assert _prices(ctx) == [Decimal("1.00")] * 3 + [Decimal("2.00")] * 3 + [Decimal("1.00")] * 3
    assert "items 1-3: 3 processed" in a.go()
    assert task_of(ctx, task_id).cursor == 6
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED
    assert task.progress.as_dict() == {"total": 9, "pending": 0, "processed": 9, "skipped": 0,
                                       "cancelled": 0, "error": 0}
    assert (task.cursor, task.batches) == (9, 3)
    assert _prices(ctx) == [Decimal("2.00")] * 9
    with read_tx(ctx.db) as conn:
        worked = list_items(conn, task_id, task.status, outcome=ItemOutcome.PROCESSED)
    assert sorted(item.key for item in worked) == [f"P{i}" for i in range(9)]


def test_a_kill_waits_for_no_batch_deciding_and_that_batch_applies_nothing(ctx, monkeypatch):
    if not ctx.db.dialect.name == "postgresql":
        pytest.skip("SQLite's kill waits for the write lock a batch holds")
    task_id = _queued_import(ctx)
    a = Paused(ctx, task_id, monkeypatch)
    killed = _in_thread(lambda: kill_task(_other(ctx), task_id))
    assert killed.cancelled == 9
    assert "no longer runs" in a.go()
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.KILLED
    assert task.progress.as_dict() == {"total": 9, "pending": 0, "processed": 0, "skipped": 0,
                                       "cancelled": 9, "error": 0}
    assert _prices(ctx) == [Decimal("1.00")] * 9  # rolled back with its record
