"""While a worker waits for a database that will not take the work (a full disk), the tasks
it was working say why and since when, and so does this process's health; the work resumes
by itself when the database takes it again, or, past `outage_limit_seconds`, the tasks end
in error with that reason instead of staying "running" forever."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from helpers import add_products, add_profile, import_profile, task_of, write_csv

import syncbeat.engine.heartbeat as heartbeat_module
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.outage import WAITING
from syncbeat.engine.worker import run_worker
from syncbeat.store.db import write_tx
from syncbeat.store.settings import save_settings

ROWS = 30


@pytest.fixture
def disk(monkeypatch):
    """A disk that fills after the first batch: every batch fails as SQLite's does on a full
    disk, while a one-row write still fits (the WAL reuses its pages)."""
    full = threading.Event()
    real = heartbeat_module.run_batch
    batches: list[str] = []

    def run_batch(*args, **kwargs):
        if full.is_set():
            raise sqlite3.OperationalError("database or disk is full")
        batches.append(real(*args, **kwargs))
        if len(batches) == 1:
            full.set()
        return batches[-1]

    monkeypatch.setattr(heartbeat_module, "run_batch", run_batch)
    return full


def _import(ctx) -> int:
    add_products(ctx, *[(f"P{i}", "1.00", 1) for i in range(ROWS)])
    write_csv(ctx, "a.csv", ["sku", "title", "net_price", "stock"],
              [[f"P{i}", f"P{i}", "2.00", "5"] for i in range(ROWS)])
    profile = add_profile(ctx, import_profile(batch_size=10))
    return run_now(ctx, profile.id)


def _until(check, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("not in time")


def _worker(ctx, said: list[str]) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, kwargs={
        "ctx": ctx, "stop": stop, "interval": 0.01,
        "on_tick": lambda report: said.extend(report.lines)}, daemon=True)
    thread.start()
    return thread, stop


def test_a_waiting_task_says_why_and_resumes_when_there_is_room(ctx, disk):
    task_id = _import(ctx)
    said: list[str] = []
    thread, stop = _worker(ctx, said)
    try:
        message = _until(lambda: task_of(ctx, task_id).message)
        assert message.startswith("waiting for the database since 2026-11-02 09:00:00")
        if ctx.db.dialect.name == "sqlite":
            assert "the disk holding the database is full:" in message
            assert "bytes free; waiting" in message
        else:
            assert "database or disk is full; waiting" in message
        waiting = WAITING.oldest()
        assert waiting is not None and waiting.line() == message
        assert task_of(ctx, task_id).status is TaskStatus.RUNNING
        disk.clear()  # room again
        _until(lambda: task_of(ctx, task_id).status is TaskStatus.COMPLETED)
    finally:
        stop.set()
        thread.join(30)
    task = task_of(ctx, task_id)
    assert task.progress.processed == ROWS and task.progress.errors == 0
    assert task.message is None  # the wait is over, and said no more
    assert WAITING.oldest() is None
    assert any(line.startswith("the database is back after") for line in said), said


def test_past_the_outage_limit_the_tasks_end_in_error_with_the_reason(ctx, disk):
    with write_tx(ctx.db) as conn:
        save_settings(conn, {"outage_limit_seconds": 1})
    task_id = _import(ctx)
    said: list[str] = []
    thread, stop = _worker(ctx, said)
    try:
        _until(lambda: task_of(ctx, task_id).status is TaskStatus.ERROR)
        assert thread.is_alive()  # the worker itself waits on, for the other tasks
    finally:
        stop.set()
        thread.join(30)
    task = task_of(ctx, task_id)
    assert task.message.startswith("the database would not take this task's work for 1 "
                                   "seconds (setting outage_limit_seconds): ")
    assert "full" in task.message
    p = task.progress
    assert p.processed == 10 and p.cancelled == ROWS - 10 and p.pending == 0
    assert task.lease_owner is None
    assert any(line == f"task {task_id} error: {task.message}" for line in said), said
    assert WAITING.oldest() is None  # a stopped worker waits no more
