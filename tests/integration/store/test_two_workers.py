"""Store contract with two connections at once (PostgreSQL, where many workers share the
work): a task taken by one worker is skipped by the other, never waited for, and of two
actors racing for one row only one wins."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from storetools import add_profile, add_task, task_row

from syncbeat.domain.statuses import TaskStatus
from syncbeat.store.db import write_tx
from syncbeat.store.tasks import claim, create_task, get_task, move_task, running_tasks

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=120)


class Second:
    """The second actor: runs `work` in its own write transaction on a thread."""

    def __init__(self, db: Any, work: Callable[[Any], Any]) -> None:
        self.db = db
        self.result: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(work,), daemon=True)
        self.thread.start()

    def _run(self, work: Callable[[Any], Any]) -> None:
        try:
            with write_tx(self.db) as conn:
                conn.exec_driver_sql("SET LOCAL lock_timeout = '20s'")
                self.result = work(conn)
        except BaseException as exc:
            self.error = exc

    def wait_blocked(self) -> None:
        """Until PostgreSQL shows a session of this test waiting for a row lock."""
        deadline = time.monotonic() + 20
        with self.db.connect() as watcher:
            while time.monotonic() < deadline:
                if not self.thread.is_alive():  # it never waited: say what it did instead
                    raise AssertionError(f"the second actor did not wait for the first one's "
                                         f"lock: it ended with {self.error or self.result!r}")
                waiting = watcher.execute(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")).scalar()
                if waiting:
                    return
                # PostgreSQL reads pg_stat_activity once a transaction: end it to look again.
                watcher.rollback()
                time.sleep(0.02)
        raise AssertionError("the second actor never waited for the first one's lock")

    def outcome(self) -> Any:
        self.thread.join(30)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error
        return self.result


def test_running_tasks_lists_a_task_whose_row_another_worker_holds_locked(db):
    profile = add_profile(db, NOW)
    first = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    second = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    with write_tx(db) as conn:
        assert get_task(conn, first, for_update=True) is not None  # a batch recording
        other = Second(db, lambda c: [t.id for t in running_tasks(c, NOW, "host:2")])
        # A plain read: the second worker answers at once, the locked task included (a
        # worker helping with an import must not miss it while a batch records).
        assert other.outcome() == [first, second]


def test_of_two_workers_claiming_one_task_only_the_first_wins(db):
    task_id = add_task(db, add_profile(db, NOW), NOW, status=TaskStatus.RUNNING)
    with write_tx(db) as conn:
        assert claim(conn, task_id, owner="host:1", now=NOW, lease=LEASE)
        other = Second(db, lambda c: claim(c, task_id, owner="host:2", now=NOW, lease=LEASE))
        other.wait_blocked()
    assert other.outcome() is False
    assert task_row(db, task_id)["lease_owner"] == "host:1"


def test_a_kill_holding_the_row_lock_beats_a_batch_finishing_the_task(db):
    task_id = add_task(db, add_profile(db, NOW), NOW, status=TaskStatus.RUNNING)
    with write_tx(db) as conn:
        assert get_task(conn, task_id, for_update=True) is not None
        other = Second(db, lambda c: move_task(c, task_id, TaskStatus.COMPLETED, now=NOW))
        other.wait_blocked()
        assert move_task(conn, task_id, TaskStatus.KILLED, now=NOW, message="killed by a user")
    assert other.outcome() is False
    row = task_row(db, task_id)
    assert (row["status"], row["message"]) == ("killed", "killed by a user")


def test_two_heartbeats_scheduling_one_occurrence_make_one_task(db):
    profile = add_profile(db, NOW)
    at = NOW + timedelta(hours=1)
    with write_tx(db) as conn:
        mine = create_task(conn, profile, scheduled_at=at, trigger="schedule", now=NOW)
        other = Second(db, lambda c: create_task(c, profile, scheduled_at=at,
                                                 trigger="schedule", now=NOW))
        other.wait_blocked()
    assert mine is not None
    assert other.outcome() is None
    with write_tx(db) as conn:
        assert len(conn.execute(sa.text("SELECT id FROM tasks")).all()) == 1
