"""Guards on an import's feed: safety limits refuse a feed far smaller than usual before it
changes anything, a key met twice in one feed is an error of the later row, two columns of
one name stop the task, and the items that failed can be re-run from the same feed."""

from __future__ import annotations

import csv
import io

import pytest
from helpers import (
    add_products,
    add_profile,
    drain,
    import_profile,
    invariant_holds,
    product,
    task_of,
    write_csv,
)

from syncbeat.domain.profile import parse_profile
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import ActionError, kill_task, run_now
from syncbeat.engine.artifacts import report_lines
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.engine.preview import preview_import
from syncbeat.engine.rerun import rerun_failed
from syncbeat.store.db import write_tx
from syncbeat.store.profiles import update_profile

HEADER = ["sku", "net_price", "stock", "title"]


def report(ctx, task_id):
    rows = csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task_of(ctx, task_id)))))
    return [(r["key"], r["outcome"], r["detail"]) for r in rows]


def rows(n, price="2.00", start=1):
    return [[f"R{i}", price, str(i), f"Product {i}"] for i in range(start, start + n)]


def run(ctx, profile_id, **kwargs):
    task_id = run_now(ctx, profile_id, **kwargs)
    drain(ctx)
    return task_of(ctx, task_id)


def test_a_feed_under_min_rows_changes_nothing_until_run_anyway(ctx):
    add_products(ctx, ("R1", "1.00", 0), ("R2", "1.00", 0))
    write_csv(ctx, "a.csv", HEADER, rows(2))
    profile = add_profile(ctx, import_profile(limits={"min_rows": 3}))

    task = run(ctx, profile.id)
    assert task.status is TaskStatus.ERROR
    assert task.message == ("safety limit: the feed has 2 rows, fewer than limits.min_rows "
                            "(3); nothing was changed (run it anyway to apply it)")
    assert task.failed_limit and task.as_dict()["failed_limit"] is True
    assert task.progress.as_dict() == {"total": 2, "pending": 0, "processed": 0,
                                       "skipped": 0, "cancelled": 2, "error": 0}
    assert product(ctx, "R1")["price"] == "1.00"
    assert [r[1] for r in report(ctx, task.id)] == ["cancelled", "cancelled"]

    forced = run(ctx, profile.id, force=True)
    assert forced.status is TaskStatus.COMPLETED and not forced.failed_limit
    assert forced.progress.processed == 2
    assert product(ctx, "R1")["price"] == "2.00"


def test_a_feed_far_smaller_than_the_last_run_is_refused(ctx):
    add_products(ctx, *[(f"R{i}", "1.00", 0) for i in range(1, 11)])
    write_csv(ctx, "a.csv", HEADER, rows(10))
    profile = add_profile(ctx, import_profile(limits={"max_drop_percent": 30}))
    assert run(ctx, profile.id).status is TaskStatus.COMPLETED  # no last run: nothing to compare

    write_csv(ctx, "a.csv", HEADER, rows(6, price="3.00"))
    task = run(ctx, profile.id)
    assert task.status is TaskStatus.ERROR
    assert task.message.startswith("safety limit: the feed has 6 rows; the last run had 10: "
                                   "more than 30% fewer")
    assert product(ctx, "R1")["price"] == "2.00"
    assert invariant_holds(task)

    write_csv(ctx, "a.csv", HEADER, rows(7, price="3.00"))  # 30% fewer: within the limit
    task = run(ctx, profile.id)
    assert task.status is TaskStatus.COMPLETED
    assert product(ctx, "R1")["price"] == "3.00"
    # the 7-row run is now the one a next feed is compared with
    write_csv(ctx, "a.csv", HEADER, rows(4, price="4.00"))  # 43% fewer than 7
    assert run(ctx, profile.id).status is TaskStatus.ERROR


