"""A worker whose only task has items pending works its batches back to back within a tick:
each batch still commits on its own, and a kill between two of them stops the rest."""

from __future__ import annotations

import re

from helpers import add_products, add_profile, import_profile, invariant_holds, task_of, write_csv

from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine import heartbeat as heartbeat_module
from syncbeat.engine.actions import kill_task, run_now
from syncbeat.engine.artifacts import log_lines
from syncbeat.engine.heartbeat import Heartbeat

HEADER = ["sku", "title", "net_price", "stock"]


def _feed(ctx, rows: int) -> None:
    add_products(ctx, *[(f"P{i:03d}", "1.00", 1) for i in range(rows)])
    write_csv(ctx, "a.csv", HEADER, [[f"P{i:03d}", f"P{i:03d}", "2.00", "1"]
                                     for i in range(rows)])


def test_a_busy_worker_works_its_only_task_batch_after_batch_in_one_tick(ctx, monkeypatch):
    # Its batches go on for BATCHES_FOR (0.25 s): a loaded machine may take longer for ten.
    monkeypatch.setattr(heartbeat_module, "BATCHES_FOR", 30.0)
    _feed(ctx, 100)
    task_id = run_now(ctx, add_profile(ctx, import_profile(batch_size=10)).id)
    beat = Heartbeat(ctx, background=True)
    try:
        beat.tick()  # starts the task and queues its small feed
        report = beat.tick()
    finally:
        beat.close()
    task = task_of(ctx, task_id)
    # Ten batches of ten in one tick, each its own line, counted and logged as in ten ticks.
    assert task.progress.pending == 0 and task.progress.processed == 100
    assert task.batches == 10
    said = "\n".join(report.lines).splitlines()
    assert [line.split(":")[1] for line in said] == [f" batch {n}" for n in range(1, 11)]
    log = "".join(log_lines(ctx.db, task))
    assert re.findall(r" batch (\d+): items ([\d,]+)-", log) == [
        (str(n), str(n * 10 - 9)) for n in range(1, 11)]
    assert " batch 10: items 91-100: 10 processed, 0 skipped, 0 error in " in log


def test_a_kill_between_two_batches_of_a_tick_stops_the_rest(ctx, monkeypatch):
    _feed(ctx, 100)
    task_id = run_now(ctx, add_profile(ctx, import_profile(batch_size=10)).id)
    real = heartbeat_module.run_batch
    done = []

    def run_batch(*args, **kwargs):
        line = real(*args, **kwargs)
        done.append(line)
        if len(done) == 3:  # the admin kills the task while the worker is at its batches
            kill_task(ctx, task_id, by="a test")
        return line

    monkeypatch.setattr(heartbeat_module, "run_batch", run_batch)
    beat = Heartbeat(ctx, background=True)
    try:
        beat.tick()
        beat.tick()
    finally:
        beat.close()
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.KILLED
    assert len(done) == 3  # no batch after the kill
    assert task.batches == 3
    assert task.progress.as_dict() == {
        "total": 100, "pending": 0, "processed": 30, "skipped": 0, "cancelled": 70, "error": 0,
    }
    assert invariant_holds(task)
