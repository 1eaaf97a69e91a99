"""An import from feed to catalog: rows, outcomes, counters, report and log, as users see them."""

from __future__ import annotations

import csv
import io

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

from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.artifacts import log_lines, report_lines
from syncbeat.engine.heartbeat import Heartbeat

HEADER = ["sku", "title", "net_price", "stock"]


# These feeds repeat keys on purpose: each row applies in feed order.
LAST_WINS = {"duplicates": "last_wins"}


def report(ctx, task):
    return list(csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task)))))


def test_import_changes_the_catalog_and_reports_every_row(ctx):
    add_products(ctx, ("A1", "10.00", 3), ("A2", "5.50", 1), ("A3", "7.00", 9))
    write_csv(ctx, "a.csv", HEADER, [
        ["A1", "A1", "12,00", "3"],  # price changes
        ["A2", "A2", "5.5", "1"],  # unchanged: 5.5 == 5.50
        ["A9", "New", "1.00", "1"],  # not in the catalog, create_missing off
        ["A3", "A3", "abc", "2"],  # a price that is no number
        ["", "No key", "1", "1"],  # no key
        ["A3", "A3 renamed", "7", "8"],  # quantity and name change
    ])
    profile = add_profile(ctx, import_profile(options=LAST_WINS))
    task_id = run_now(ctx, profile.id)
    drain(ctx)

    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED
    assert task.progress.as_dict() == {
        "total": 6, "pending": 0, "processed": 2, "skipped": 2, "cancelled": 0, "error": 2,
    }
    assert product(ctx, "A1")["price"] == "12.00"
    assert product(ctx, "A2")["price"] == "5.50"
    assert product(ctx, "A3")["quantity"] == 8 and product(ctx, "A3")["name"] == "A3 renamed"
    assert product(ctx, "A9") is None

    rows = report(ctx, task)
    assert [(r["key"], r["outcome"]) for r in rows] == [
        ("A1", "processed"), ("A2", "skipped"), ("A9", "skipped"), ("A3", "error"),
        ("", "error"), ("A3", "processed"),
    ]
    assert rows[0]["detail"] == "price: 10.00 -> 12.00"
    assert rows[1]["detail"] == "no change"
    assert rows[2]["detail"] == "not in the catalog and create_missing is off"
    assert rows[3]["detail"] == "price 'abc' is not a number"
    assert rows[5]["detail"] == "quantity: 9 -> 8; name: A3 -> A3 renamed"

    text = "".join(log_lines(ctx.db, task))
    assert "started: read feeds/a.csv" in text
    assert "queued 6 items (1 could not be read)" in text
    assert "batch 1: items 1-3: 1 processed, 2 skipped, 0 error" in text
    assert "changed A1: price: 10.00 -> 12.00" in text
    assert "error item 4 (A3): price 'abc' is not a number" in text
    assert "completed: 6 items: 2 processed, 2 skipped, 0 cancelled, 2 error" in text