def test_a_worker_queueing_in_a_second_process_applies_nothing_before_the_limits(ctx):
    url = ctx.db.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        pytest.skip("a second process needs a database file")
    add_products(ctx, ("R1", "1.00", 0), ("R2", "1.00", 0))
    write_csv(ctx, "a.csv", HEADER, rows(30_000, price="2.50"))  # past HELP_BYTES
    profile = add_profile(ctx, import_profile(batch_size=100,
                                              limits={"min_rows": 40_000}))
    task_id = run_now(ctx, profile.id)
    heartbeat = Heartbeat(ctx, background=True)
    try:
        for _ in range(2000):
            report_ = heartbeat.tick()
            if not report_.more and not report_.waiting:
                break
    finally:
        heartbeat.close()
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.ERROR, task.message
    assert "fewer than limits.min_rows (40,000)" in task.message
    assert task.progress.processed == 0 and task.batches == 0
    assert product(ctx, "R1")["price"] == "1.00"


def test_a_key_met_again_is_an_error_of_the_later_row(ctx):
    add_products(ctx, ("R1", "1.00", 0), ("R2", "1.00", 0))
    write_csv(ctx, "a.csv", HEADER, [["R1", "2.00", "1", "first"], ["R2", "2.00", "1", "x"],
                                     ["R1", "9.00", "9", "again"]])
    data = import_profile()
    preview = preview_import(ctx, parse_profile(data))
    task = run(ctx, add_profile(ctx, data).id)
    assert task.status is TaskStatus.COMPLETED
    assert task.progress.processed == 2 and task.progress.errors == 1
    assert product(ctx, "R1")["name"] == "first"
    assert report(ctx, task.id)[2] == ("R1", "error", "key R1 also on row 1")
    assert (preview.rows[2].outcome, preview.rows[2].detail) == (
        "error", "key R1 also on row 1")


def test_last_wins_keeps_the_later_row(ctx):
    add_products(ctx, ("R1", "1.00", 0))
    write_csv(ctx, "a.csv", HEADER, [["R1", "2.00", "1", "first"],
                                     ["R1", "9.00", "9", "again"]])
    profile = add_profile(ctx, import_profile(options={"duplicates": "last_wins"}))
    task = run(ctx, profile.id)
    assert task.progress.errors == 0
    assert product(ctx, "R1")["name"] == "again"


def test_two_columns_of_one_name_stop_the_task_before_queueing(ctx):
    add_products(ctx, ("R1", "1.00", 0))
    write_csv(ctx, "a.csv", ["sku", "net_price", "stock", "title", "stock"],
              [["R1", "2.00", "1", "first", "5"]])
    task = run(ctx, add_profile(ctx, import_profile()).id)
    assert task.status is TaskStatus.ERROR
    assert "two columns named 'stock' (columns 3 and 5)" in task.message
    assert task.progress.total == 0 and product(ctx, "R1")["price"] == "1.00"


def test_rerun_works_only_what_failed_from_the_same_feed(ctx):
    add_products(ctx, ("R1", "1.00", 0), ("R2", "1.00", 0), ("R3", "1.00", 0))
    write_csv(ctx, "a.csv", HEADER, [["R1", "2.00", "1", "one"], ["R2", "n/a", "2", "two"],
                                     ["R3", "3.00", "x", "three"], ["R1", "5", "5", "dup"]])
    data = import_profile()
    profile = add_profile(ctx, data)
    first = run(ctx, profile.id)
    assert (first.progress.processed, first.progress.errors) == (1, 3)
    # the feed file changes meanwhile: the re-run reads the copy the first run read
    write_csv(ctx, "a.csv", HEADER, [["R2", "7.00", "7", "changed"]])
    # the merchant fixes the mapping: stock is no longer imported, the price is
    fixed = parse_profile(dict(data, mapping={"name": "title", "quantity": "stock"}))
    with write_tx(ctx.db) as conn:
        update_profile(conn, profile.id, fixed, ctx.clock())

    rerun_id = rerun_failed(ctx, first.id)
    drain(ctx)
    rerun = task_of(ctx, rerun_id)
    assert rerun.status is TaskStatus.COMPLETED and rerun.rerun_of == first.id
    assert rerun.as_dict()["rerun_of"] == first.id
    assert [r[:2] for r in report(ctx, rerun_id)] == [
        ("R2", "processed"), ("R3", "error"), ("R1", "error")]
    assert report(ctx, rerun_id)[2][2] == "key R1 also on row 1"
    assert product(ctx, "R2")["name"] == "two" and product(ctx, "R2")["quantity"] == 2
    assert product(ctx, "R1")["name"] == "one"

    again = rerun_failed(ctx, rerun_id, errors_only=True)  # a re-run's failures, re-run
    drain(ctx)
    assert [r[:2] for r in report(ctx, again)] == [("R3", "error"), ("R1", "error")]


