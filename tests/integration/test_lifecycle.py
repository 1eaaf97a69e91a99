"""Statuses over a task's life: missed, killed, scheduled, late after downtime, deleted, tidied."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers import (
    add_products,
    add_profile,
    drain,
    import_profile,
    product,
    task_of,
    write_csv,
)

from syncbeat.domain.statuses import ItemOutcome, TaskStatus
from syncbeat.engine.actions import ActionError, delete_task, kill_task, run_now
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.store.db import read_tx
from syncbeat.store.items import list_items
from syncbeat.store.logs import log_rows_after
from syncbeat.store.tasks import TaskFilter, list_tasks

HEADER = ["sku", "title", "net_price", "stock"]


def _feed(ctx, n=10):
    add_products(ctx, *[(f"P{i}", "1.00", 1) for i in range(n)])
    write_csv(ctx, "a.csv", HEADER, [[f"P{i}", f"P{i}", "2.00", "1"] for i in range(n)])


def test_a_second_run_due_while_the_first_runs_is_missed_naming_it(ctx):
    _feed(ctx)
    profile = add_profile(ctx, import_profile())
    first = run_now(ctx, profile.id)
    second = run_now(ctx, profile.id)
    Heartbeat(ctx).tick()
    assert task_of(ctx, first).status is TaskStatus.RUNNING
    missed = task_of(ctx, second)
    assert missed.status is TaskStatus.MISSED
    assert missed.message == f"task {first} of this profile was still running"
    drain(ctx)
    assert task_of(ctx, first).status is TaskStatus.COMPLETED


def test_kill_cancels_pending_items_and_no_batch_runs_after(ctx):
    _feed(ctx)
    profile = add_profile(ctx, import_profile())
    task_id = run_now(ctx, profile.id)
    heartbeat = Heartbeat(ctx)
    heartbeat.tick()  # starts and queues
    heartbeat.tick()  # one batch of 3
    assert task_of(ctx, task_id).progress.processed == 3
    result = kill_task(ctx, task_id)
    assert result.cancelled == 7
    drain(ctx, heartbeat)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.KILLED
    assert task.finished_at is not None
    assert task.progress.as_dict() == {
        "total": 10, "pending": 0, "processed": 3, "skipped": 0, "cancelled": 7, "error": 0,
    }
    with read_tx(ctx.db) as conn:
        cancelled = list_items(conn, task_id, task.status, outcome=ItemOutcome.CANCELLED)
        pending = list_items(conn, task_id, task.status, outcome=ItemOutcome.PENDING)
    assert [i.key for i in cancelled] == [f"P{i}" for i in range(3, 10)]
    assert pending == []
    with pytest.raises(ActionError, match="only a pending or running task can be killed"):
        kill_task(ctx, task_id)


def test_kill_a_pending_task(ctx):
    _feed(ctx)
    profile = add_profile(ctx, import_profile())
    task_id = run_now(ctx, profile.id)
    kill_task(ctx, task_id)
    drain(ctx)
    assert task_of(ctx, task_id).status is TaskStatus.KILLED
    assert task_of(ctx, task_id).started_at is None


def test_a_schedule_keeps_its_next_occurrence_pending_and_starts_it_on_time(ctx, clock):
    _feed(ctx)
    clock.now = datetime(2026, 11, 2, 9, 7, tzinfo=UTC)
    profile = add_profile(ctx, import_profile(schedule="*/15 * * * *", timezone="Europe/Vilnius"))
    heartbeat = Heartbeat(ctx)
    heartbeat.tick()
    heartbeat.tick()  # a second tick makes no second task
    with read_tx(ctx.db) as conn:
        pending = list_tasks(conn, TaskFilter(status=["pending"]))
    assert [t.scheduled_at for t in pending] == [datetime(2026, 11, 2, 9, 15, tzinfo=UTC)]
    clock.now = datetime(2026, 11, 2, 9, 15, 1, tzinfo=UTC)
    drain(ctx, heartbeat)
    with read_tx(ctx.db) as conn:
        done = list_tasks(conn, TaskFilter(profile=str(profile.id)))
    assert [(t.status, t.scheduled_at.minute) for t in done] == [
        (TaskStatus.PENDING, 30), (TaskStatus.COMPLETED, 15),
    ]


def test_after_downtime_the_newest_occurrence_starts_and_the_old_one_is_missed(ctx, clock):
    _feed(ctx)
    clock.now = datetime(2026, 11, 2, 9, 7, tzinfo=UTC)
    add_profile(ctx, import_profile(schedule="*/15 * * * *"))
    heartbeat = Heartbeat(ctx)
    heartbeat.tick()  # 09:15 is pending
    clock.now = datetime(2026, 11, 2, 13, 2, tzinfo=UTC)  # four hours without a heartbeat
    heartbeat.tick()
    with read_tx(ctx.db) as conn:
        tasks = {t.scheduled_at.strftime("%H:%M"): t for t in list_tasks(conn)}
    assert tasks["09:15"].status is TaskStatus.MISSED
    assert tasks["09:15"].message.startswith("the heartbeat was not running at its time")
    assert "14 later occurrences were skipped" in tasks["09:15"].message
    assert tasks["13:00"].status is TaskStatus.RUNNING
    assert tasks["13:15"].status is TaskStatus.PENDING
    assert set(tasks) == {"09:15", "13:00", "13:15"}


def test_an_occurrence_older_than_the_start_window_is_missed_not_started(ctx, clock):
    _feed(ctx)
    clock.now = datetime(2026, 11, 2, 9, 50, tzinfo=UTC)
    add_profile(ctx, import_profile(schedule="0 * * * *"))
    heartbeat = Heartbeat(ctx)
    heartbeat.tick()  # 10:00 pending
    clock.now = datetime(2026, 11, 2, 10, 25, tzinfo=UTC)  # 25 minutes late; window is 10
    heartbeat.tick()
    with read_tx(ctx.db) as conn:
        tasks = {t.scheduled_at.strftime("%H:%M"): t.status for t in list_tasks(conn)}
    assert tasks == {"10:00": TaskStatus.MISSED, "11:00": TaskStatus.PENDING}


def test_delete_removes_the_task_its_items_log_and_files(ctx):
    _feed(ctx)
    profile = add_profile(ctx, import_profile())
    task_id = run_now(ctx, profile.id)
    Heartbeat(ctx).tick()
    assert ctx.task_dir(task_id).exists()
    delete_task(ctx, task_id)  # running: killed first, then deleted
    with read_tx(ctx.db) as conn:
        assert list_tasks(conn) == []
        assert log_rows_after(conn, task_id, 0, 10) == []
        assert list_items(conn, task_id, TaskStatus.KILLED) == []
    assert not ctx.task_dir(task_id).exists()
    with pytest.raises(ActionError, match="no task"):
        delete_task(ctx, task_id)


def test_tidy_deletes_tasks_older_than_the_retention(ctx, clock):
    _feed(ctx)
    profile = add_profile(ctx, import_profile())
    old = run_now(ctx, profile.id)
    drain(ctx)
    clock.advance(days=31)
    recent = run_now(ctx, profile.id)
    drain(ctx)  # a new Heartbeat tidies on its first tick
    with read_tx(ctx.db) as conn:
        assert [t.id for t in list_tasks(conn)] == [recent]
    assert not ctx.task_dir(old).exists()


def test_disabling_a_profile_drops_its_next_occurrence(ctx, clock):
    from syncbeat.store.db import write_tx
    from syncbeat.store.profiles import set_enabled

    profile = add_profile(ctx, import_profile(schedule="*/15 * * * *"))
    Heartbeat(ctx).tick()
    with write_tx(ctx.db) as conn:
        set_enabled(conn, profile.id, False, clock())
    Heartbeat(ctx).tick()
    with read_tx(ctx.db) as conn:
        assert list_tasks(conn) == []


def test_a_deleted_profile_keeps_its_tasks(ctx):
    from syncbeat.store.db import write_tx
    from syncbeat.store.profiles import delete_profile_row

    _feed(ctx)
    profile = add_profile(ctx, import_profile())
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    with write_tx(ctx.db) as conn:
        delete_profile_row(conn, profile.id)
    task = task_of(ctx, task_id)
    assert task.profile_name == "Supplier A stock" and task.profile_id is None
    assert task.status is TaskStatus.COMPLETED


def test_settings_change_the_start_window(ctx, clock):
    from syncbeat.store.db import write_tx
    from syncbeat.store.settings import save_settings

    _feed(ctx)
    with write_tx(ctx.db) as conn:
        save_settings(conn, {"start_window_minutes": "30"})
    clock.now = datetime(2026, 11, 2, 9, 50, tzinfo=UTC)
    add_profile(ctx, import_profile(schedule="0 * * * *"))
    heartbeat = Heartbeat(ctx)
    heartbeat.tick()
    clock.now += timedelta(minutes=35)  # 10:25, inside a 30-minute window
    heartbeat.tick()
    with read_tx(ctx.db) as conn:
        tasks = {t.scheduled_at.strftime("%H:%M"): t.status for t in list_tasks(conn)}
    assert tasks["10:00"] is TaskStatus.RUNNING


def test_two_running_tasks_both_advance_tick_after_tick(ctx):
    from syncbeat.store.db import write_tx
    from syncbeat.store.settings import save_settings

    _feed(ctx, 30)
    with write_tx(ctx.db) as conn:
        save_settings(conn, {"time_budget_seconds": "0.1"})
    first = add_profile(ctx, import_profile())
    second = add_profile(ctx, import_profile(name="Supplier B"))
    a, b = run_now(ctx, first.id), run_now(ctx, second.id)
    heartbeat = Heartbeat(ctx)
    for _ in range(6):
        heartbeat.tick()
    # Both have worked items (the second finds the first's changes made: skipped).
    assert 0 < task_of(ctx, a).progress.done < 30
    assert 0 < task_of(ctx, b).progress.done < 30


def test_a_worker_that_cannot_start_a_second_process_reads_the_feed_itself(ctx, monkeypatch):
    import syncbeat.engine.background as background
    import syncbeat.engine.queueing as queueing

    class NoProcess:
        def __init__(self, *args, **kwargs):
            raise OSError("no shared memory")

    monkeypatch.setattr(queueing, "CHUNK", 10)  # 95 rows: ten chunks, worth a second process
    monkeypatch.setattr(background, "HELP_BYTES", 0)
    monkeypatch.setattr(background._SPAWN, "Process", NoProcess)
    add_products(ctx, *[(f"P{i}", "1.00", 1) for i in range(95)])
    write_csv(ctx, "a.csv", ["sku", "title", "net_price", "stock"],
              [[f"P{i}", f"P{i}", "2.00", "1"] for i in range(95)])
    profile = add_profile(ctx, import_profile(batch_size=20))
    task_id = run_now(ctx, profile.id)
    heartbeat = Heartbeat(ctx, background=True)
    try:
        drain(ctx, heartbeat)
    finally:
        heartbeat.close()

    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED
    assert (task.progress.total, task.progress.processed) == (95, 95)
    assert {product(ctx, f"P{i}")["price"] for i in range(95)} == {"2.00"}


def test_a_worker_reads_one_big_feed_a_core_and_the_others_in_its_ticks(ctx, monkeypatch):
    import syncbeat.engine.background as background
    import syncbeat.engine.queueing as queueing

    started: list[object] = []

    class Child:  # a queueing process that never gets to work
        def __init__(self, *args, **kwargs):
            self.alive = False

        def start(self):
            self.alive = True
            started.append(self)

        def is_alive(self):
            return self.alive

        def join(self, timeout=None):
            self.alive = False

    monkeypatch.setattr(queueing, "CHUNK", 10)
    monkeypatch.setattr(background, "HELP_BYTES", 0)
    monkeypatch.setattr(background, "MAX_CHILDREN", 1)
    monkeypatch.setattr(background._SPAWN, "Process", Child)
    add_products(ctx, *[(f"P{i}", "1.00", 1) for i in range(95)])
    write_csv(ctx, "a.csv", ["sku", "title", "net_price", "stock"],
              [[f"P{i}", f"P{i}", "2.00", "1"] for i in range(95)])
    first = add_profile(ctx, import_profile(name="First", batch_size=20))
    second = add_profile(ctx, import_profile(name="Second", batch_size=20))
    first_id, second_id = run_now(ctx, first.id), run_now(ctx, second.id)
    heartbeat = Heartbeat(ctx, background=True)
    try:
        for _ in range(20):
            heartbeat.tick()
        assert len(started) == 1  # one child, for the first task, which it holds
        assert task_of(ctx, first_id).progress.total == 20  # the tick's two chunks
        second_task = task_of(ctx, second_id)
        assert second_task.status is TaskStatus.COMPLETED, second_task
        # The first task's 20 queued products were changed by its batches already.
        assert (second_task.progress.processed, second_task.progress.skipped) == (75, 20)
    finally:
        heartbeat.close()


def test_a_kill_is_stamped_when_it_gets_the_task_not_when_it_asked(ctx, clock):
    # A batch in flight holds the task; a kill asked meanwhile waits for it. Its time (and the
    # task's Finished At) must not come before that batch's commit.
    import threading

    from syncbeat.store.db import write_tx
    from syncbeat.store.tasks import get_task

    _feed(ctx)
    profile = add_profile(ctx, import_profile())
    task_id = run_now(ctx, profile.id)
    Heartbeat(ctx).tick()  # running
    asked = clock()
    holding, release = threading.Event(), threading.Event()

    def batch_in_flight() -> None:
        with write_tx(ctx.db) as conn:
            get_task(conn, task_id, for_update=True)
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=batch_in_flight)
    holder.start()
    assert holding.wait(10)
    killer = threading.Thread(target=kill_task, args=(ctx, task_id))
    killer.start()
    killer.join(0.3)
    assert killer.is_alive()  # waiting for the batch
    committed = clock.advance(seconds=2)  # the batch commits two seconds later
    release.set()
    holder.join(10)
    killer.join(10)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.KILLED
    assert task.finished_at == committed != asked


def test_a_queueing_process_no_longer_wanted_commits_no_chunk(ctx):
    # A queueing child whose worker died asks before each chunk's commit, and stops.
    from syncbeat.engine.queueing import queue_some
    from syncbeat.engine.start import start_task

    _feed(ctx)
    profile = add_profile(ctx, import_profile())
    task_id = run_now(ctx, profile.id)
    assert start_task(ctx, task_of(ctx, task_id), ctx.clock()).endswith("started")
    line, more = queue_some(ctx, task_of(ctx, task_id), ctx.clock(), float("inf"),
                            timedelta(seconds=60), wanted=lambda: False)
    assert (line, more) == (
        f"task {task_id}: let go (killed, deleted, or queued by another worker)", False)
    assert task_of(ctx, task_id).progress.total == 0
    drain(ctx)  # the worker's own queueing then reads the feed from its start
    assert task_of(ctx, task_id).progress.processed == 10