def test_create_missing_creates_products_once_even_when_a_key_repeats(ctx):
    write_csv(ctx, "a.csv", HEADER, [
        ["N1", "First", "1.00", "1"],
        ["N1", "First", "2.00", "1"],  # same new product again in the same batch
        ["N2", "Second", "3.00", "2"],
    ])
    profile = add_profile(ctx, import_profile(options={**LAST_WINS, "create_missing": True}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)

    assert product(ctx, "N1")["price"] == "2.00"
    assert product(ctx, "N2")["name"] == "Second"
    details = [r["detail"] for r in report(ctx, task_of(ctx, task_id))]
    assert details == ["created", "price: 1.00 -> 2.00", "created"]


def test_counters_add_up_after_every_batch(ctx):
    add_products(ctx, *[(f"P{i}", "1.00", 1) for i in range(20)])
    write_csv(ctx, "a.csv", HEADER, [[f"P{i}", f"P{i}", "2.00", "1"] for i in range(20)])
    profile = add_profile(ctx, import_profile())
    task_id = run_now(ctx, profile.id)
    heartbeat = Heartbeat(ctx)
    seen = []
    while heartbeat.tick().more:
        task = task_of(ctx, task_id)
        assert invariant_holds(task), task.progress
        seen.append(task.progress.pending)
    assert seen[-2:] == [2, 0]  # 20 items, batches of 3: ... 5, 2, then finished
    assert task_of(ctx, task_id).progress.processed == 20


def test_skip_unchanged_off_writes_unchanged_products_again(ctx, clock):
    add_products(ctx, ("A1", "10.00", 3))
    before = product(ctx, "A1")["updated_at"]
    write_csv(ctx, "a.csv", HEADER, [["A1", "A1", "10.00", "3"]])
    profile = add_profile(ctx, import_profile(options={"skip_unchanged": False}))
    clock.advance(minutes=5)
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    rows = report(ctx, task_of(ctx, task_id))
    assert rows[0]["outcome"] == "processed"
    assert "written again" in rows[0]["detail"]
    assert product(ctx, "A1")["updated_at"] > before


def test_a_feed_that_cannot_be_opened_makes_the_task_error(ctx):
    profile = add_profile(ctx, import_profile(
        source={"location": "feeds/missing.csv", "format": "csv"}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.ERROR
    assert "missing.csv" in task.message
    assert task.progress.total == 0


def test_a_feed_without_the_key_column_is_an_error_naming_it(ctx):
    write_csv(ctx, "a.csv", ["id", "title"], [["1", "x"]])
    profile = add_profile(ctx, import_profile())
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.ERROR
    assert "sku" in task.message


def test_match_by_ean13_and_free_attributes(ctx):
    add_products(ctx, ("R1", "1.00", 1))
    from syncbeat.store.db import write_tx
    from syncbeat.store.tables import products

    with write_tx(ctx.db) as conn:
        conn.execute(products.update().values(ean13="4770000000011"))
    write_csv(ctx, "a.csv", ["ean", "colour"], [["4770000000011", "red"]])
    profile = add_profile(ctx, import_profile(
        match={"feed": "ean", "catalog": "ean13"}, mapping={"attributes.colour": "colour"}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    assert task_of(ctx, task_id).progress.processed == 1
    assert product(ctx, "R1")["attributes"] == {"colour": "red"}


def test_a_key_that_repeats_in_a_batch_compares_with_what_the_earlier_row_wrote(ctx):
    add_products(ctx, ("A1", "1.00", 1), ("A2", "5.00", 5))
    write_csv(ctx, "a.csv", HEADER, [
        ["A1", "A1", "2.00", "1"],  # changes the price
        ["A1", "A1", "2.00", "7"],  # same price as the row before: only the quantity changes
        ["A1", "A1", "1.00", "7"],  # back to the stored price
        ["A2", "A2", "5.0", "5"],   # 5.0 is the stored 5.00: no change
        ["A2", "A2", "6.00", "5"],
    ])
    profile = add_profile(ctx, import_profile(batch_size=10, options=LAST_WINS))
    task_id = run_now(ctx, profile.id)
    drain(ctx)

    details = [(r["key"], r["outcome"], r["detail"]) for r in report(ctx, task_of(ctx, task_id))]
    assert details == [
        ("A1", "processed", "price: 1.00 -> 2.00"),
        ("A1", "processed", "quantity: 1 -> 7"),
        ("A1", "processed", "price: 2.00 -> 1.00"),
        ("A2", "skipped", "no change"),
        ("A2", "processed", "price: 5.00 -> 6.00"),
    ]
    assert (product(ctx, "A1")["price"], product(ctx, "A1")["quantity"]) == ("1.00", 7)
    assert product(ctx, "A2")["price"] == "6.00"


def test_match_by_id_and_active_flags(ctx):
    add_products(ctx, ("A1", "1.00", 1), ("A2", "2.00", 2))
    ids = {ref: product(ctx, ref)["id"] for ref in ("A1", "A2")}
    write_csv(ctx, "a.csv", ["id", "on"], [
        [f"00{ids['A1']}", "no"],  # leading zeros: still product A1
        [str(ids["A2"]), "yes"],   # already active
        ["999999", "no"],          # no such product
    ])
    profile = add_profile(ctx, import_profile(
        match={"feed": "id", "catalog": "id"}, mapping={"active": "on"}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)

    rows = [(r["outcome"], r["detail"]) for r in report(ctx, task_of(ctx, task_id))]
    assert rows == [
        ("processed", "active: yes -> no"),
        ("skipped", "no change"),
        ("skipped", "not in the catalog and create_missing is off"),
    ]
    assert [product(ctx, ref)["active"] for ref in ("A1", "A2")] == [False, True]


def test_active_flags_matched_by_reference(ctx):
    add_products(ctx, ("A1", "1.00", 1), ("A2", "2.00", 2))
    write_csv(ctx, "a.csv", ["sku", "on"], [["A1", "off"], ["A2", "1"]])
    profile = add_profile(ctx, import_profile(mapping={"active": "on"}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)

    rows = [(r["outcome"], r["detail"]) for r in report(ctx, task_of(ctx, task_id))]
    assert rows == [("processed", "active: yes -> no"), ("skipped", "no change")]
    assert [product(ctx, ref)["active"] for ref in ("A1", "A2")] == [False, True]


def test_the_log_names_a_tasks_first_changes_and_errors_and_then_counts_a_batch_a_line(ctx):
    """A big import's log stays a line a batch: it names the first 20 changed products and
    the first 20 errors of the task, then says each batch's counts; the report has every
    row."""
    add_products(ctx, *[(f"P{i:03d}", "1.00", 1) for i in range(135)])
    # Of every three rows: a price change, an unchanged row, a price that is no number.
    write_csv(ctx, "a.csv", HEADER, [[f"P{i:03d}", f"P{i:03d}", ("2.00", "1.00", "abc")[i % 3],
                                      "1"] for i in range(135)])
    profile = add_profile(ctx, import_profile(batch_size=45))
    task_id = run_now(ctx, profile.id)
    drain(ctx)

    task = task_of(ctx, task_id)
    assert task.progress.as_dict() == {
        "total": 135, "pending": 0, "processed": 45, "skipped": 45, "cancelled": 0,
        "error": 45,
    }
    lines = [line.split(" ", 1)[1] if line[:1].isdigit() else line
             for line in "".join(log_lines(ctx.db, task)).splitlines()]
    at = [n for n, line in enumerate(lines) if line.startswith("[ERROR] batch ")]
    assert len(at) == 3
    changed = [f"      changed P{i:03d}: price: 1.00 -> 2.00" for i in range(0, 135, 3)]
    errors = [f"      error item {i + 1} (P{i:03d}): price 'abc' is not a number"
              for i in range(2, 135, 3)]
    # Batch 1 names its 15 of each; batch 2 the 5 more that make 20, and says the rest are
    # in the report; batch 3 is its line alone, followed by the end.
    assert lines[at[0] + 1:at[1]] == changed[:15] + errors[:15]
    assert lines[at[1] + 1:at[2]] == [
        *changed[15:20],
        "      ... and more changed products: the report lists every one (the log names a "
        "task's first 20)",
        *errors[15:20],
        "      ... and more errors: the report lists every one (the log names a task's first "
        "20)"]
    assert lines[at[2]].startswith("[ERROR] batch 3: items 91-135: 15 processed, 15 skipped, "
                                   "15 error in ")
    assert lines[at[2] + 1].startswith("completed: 135 items")
    rows = report(ctx, task)
    assert len(rows) == 135
    assert [r["detail"] for r in rows[132:]] == [
        "price: 1.00 -> 2.00", "no change", "price 'abc' is not a number"]