def test_rerun_of_a_killed_task_works_its_cancelled_items_unless_errors_only(ctx):
    add_products(ctx, *[(f"R{i}", "1.00", 0) for i in range(1, 7)])
    write_csv(ctx, "a.csv", HEADER, rows(6))
    profile = add_profile(ctx, import_profile(batch_size=2))
    task_id = run_now(ctx, profile.id)
    heartbeat = Heartbeat(ctx)
    while task_of(ctx, task_id).progress.processed < 2:
        heartbeat.tick()
    kill_task(ctx, task_id)
    killed = task_of(ctx, task_id)
    assert killed.progress.cancelled == 4

    with pytest.raises(ActionError, match="no items that ended in error"):
        rerun_failed(ctx, task_id, errors_only=True)
    rerun_id = rerun_failed(ctx, task_id)
    drain(ctx)
    rerun = task_of(ctx, rerun_id)
    assert rerun.progress.as_dict() == {"total": 4, "pending": 0, "processed": 4,
                                        "skipped": 0, "cancelled": 0, "error": 0}
    assert [r[0] for r in report(ctx, rerun_id)] == ["R3", "R4", "R5", "R6"]
    assert product(ctx, "R6")["price"] == "2.00"


def test_a_task_without_failures_or_still_running_is_not_rerun(ctx):
    add_products(ctx, ("R1", "1.00", 0))
    write_csv(ctx, "a.csv", HEADER, rows(1))
    profile = add_profile(ctx, import_profile())
    done = run(ctx, profile.id)
    with pytest.raises(ActionError, match="no items that ended in error or were cancelled"):
        rerun_failed(ctx, done.id)
    pending = run_now(ctx, profile.id)
    with pytest.raises(ActionError, match="is pending: re-run it once it has ended"):
        rerun_failed(ctx, pending)
    with pytest.raises(ActionError, match="no task 999"):
        rerun_failed(ctx, 999)


def test_keys_met_again_across_chunks_and_after_the_reader_starts_over(ctx, monkeypatch):
    from syncbeat.engine import queueing

    monkeypatch.setattr(queueing, "CHUNK", 2)
    add_products(ctx, ("R1", "1.00", 0), ("R2", "1.00", 0))
    write_csv(ctx, "a.csv", HEADER, [["R1", "2.00", "1", "a"], ["R2", "2.00", "1", "b"],
                                     ["R3", "2.00", "1", "c"], ["R2", "3.00", "1", "d"],
                                     ["R1", "3.00", "1", "e"]])
    task_id = run_now(ctx, add_profile(ctx, import_profile()).id)
    heartbeat = Heartbeat(ctx)
    heartbeat.tick()  # started
    task = task_of(ctx, task_id)
    queueing.queue_some(ctx, task, ctx.clock(), float("inf"), heartbeat_lease(), chunks=1)
    queueing.forget_reader(ctx, task_id)  # as if another process read on
    drain(ctx, heartbeat)
    assert [r[2] for r in report(ctx, task_id)][3:] == [
        "key R2 also on row 2", "key R1 also on row 1"]
    assert product(ctx, "R1")["name"] == "a"
    assert not list((ctx.data_dir).rglob("seen-*.sqlite"))  # gone with the reader


def heartbeat_lease():
    from datetime import timedelta

    return timedelta(minutes=5)
