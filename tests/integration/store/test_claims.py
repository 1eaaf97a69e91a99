"""Store contract: an import's batches take ranges of its items (`store.claims`), several in
flight at once, recorded in any order; the counters stay exact, the cursor never passes an
item a batch in flight still works, and a range whose worker stopped is worked again once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from storetools import add_profile, add_task, counters, task_row

from syncbeat.domain.statuses import ItemOutcome, TaskStatus
from syncbeat.store.claims import (
    Claim,
    ClaimLost,
    claimable,
    give_back,
    open_claims,
    settle,
    take_range,
)
from syncbeat.store.db import write_tx
from syncbeat.store.items import add_counts, insert_items, outcome_writes, record_outcomes
from syncbeat.store.tasks import TaskEnded, finish_batch, move_task, release_leases

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=120)
P, D, S = int(ItemOutcome.PENDING), int(ItemOutcome.PROCESSED), int(ItemOutcome.SKIPPED)


def _import_with_items(db, n):
    task_id = add_task(db, add_profile(db, NOW), NOW, status=TaskStatus.RUNNING)
    with write_tx(db) as conn:
        insert_items(conn, task_id, [(seq, f"P{seq}", "x", P, None) for seq in range(1, n + 1)])
        add_counts(conn, task_id, pending=n, total=n)
    return task_id


def _take(db, task_id, size, owner="host:1", now=NOW):
    with write_tx(db) as conn:
        return take_range(conn, task_id, size, owner=owner, now=now, lease=LEASE)


def _claims(db, task_id):
    with db.connect() as conn:
        return [(c.first, c.last) for c in open_claims(conn, task_id)]


def _record(conn, claim, owner="host:1", outcome=D, *, settled=True):
    """What a batch records for its range: every item `outcome`, then its claim settled."""
    seqs = range(claim.first, claim.last + 1)
    record_outcomes(conn, claim.task_id, claim.first, claim.last,
                    outcome_writes([(seq, outcome, None) for seq in seqs]))
    finish_batch(conn, claim.task_id, first=claim.first, last=None, done=len(seqs),
                 counts={"processed" if outcome == D else "skipped": len(seqs)}, seconds=0.1)
    if settled:
        settle(conn, claim, owner)


def test_ranges_follow_one_another_to_the_last_item_queued(db):
    task_id = _import_with_items(db, 25)
    taken = [_take(db, task_id, 10, owner=f"host:{n}") for n in range(4)]
    assert taken == [Claim(task_id, 1, 10), Claim(task_id, 11, 20), Claim(task_id, 21, 25), None]
    assert _claims(db, task_id) == [(1, 10), (11, 20), (21, 25)]
    assert task_row(db, task_id)["claimed"] == 25


def test_a_range_recorded_moves_counters_and_the_cursor(db):
    task_id = _import_with_items(db, 25)
    claim = _take(db, task_id, 10)
    with write_tx(db) as conn:
        _record(conn, claim)
    row = task_row(db, task_id)
    assert (row["cursor"], row["claimed"], row["batches"]) == (10, 10, 1)
    assert counters(db, task_id) == {"total": 25, "pending": 15, "processed": 10,
                                     "skipped": 0, "cancelled": 0, "errors": 0}
    assert _claims(db, task_id) == []


def test_a_later_range_recorded_first_leaves_the_cursor_below_the_one_in_flight(db):
    task_id = _import_with_items(db, 30)
    first, second, third = (_take(db, task_id, 10, owner=f"host:{n}") for n in (1, 2, 3))
    with write_tx(db) as conn:
        _record(conn, second, "host:2", S)
    row = task_row(db, task_id)
    assert row["cursor"] == 0  # items 1-10 are still in flight
    assert (row["processed"], row["skipped"], row["pending"]) == (0, 10, 20)
    with write_tx(db) as conn:
        _record(conn, first, "host:1")
    assert task_row(db, task_id)["cursor"] == 20  # 21-30 in flight
    with write_tx(db) as conn:
        _record(conn, third, "host:3")
    assert task_row(db, task_id)["cursor"] == 30
    assert counters(db, task_id) == {"total": 30, "pending": 0, "processed": 20,
                                     "skipped": 10, "cancelled": 0, "errors": 0}


def test_a_range_whose_worker_stopped_is_taken_over_and_its_late_record_refused(db):
    task_id = _import_with_items(db, 20)
    lost = _take(db, task_id, 10, owner="host:1")
    # Before its lease ends nobody takes it: the next range comes.
    assert _take(db, task_id, 10, owner="host:2") == Claim(task_id, 11, 20)
    later = NOW + LEASE + timedelta(seconds=1)
    assert _take(db, task_id, 10, owner="host:2", now=later) == lost
    with pytest.raises(ClaimLost, match="taken over by another worker"), write_tx(db) as conn:
        _record(conn, lost, "host:1")
    assert counters(db, task_id)["processed"] == 0  # rolled back whole
    with write_tx(db) as conn:
        _record(conn, lost, "host:2")
    assert counters(db, task_id)["processed"] == 10


def test_a_worker_takes_its_own_range_again_after_its_batch_failed(db):
    task_id = _import_with_items(db, 20)
    mine = _take(db, task_id, 10, owner="host:1")  # its batch then met an outage
    assert _take(db, task_id, 10, owner="host:1") == mine
    assert _take(db, task_id, 10, owner="host:2") == Claim(task_id, 11, 20)


def test_an_import_in_feed_order_takes_no_range_while_another_is_in_flight(db):
    task_id = _import_with_items(db, 30)
    first = _take(db, task_id, 10, owner="host:1")
    with write_tx(db) as conn:
        assert take_range(conn, task_id, 10, owner="host:2", now=NOW, lease=LEASE,
                          in_order=True) is None
    with write_tx(db) as conn:
        _record(conn, first, "host:1")
        # The batch that records takes the next range in order, in the same transaction.
        assert take_range(conn, task_id, 10, owner="host:1", now=NOW, lease=LEASE,
                          in_order=True) == Claim(task_id, 11, 20)


def test_claimable_says_whether_a_range_is_left_to_take(db):
    task_id = _import_with_items(db, 20)
    with db.connect() as conn:
        assert claimable(conn, task_id, NOW, "host:2")
    mine = _take(db, task_id, 20, owner="host:1")
    with db.connect() as conn:
        assert not claimable(conn, task_id, NOW, "host:2")  # all in flight
        assert claimable(conn, task_id, NOW, "host:1")  # its own, after a failed batch
        assert claimable(conn, task_id, NOW + LEASE + timedelta(seconds=1), "host:2")
    with write_tx(db) as conn:
        _record(conn, mine, "host:1")
    with db.connect() as conn:
        assert not claimable(conn, task_id, NOW, "host:1")


@pytest.mark.postgres
def test_a_batch_recording_while_a_range_is_taken_keeps_the_cursor_below_it(db):
    task_id = _import_with_items(db, 30)
    first = _take(db, task_id, 10, owner="host:1")
    recorded: dict[str, object] = {}
    with write_tx(db) as conn:
        # Another worker takes the next range: the task's row is locked until it commits.
        taken = take_range(conn, task_id, 10, owner="host:2", now=NOW, lease=LEASE)
        thread = threading.Thread(target=lambda: recorded.setdefault("done", _record_alone(
            db, first)), daemon=True)
        thread.start()
        _wait_blocked(db)
    thread.join(30)
    assert not thread.is_alive() and recorded["done"] is True
    assert taken == Claim(task_id, 11, 20)
    assert task_row(db, task_id)["cursor"] == 10  # not 20: items 11-20 are in flight


def _record_alone(db, claim) -> bool:
    with write_tx(db) as conn:
        conn.exec_driver_sql("SET LOCAL lock_timeout = '20s'")
        _record(conn, claim, "host:1")
    return True


def _wait_blocked(db) -> None:
    """Until another connection waits for a lock (PostgreSQL)."""
    with db.connect() as watcher:
        for _ in range(500):
            if watcher.execute(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")).scalar():
                return
            watcher.rollback()  # the view is read once a transaction
            time.sleep(0.02)
    raise AssertionError("the batch never waited for the task's row")


def test_a_worker_stopping_cleanly_hands_its_ranges_back_at_once(db):
    task_id = _import_with_items(db, 20)
    mine = _take(db, task_id, 10, owner="host:1")
    with write_tx(db) as conn:
        release_leases(conn, "host:1")
    assert _take(db, task_id, 10, owner="host:2") == mine


def test_a_batch_of_a_task_killed_meanwhile_records_nothing(db):
    task_id = _import_with_items(db, 20)
    claim = _take(db, task_id, 10)
    with write_tx(db) as conn:
        assert move_task(conn, task_id, TaskStatus.KILLED, now=NOW, message="killed")
    with pytest.raises(TaskEnded, match="no longer runs"), write_tx(db) as conn:
        _record(conn, claim)
    assert counters(db, task_id) == {"total": 20, "pending": 0, "processed": 0,
                                     "skipped": 0, "cancelled": 20, "errors": 0}
    assert _claims(db, task_id) == []  # the kill dropped them


def test_a_range_recorded_in_part_gives_the_rest_back(db):
    task_id = _import_with_items(db, 20)
    claim = _take(db, task_id, 10)
    with write_tx(db) as conn:
        give_back(conn, claim, "host:1", 6)
        _record(conn, Claim(task_id, claim.first, 6), settled=False)
    assert task_row(db, task_id)["cursor"] == 6
    assert _take(db, task_id, 10, owner="host:2") == Claim(task_id, 7, 10)
    assert _take(db, task_id, 10, owner="host:3") == Claim(task_id, 11, 20)
