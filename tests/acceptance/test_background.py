"""A big import feed is read by a second process while the worker works its batches: the
same catalog, counters, report and log as one process would give, and no process left behind
when the worker is stopped or killed."""

from __future__ import annotations

import os
import re
import signal
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from clitools import import_toml, wait_for

# Five chunks of queueing (2.5 MB of CSV): a worker queues two in its tick and hands the rest
# to a second process, and a second worker, after the first is killed, two more.
ROWS = 100_000
HALF = ROWS // 2
HEADER = ["sku", "title", "price", "qty"]


def _setup(sb) -> None:
    """Products P00000..P49999 at 1.00; the feed changes the first half of them, leaves the
    rest alone and brings 50,000 new ones (create_missing is on)."""
    from syncbeat.store.db import make_engine, write_tx
    from syncbeat.store.tables import products

    db = make_engine(sb.db_url)
    try:
        with write_tx(db) as conn:
            conn.execute(products.insert(), [
                {"reference": f"P{i:05d}", "name": f"Product {i}", "price": Decimal("1.00"),
                 "quantity": 1, "active": True, "updated_at": datetime(2026, 1, 1, tzinfo=UTC)}
                for i in range(HALF)
            ])
    finally:
        db.dispose()
    rows = [[f"P{i:05d}", f"Product {i}", "2.50" if i < HALF // 2 else "1.00", 1]
            for i in range(HALF)]
    rows += [[f"N{i:05d}", f"New {i}", "9.99", 5] for i in range(HALF)]
    feed = sb.feed("big.csv", HEADER, rows)
    assert feed.stat().st_size > 2_000_000
    sb.add_profile(import_toml("Big", "big.csv", batch_size=5000, create_missing=True))


def _kill_now(sb, task_id: int) -> None:
    from syncbeat.engine.actions import kill_task
    from syncbeat.engine.context import Context
    from syncbeat.store.db import make_engine

    db = make_engine(sb.db_url)
    try:
        kill_task(Context(db=db, data_dir=sb.data_dir), task_id)
    finally:
        db.dispose()


def _check_done(sb) -> None:
    task = sb.task(1)
    assert task["status"] == "completed", task
    assert task["progress"] == {"total": ROWS, "pending": 0, "processed": ROWS * 3 // 4,
                                "skipped": ROWS // 4, "cancelled": 0, "error": 0}
    report = sb("task", "report", "1").csv()
    assert len(report) == ROWS + 1
    assert report[1][2:] == ["processed", "price: 1.00 -> 2.50"]
    assert report[HALF // 2 + 1][2:] == ["skipped", "no change"]
    assert report[-1][2:] == ["processed", "created"]
    listed = {p["reference"]: p["price"]
              for p in sb.json("catalog", "list", "--json", "--limit", "100000")}
    assert len(listed) == ROWS
    assert (listed["P00000"], listed["P24999"], listed["P25000"], listed["N49999"]) == (
        "2.50", "2.50", "1.00", "9.99")
    log = sb("task", "log", "1").out
    assert len(re.findall(rf" queued {ROWS:,} items in [\d.]+ s", log)) == 1, log
    batches = [int(n) for n in re.findall(r" batch (\d+): items ", log)]
    # Batches of at most 5,000 items: the first 1,000, then as the pace allows (`domain.pace`).
    assert batches == list(range(1, len(batches) + 1)) and len(batches) >= ROWS // 5000
    assert re.search(rf" completed: {ROWS:,} items: .* s of work over {len(batches)} batches; "
                     r"[\d.]+ s from start to finish \([\d,]+ items/s\)", log), log[-400:]


def test_a_big_feed_is_queued_by_a_second_process_while_batches_run(sb):
    _setup(sb)
    sb("run", "Big")
    out = sb("worker", "--drain", "--stats")
    lines = out.lines
    assert f"task 1: queued {ROWS:,} items (read by a second process)" in lines, str(out)
    assert re.search(r"peak memory \d+ MB \(\d+ MB in the worker, \d+ MB in the process "
                     r"that read the feeds\)$", lines[-1]), lines[-1]
    _check_done(sb)
    log = sb("task", "log", "1").lines
    queued = next(i for i, line in enumerate(log) if f" queued {ROWS:,} items " in line)
    first_batch = next(i for i, line in enumerate(log) if " batch 1: " in line)
    assert first_batch < queued, log[:5]  # batches began while the feed was still read


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _queueing_child(pid: int) -> int | None:
    """The worker's child process that reads a feed (not multiprocessing's own helper)."""
    for child in _children(pid):
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                return child
        except OSError:
            continue
    return None


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"


def test_the_second_process_ends_with_its_worker_stopped_or_killed(sb):
    _setup(sb)
    sb("settings", "lease_seconds=1")
    sb("run", "Big")
    for stop in (signal.SIGKILL, signal.SIGTERM):  # a killed worker's lease lasts a second
        with sb.worker() as worker:
            wait_for("the queueing process", lambda: _queueing_child(worker.proc.pid),
                     every=0.005)
            children = _children(worker.proc.pid)  # and multiprocessing's helper
            worker.send(stop)
            worker.wait()
            for child in children:
                wait_for(f"process {child} to end after the worker's {stop.name}",
                         lambda child=child: _gone(child), timeout=10)
        task = sb.task(1)
        assert task["status"] == "running", task
    time.sleep(1.1)  # the killed worker's lease expires
    assert "task 1 (Big) completed" in sb("worker", "--drain").lines
    _check_done(sb)


def test_a_task_killed_while_its_feed_is_read_ends_killed_and_the_worker_goes_on(sb):
    _setup(sb)
    sb("run", "Big")
    with sb.worker() as worker:
        child = wait_for("the queueing process", lambda: _queueing_child(worker.proc.pid),
                         every=0.005)
        # Killed from this process: a CLI's start-up (about a second) would let the feed
        # end first on a busy machine, and `task kill` is tested in test_runs.py.
        _kill_now(sb, 1)
        wait_for("the queueing process to end", lambda: _gone(child), timeout=10)
        assert worker.running(), worker.output()
        task = sb.task(1)
        progress = task["progress"]
        assert task["status"] == "killed"
        # What was queued was worked or is shown cancelled; how much depends on timing.
        assert progress["pending"] == 0 and progress["total"] <= ROWS, progress
        assert sum(v for k, v in progress.items() if k != "total") == progress["total"]
        worker.send(signal.SIGTERM)
        assert worker.wait() == 0, worker.output()
    # Nothing more was queued or worked after the kill.
    assert sb.task(1)["progress"] == progress
