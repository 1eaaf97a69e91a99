"""Store contract: tasks are created once per occurrence, and every status change is the
conditional move the status table allows, whatever the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from storetools import add_profile, add_task, counters, task_row

from syncbeat.domain.statuses import FINAL_STATUSES, TaskStatus, can_move
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.items import add_counts, insert_items
from syncbeat.store.tasks import (
    active_of_profile,
    claim,
    create_task,
    due_pending,
    get_task,
    move_task,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=120)


def test_a_scheduled_occurrence_is_created_once_a_manual_run_every_time(db):
    profile = add_profile(db, NOW)
    at = NOW + timedelta(hours=1)
    with write_tx(db) as conn:
        first = create_task(conn, profile, scheduled_at=at, trigger="schedule", now=NOW)
        again = create_task(conn, profile, scheduled_at=at, trigger="schedule", now=NOW)
        manual = create_task(conn, profile, scheduled_at=at, trigger="manual", now=NOW,
                             flags={"_force": True})
        manual_too = create_task(conn, profile, scheduled_at=at, trigger="manual", now=NOW)
    assert first is not None and again is None
    assert manual is not None and manual_too is not None
    assert len({first, manual, manual_too}) == 3
    with read_tx(db) as conn:
        task = get_task(conn, manual)
    assert task is not None
    assert task.status is TaskStatus.PENDING
    assert task.profile_name == "Supplier A"
    assert task.spec == {"_force": True}
    assert task.progress.total == 0


def test_a_failed_duplicate_leaves_the_callers_transaction_usable(db):
    profile = add_profile(db, NOW)
    with write_tx(db) as conn:
        assert create_task(conn, profile, scheduled_at=NOW, trigger="schedule", now=NOW)
        assert create_task(conn, profile, scheduled_at=NOW, trigger="schedule", now=NOW) is None
        later = create_task(conn, profile, scheduled_at=NOW + timedelta(hours=1),
                            trigger="schedule", now=NOW)
    assert later is not None
    assert task_row(db, later)["status"] == "pending"


def test_get_task_of_an_unknown_id_is_none(db):
    with read_tx(db) as conn:
        assert get_task(conn, 999) is None
        assert get_task(conn, 999, for_update=True) is None


STATUSES = list(TaskStatus)


@pytest.mark.parametrize("target", STATUSES, ids=str)
@pytest.mark.parametrize("current", STATUSES, ids=str)
def test_a_move_succeeds_exactly_when_the_status_table_allows_it(db, current, target):
    profile = add_profile(db, NOW)
    task_id = add_task(db, profile, NOW, status=current)
    later = NOW + timedelta(minutes=5)
    with write_tx(db) as conn:
        moved = move_task(conn, task_id, target, now=later, message="why")
    row = task_row(db, task_id)
    assert moved is can_move(current, target)
    if moved:
        assert row["status"] == str(target)
        assert row["message"] == "why"
        if target in FINAL_STATUSES:
            assert row["finished_at"] == later
    else:
        assert row["status"] == str(current)
        assert row["message"] is None


def test_running_keeps_the_first_start_time_and_a_final_move_drops_the_lease(db):
    profile = add_profile(db, NOW)
    task_id = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    assert task_row(db, task_id)["started_at"] == NOW
    with write_tx(db) as conn:
        assert claim(conn, task_id, owner="w1", now=NOW, lease=LEASE)
        assert move_task(conn, task_id, TaskStatus.COMPLETED, now=NOW + timedelta(minutes=1))
    row = task_row(db, task_id)
    assert row["started_at"] == NOW
    assert (row["lease_owner"], row["lease_until"]) == (None, None)


@pytest.mark.parametrize("target", [TaskStatus.KILLED, TaskStatus.ERROR], ids=str)
def test_killed_or_error_cancels_the_pending_items_in_the_same_move(db, target):
    profile = add_profile(db, NOW)
    task_id = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    with write_tx(db) as conn:
        insert_items(conn, task_id, [(n, f"P{n}", "x", 0, None) for n in range(1, 8)])
        add_counts(conn, task_id, total=7, pending=7)
    with write_tx(db) as conn:
        assert move_task(conn, task_id, target, now=NOW)
    assert counters(db, task_id) == {
        "total": 7, "pending": 0, "processed": 0, "skipped": 0, "cancelled": 7, "errors": 0}


def test_completed_does_not_cancel_anything(db):
    profile = add_profile(db, NOW)
    task_id = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    with write_tx(db) as conn:
        assert move_task(conn, task_id, TaskStatus.COMPLETED, now=NOW)
    assert counters(db, task_id)["cancelled"] == 0


def test_a_move_held_by_a_worker_needs_that_worker_to_hold_the_lease(db):
    profile = add_profile(db, NOW)
    task_id = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    with write_tx(db) as conn:
        assert claim(conn, task_id, owner="w1", now=NOW, lease=LEASE)
    with write_tx(db) as conn:
        assert not move_task(conn, task_id, TaskStatus.COMPLETED, now=NOW, held_by="w2")
    assert task_row(db, task_id)["status"] == "running"
    with write_tx(db) as conn:
        assert move_task(conn, task_id, TaskStatus.COMPLETED, now=NOW, held_by="w1")
    assert task_row(db, task_id)["status"] == "completed"


def test_of_two_moves_of_one_task_only_the_first_wins(db):
    profile = add_profile(db, NOW)
    task_id = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    with write_tx(db) as conn:
        assert move_task(conn, task_id, TaskStatus.KILLED, now=NOW, message="killed")
    with write_tx(db) as conn:
        assert not move_task(conn, task_id, TaskStatus.COMPLETED, now=NOW, message="done")
    row = task_row(db, task_id)
    assert (row["status"], row["message"]) == ("killed", "killed")


def test_due_pending_lists_the_pending_tasks_whose_time_came_oldest_first(db):
    profile = add_profile(db, NOW)
    later = add_task(db, profile, NOW - timedelta(minutes=1))
    earlier = add_task(db, profile, NOW - timedelta(minutes=5))
    add_task(db, profile, NOW + timedelta(minutes=1))  # not yet
    add_task(db, profile, NOW - timedelta(minutes=9), status=TaskStatus.RUNNING)
    with read_tx(db) as conn:
        due = due_pending(conn, NOW)
        assert [t.id for t in due] == [earlier, later]
        assert [t.id for t in due_pending(conn, NOW, limit=1)] == [earlier]


def test_active_of_profile_lists_that_profiles_tasks_in_one_status(db):
    first = add_profile(db, NOW, "First")
    second = add_profile(db, NOW, "Second")
    running = add_task(db, first, NOW, status=TaskStatus.RUNNING)
    add_task(db, first, NOW)
    add_task(db, second, NOW, status=TaskStatus.RUNNING)
    with read_tx(db) as conn:
        assert [t.id for t in active_of_profile(conn, first.id, TaskStatus.RUNNING)] == [running]
        assert len(active_of_profile(conn, first.id, TaskStatus.PENDING)) == 1
