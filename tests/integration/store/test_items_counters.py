"""Store contract: items are queued and read a batch at a time, given their outcomes, and the
task's counters move with them so that pending + processed + skipped + cancelled + errors =
total after every commit."""

from __future__ import annotations

from datetime import UTC, datetime

from storetools import add_profile, add_task, counters, task_row

from syncbeat.domain.statuses import ItemOutcome, TaskStatus
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.items import (
    add_counts,
    failed_seqs,
    insert_items,
    item_keys,
    item_rows_after,
    keyless_rows,
    list_items,
    outcome_writes,
    read_batch,
    record_outcomes,
)
from syncbeat.store.logs import add_log, log_rows_after, tail_log
from syncbeat.store.metrics import step_failure_counts
from syncbeat.store.tasks import (
    add_queued,
    add_worked,
    finish_batch,
    mark_queued,
    move_task,
    note_failure,
    update_task,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
P, D, S, C, E = (int(o) for o in ItemOutcome)  # pending, processed, skipped, cancelled, error


def _running_with_items(db, n=10):
    task_id = add_task(db, add_profile(db, NOW), NOW, status=TaskStatus.RUNNING)
    rows = [(seq, f"P{seq}", f"input {seq}", P, None) for seq in range(1, n + 1)]
    with write_tx(db) as conn:
        insert_items(conn, task_id, rows)
        assert add_queued(conn, task_id, expected_total=0, added=n, pending=n, errors=0,
                          seconds=0.5) == 0
    return task_id


def _invariant(c):
    return c["pending"] + c["processed"] + c["skipped"] + c["cancelled"] + c["errors"] == c[
        "total"]


def test_queued_items_are_read_back_a_batch_at_a_time_in_feed_order(db):
    task_id = _running_with_items(db, 10)
    with read_tx(db) as conn:
        first = read_batch(conn, task_id, 0, 4)
        rest = read_batch(conn, task_id, 8, 4)
    assert [tuple(r) for r in first] == [(n, f"P{n}", f"input {n}", P) for n in range(1, 5)]
    assert [r[0] for r in rest] == [9, 10]
    assert counters(db, task_id) == {
        "total": 10, "pending": 10, "processed": 0, "skipped": 0, "cancelled": 0, "errors": 0}


def test_a_row_may_be_queued_with_its_outcome_already(db):
    task_id = add_task(db, add_profile(db, NOW), NOW, status=TaskStatus.RUNNING)
    with write_tx(db) as conn:
        insert_items(conn, task_id, [(1, "A", "a", P, None), (2, None, None, E, "bad byte")])
        insert_items(conn, task_id, [])
        # The rows of the feed that could not be read before this chunk's: none.
        assert add_queued(conn, task_id, expected_total=0, added=2, pending=1, errors=1,
                          seconds=0.1) == 0
    with read_tx(db) as conn:
        shown = list_items(conn, task_id, TaskStatus.RUNNING)
        assert keyless_rows(conn, task_id, 2) == 1
        assert keyless_rows(conn, task_id, 1) == 0
    assert [(i.seq, i.key, i.outcome, i.detail) for i in shown] == [
        (1, "A", ItemOutcome.PENDING, None), (2, None, ItemOutcome.ERROR, "bad byte")]
    row = task_row(db, task_id)
    assert (row["total"], row["pending"], row["errors"], row["unread"]) == (2, 1, 1, 1)


def test_add_queued_counts_only_if_nobody_queued_meanwhile(db):
    task_id = _running_with_items(db, 3)
    with write_tx(db) as conn:
        # Someone queued meanwhile (total is 3, not 0): nothing counted.
        assert add_queued(conn, task_id, expected_total=0, added=3, pending=3, errors=0,
                          seconds=0.1) is None
        assert add_queued(conn, task_id, expected_total=3, added=2, pending=2, errors=0,
                          seconds=0.25) == 0
    row = task_row(db, task_id)
    assert (row["total"], row["pending"]) == (5, 5)
    assert row["queue_seconds"] == row["work_seconds"] == 0.75


def test_mark_queued_is_true_once(db):
    task_id = _running_with_items(db, 1)
    with write_tx(db) as conn:
        assert mark_queued(conn, task_id)
        assert not mark_queued(conn, task_id)
    assert task_row(db, task_id)["queue_done"] is True


def test_outcomes_and_counters_of_a_batch_commit_together(db):
    task_id = _running_with_items(db, 10)
    outcomes = [(1, D, "price: 1.00 -> 2.00"), (2, S, "no change"), (3, S, "no change"),
                (4, E, "price: 'abc' is not a number"), (5, S, "no change")]
    writes = outcome_writes(outcomes)
    counts = writes.counts
    assert counts == {"processed": 1, "skipped": 3, "errors": 1}
    assert writes.common == (S, "no change")
    with write_tx(db) as conn:
        record_outcomes(conn, task_id, 1, 5, writes)
        finish_batch(conn, task_id, first=1, last=5, done=5, counts=counts, seconds=0.2)
    c = counters(db, task_id)
    assert c == {"total": 10, "pending": 5, "processed": 1, "skipped": 3, "cancelled": 0,
                 "errors": 1}
    assert _invariant(c)
    row = task_row(db, task_id)
    assert (row["cursor"], row["batches"], row["failures"]) == (5, 1, 0)
    with read_tx(db) as conn:
        shown = [(i.seq, i.outcome, i.detail) for i in list_items(conn, task_id,
                                                                  TaskStatus.RUNNING)]
    assert shown[:6] == [
        (1, ItemOutcome.PROCESSED, "price: 1.00 -> 2.00"), (2, ItemOutcome.SKIPPED, "no change"),
        (3, ItemOutcome.SKIPPED, "no change"),
        (4, ItemOutcome.ERROR, "price: 'abc' is not a number"),
        (5, ItemOutcome.SKIPPED, "no change"), (6, ItemOutcome.PENDING, None)]


def test_record_outcomes_leaves_the_items_outside_its_range_alone(db):
    task_id = _running_with_items(db, 6)
    with write_tx(db) as conn:
        record_outcomes(conn, task_id, 3, 4, outcome_writes([(3, D, "created"), (4, D, "created")]))
        record_outcomes(conn, task_id, 5, 5, outcome_writes([]))
    with read_tx(db) as conn:
        rows = item_rows_after(conn, task_id, 0, 100)
    assert [tuple(r) for r in rows] == [
        (1, "P1", P, None), (2, "P2", P, None), (3, "P3", D, "created"), (4, "P4", D, "created"),
        (5, "P5", P, None), (6, "P6", P, None)]


def test_export_size_moves_with_the_batch(db):
    task_id = _running_with_items(db, 2)
    with write_tx(db) as conn:
        finish_batch(conn, task_id, first=1, last=2, done=2, counts={"processed": 2}, seconds=0.1,
                     export_size=1234)
    assert task_row(db, task_id)["export_size"] == 1234


def test_items_of_a_killed_task_still_pending_show_as_cancelled(db):
    task_id = _running_with_items(db, 4)
    with write_tx(db) as conn:
        record_outcomes(conn, task_id, 1, 2, outcome_writes([(1, D, "created"), (2, E, "refused")]))
        finish_batch(conn, task_id, first=1, last=2, done=2, counts={"processed": 1, "errors": 1},
                     seconds=0.1)
        assert move_task(conn, task_id, TaskStatus.KILLED, now=NOW)
    assert counters(db, task_id) == {
        "total": 4, "pending": 0, "processed": 1, "skipped": 0, "cancelled": 2, "errors": 1}
    with read_tx(db) as conn:
        everything = list_items(conn, task_id, TaskStatus.KILLED)
        cancelled = list_items(conn, task_id, TaskStatus.KILLED, outcome=ItemOutcome.CANCELLED)
        pending = list_items(conn, task_id, TaskStatus.KILLED, outcome=ItemOutcome.PENDING)
        failed = failed_seqs(conn, task_id, cancelled=False)
        failed_or_cancelled = failed_seqs(conn, task_id, cancelled=True)
    assert [i.outcome for i in everything] == [
        ItemOutcome.PROCESSED, ItemOutcome.ERROR, ItemOutcome.CANCELLED, ItemOutcome.CANCELLED]
    assert [i.seq for i in cancelled] == [3, 4]
    assert pending == []
    assert failed == [2]
    assert failed_or_cancelled == [2, 3, 4]


def test_list_items_pages_by_seq_and_offset(db):
    task_id = _running_with_items(db, 10)
    with read_tx(db) as conn:
        assert [i.seq for i in list_items(conn, task_id, TaskStatus.RUNNING, after=3,
                                          limit=2)] == [4, 5]
        assert [i.seq for i in list_items(conn, task_id, TaskStatus.RUNNING, limit=3,
                                          offset=8)] == [9, 10]


def test_item_keys_pages_the_keys_and_leaves_out_keyless_rows(db):
    task_id = add_task(db, add_profile(db, NOW), NOW, status=TaskStatus.RUNNING)
    with write_tx(db) as conn:
        insert_items(conn, task_id, [(1, "A", "a", P, None), (2, None, "b", P, None),
                                     (3, "C", "c", P, None)])
    with read_tx(db) as conn:
        assert item_keys(conn, task_id, 0, 10) == [(1, "A"), (3, "C")]
        assert item_keys(conn, task_id, 1, 1) == []
        assert item_keys(conn, task_id, 2, 10) == [(3, "C")]


def test_add_counts_moves_only_the_counters_given(db):
    task_id = _running_with_items(db, 3)
    with write_tx(db) as conn:
        add_counts(conn, task_id, pending=-1, processed=1)
        add_counts(conn, task_id)
    assert counters(db, task_id) == {
        "total": 3, "pending": 2, "processed": 1, "skipped": 0, "cancelled": 0, "errors": 0}


def test_add_worked_counts_items_born_worked_while_the_task_runs(db):
    task_id = _running_with_items(db, 2)
    with write_tx(db) as conn:
        assert not add_worked(conn, task_id, expected_total=0, processed=1, skipped=0,
                              errors=0, seconds=0.1)
        assert add_worked(conn, task_id, expected_total=2, processed=2, skipped=1, errors=1,
                          seconds=0.1)
    c = counters(db, task_id)
    assert c == {"total": 6, "pending": 2, "processed": 2, "skipped": 1, "cancelled": 0,
                 "errors": 1}
    with write_tx(db) as conn:
        assert move_task(conn, task_id, TaskStatus.ERROR, now=NOW)
        assert not add_worked(conn, task_id, expected_total=6, processed=1, skipped=0,
                              errors=0, seconds=0.1)
    assert counters(db, task_id)["total"] == 6


def test_failures_count_up_and_a_batch_resets_them(db):
    task_id = _running_with_items(db, 2)
    with write_tx(db) as conn:
        assert note_failure(conn, task_id, "batch", NOW) == 1
        assert note_failure(conn, task_id, "batch", NOW) == 2
        assert note_failure(conn, task_id, "queueing", NOW) == 3
    assert task_row(db, task_id)["failures"] == 3
    with read_tx(db) as conn:  # each step's failures, counted for /metrics
        assert step_failure_counts(conn) == {"batch": 2, "queueing": 1}
    with write_tx(db) as conn:
        finish_batch(conn, task_id, first=1, last=1, done=1, counts={"skipped": 1}, seconds=0.1)
    assert task_row(db, task_id)["failures"] == 0


def test_update_task_sets_plain_fields(db):
    task_id = _running_with_items(db, 1)
    with write_tx(db) as conn:
        update_task(conn, task_id, spec={"_feed_rows": 1, "name": "x"}, cursor=1)
    row = task_row(db, task_id)
    assert (row["spec"], row["cursor"]) == ({"_feed_rows": 1, "name": "x"}, 1)


def test_the_actions_log_keeps_its_lines_in_order(db):
    task_id = _running_with_items(db, 1)
    with write_tx(db) as conn:
        for n in range(1, 6):
            add_log(conn, task_id, NOW, f"line {n}", "warning" if n == 3 else "info")
    with read_tx(db) as conn:
        page = log_rows_after(conn, task_id, 0, 2)
        rest = log_rows_after(conn, task_id, page[-1][0], 10)
        tail = tail_log(conn, task_id, 2)
    assert [(r[2], r[3]) for r in page] == [("info", "line 1"), ("info", "line 2")]
    assert [r[3] for r in rest] == ["line 3", "line 4", "line 5"]
    assert rest[0][2] == "warning"
    assert tail == [(NOW, "info", "line 4"), (NOW, "info", "line 5")]
