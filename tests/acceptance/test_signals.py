"""Processes stopped from outside: a task killed by another process, a worker stopped with
SIGTERM or SIGINT after the batch in flight, `run --wait` stopped with Ctrl-C."""

from __future__ import annotations

import re
import signal
import time
from contextlib import contextmanager

import pytest
from clitools import import_toml, invariant, wait_for

HEADER = ["sku", "title", "price", "qty"]
BATCH = 20


def _big_import(sb, rows, *, queue=True):
    sb.feed("big.csv", HEADER,
            [[f"B-{i:05d}", f"Big item {i}", f"{i % 500}.99", i % 13] for i in range(1, rows + 1)])
    sb.add_profile(import_toml("Big", "big.csv", batch_size=BATCH, create_missing=True))
    if queue:
        assert sb("run", "Big").lines[0].startswith("task 1 created")


def _running_with_progress(sb, worker):
    def probe():
        assert worker.running(), worker.output()
        [task] = sb.json("tasks")
        return task if task["status"] == "running" and task["progress"]["processed"] else None

    return wait_for("the task to run and process some items", probe, every=0.0)


def test_a_task_killed_from_another_process_stops_at_once(sb):
    # 1,500 batches: the task is surely still running when `tasks` has seen it run.
    rows = 30_000
    _big_import(sb, rows)
    with sb.worker() as worker:
        seen = _running_with_progress(sb, worker)
        killed = sb("task", "kill", "1")
        said = re.fullmatch(r"task 1 killed; ([\d,]+) pending items cancelled", killed.out.strip())
        assert said, str(killed)
        cancelled = int(said.group(1).replace(",", ""))
        assert 0 < cancelled <= rows - seen["progress"]["processed"]

        # The worker goes on ticking, but no batch of the killed task runs any more: had one
        # run after the kill, its items would be counted twice (processed and cancelled), and
        # its products would be in the catalog beyond the processed count.
        time.sleep(0.5)
        assert worker.running(), worker.output()
        shown, report, count = sb.many(["task", "show", "1", "--json"], ["task", "report", "1"],
                                       ["catalog", "count"])
        task = shown.json()
        assert task["status"] == "killed", task
        # Who killed it: the operating system's user, on the command line.
        assert re.fullmatch(r"killed by \S+ on the command line", task["message"]), task
        assert task["finished_at"] is not None
        p = task["progress"]
        assert p["total"] == rows and p["pending"] == 0
        assert p["cancelled"] == cancelled
        assert invariant(p)
        assert p["processed"] + p["skipped"] + p["error"] + p["cancelled"] == rows
        assert int(count.out.strip().replace(",", "")) == p["processed"]  # each created one
        outcomes = [row[2] for row in report.csv()[1:]]
        assert outcomes.count("cancelled") == cancelled
        assert outcomes.count("processed") == p["processed"]
        assert outcomes[: p["processed"]] == ["processed"] * p["processed"]  # in feed order

        worker.send(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, worker.output()
    assert worker.out.splitlines()[-1].startswith("worker stopped after "), worker.output()
    assert "Traceback" not in worker.err, worker.output()
    log = sb("task", "log", "1").out
    assert re.search(rf"\[WARNING\] killed by \S+ on the command line: {cancelled:,} pending "
                     r"items cancelled", log), log


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_worker_after_the_batch_in_flight(sb, probe, signum):
    rows = 4_000
    _big_import(sb, rows)
    with sb.worker() as worker:
        # Read straight from the database to send the signal early in the run.
        def busy():
            assert worker.running(), worker.output()
            row = probe.row(1)
            return row["status"] == "running" and row["pending"] < row["total"] - 2 * BATCH

        wait_for("the worker to work a few batches", busy, every=0.005)
        worker.send(signum)
        assert worker.wait(timeout=30) == 0, worker.output()
    lines = worker.out.splitlines()
    assert lines[-1].startswith("worker stopped after "), worker.output()
    assert "Traceback" not in worker.err and "KeyboardInterrupt" not in worker.err
    # Stopped between batches: the task still runs, every counter adds up, and the last batch
    # the worker printed is the last one the task counted.
    task = sb.task(1)
    assert task["status"] == "running"
    p = task["progress"]
    assert invariant(p) and 0 < p["processed"] < rows
    last = [line for line in lines if re.match(r"task 1: batch \d+: items ", line)][-1]
    assert re.match(rf"task 1: batch \d+: items [\d,]+-{p['processed']:,}: ", last), (last, p)

    # The worker handed its lease back: a new one carries on at once (the lease is 120 s)
    # and completes the task.
    drained = sb("worker", "--drain", "--quiet", timeout=60)
    assert "task 1 (Big) completed" in drained.lines, str(drained)


@contextmanager
def _run_wait_working(sb, probe, rows):
    """`run Big --wait` on a feed of `rows` rows, once it has worked a few batches."""
    _big_import(sb, rows, queue=False)
    with sb.popen("run", "Big", "--wait") as watching:
        def busy():
            assert watching.running(), watching.output()
            row = probe.row(1)
            return row and row["status"] == "running" and row["pending"] < row["total"] - 40

        wait_for("`run --wait` to work a few batches", busy, every=0.005)
        yield watching


def test_run_wait_of_a_task_killed_elsewhere_shows_what_was_worked_and_cancelled(sb, probe):
    # 1,500 batches: `task kill` starts a process of its own, and 200 batches could all be
    # worked before it reaches the database.
    rows = 30_000
    with _run_wait_working(sb, probe, rows) as watching:
        killed = sb("task", "kill", "1")
        assert watching.wait(timeout=30) == 1, watching.output()
    cancelled = int(re.search(r"([\d,]+) pending items cancelled", killed.out)
                    .group(1).replace(",", ""))
    # The bar's last line: the items worked of the total, the cancelled ones apart; not
    # "4,000/4,000" as if the task had finished.
    bar = watching.err.replace("\r", "\n").strip().splitlines()[-1]
    worked = rows - cancelled
    assert f"] {worked:,} of {rows:,} worked, {cancelled:,} cancelled killed " in bar, bar
    assert watching.out.splitlines()[-1].startswith("task 1 killed: killed by "), \
        watching.output()


def test_run_wait_stopped_by_ctrl_c_leaves_the_task_to_the_next_heartbeat(sb, probe):
    with _run_wait_working(sb, probe, 4_000) as watching:
        watching.send(signal.SIGINT)
        assert watching.wait(timeout=30) == 1, watching.output()
    assert watching.out.splitlines()[-1] == "task 1 running", watching.output()
    assert "Traceback" not in watching.err and "KeyboardInterrupt" not in watching.err

    tick = sb("heartbeat")
    assert tick.lines[0].startswith("task 1: batch "), str(tick)
