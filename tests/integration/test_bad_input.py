"""Bad input gets a clear error on its item (or its task), and nothing already done is lost."""

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

from syncbeat.catalog.builtin import BuiltinCatalog
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.artifacts import report_lines
from syncbeat.engine.context import Context
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.store.db import write_tx
from syncbeat.store.tables import products
from syncbeat.store.tasks import release_leases

HEADER = ["sku", "title", "net_price", "stock"]


def details(ctx, task_id):
    rows = csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task_of(ctx, task_id)))))
    return [(r["key"], r["outcome"], r["detail"]) for r in rows]


def test_blank_cells_leave_fields_as_they_are(ctx):
    add_products(ctx, ("A1", "10.00", 3))
    write_csv(ctx, "a.csv", HEADER, [["A1", "", "", "5"]])
    profile = add_profile(ctx, import_profile())
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    assert product(ctx, "A1")["name"] == "A1"
    assert product(ctx, "A1")["price"] == "10.00"
    assert details(ctx, task_id) == [("A1", "processed", "quantity: 3 -> 5")]


def test_thousands_and_huge_numbers_are_read_or_refused_in_words(ctx):
    add_products(ctx, ("A1", "10.00", 3), ("A2", "1.00", 1), ("A3", "1.00", 1))
    write_csv(ctx, "a.csv", HEADER, [
        ["A1", "A1", "10.00", "1,000"],
        ["A2", "A2", "1,000", "1"],
        ["A3", "A3", "1e1000000", "1"],
    ])
    profile = add_profile(ctx, import_profile())
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    assert task_of(ctx, task_id).status is TaskStatus.COMPLETED
    assert product(ctx, "A1")["quantity"] == 1000
    assert details(ctx, task_id)[1:] == [
        ("A2", "error", "price '1,000' is ambiguous: write 1000 or 1,000.00 (or 1.000,00)"),
        ("A3", "error", "price '1e1000000' is too large"),
    ]


def test_a_key_shared_by_two_products_is_an_error_not_a_guess(ctx):
    add_products(ctx, ("R1", "1.00", 1), ("R2", "1.00", 1), ("R3", "1.00", 1))
    with write_tx(ctx.db) as conn:
        conn.execute(products.update().where(products.c.reference != "R3")
                     .values(ean13="4770000000011"))
        conn.execute(products.update().where(products.c.reference == "R3")
                     .values(ean13="4770000000028"))
    write_csv(ctx, "a.csv", ["ean", "stock"], [["4770000000011", "9"], ["4770000000028", "9"]])
    profile = add_profile(ctx, import_profile(
        match={"feed": "ean", "catalog": "ean13"}, mapping={"quantity": "stock"}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.progress.as_dict() == {
        "total": 2, "pending": 0, "processed": 1, "skipped": 0, "cancelled": 0, "error": 1,
    }
    assert details(ctx, task_id)[0] == (
        "4770000000011", "error",
        "several products have ean13 '4770000000011': match by a field that is unique "
        "(reference)",
    )
    assert [product(ctx, r)["quantity"] for r in ("R1", "R2", "R3")] == [1, 1, 9]


def test_a_key_too_long_to_store_is_an_item_error(ctx):
    add_products(ctx, ("A1", "1.00", 1))
    write_csv(ctx, "a.csv", HEADER, [["X" * 300, "x", "1", "1"], ["A1", "A1", "2.00", "1"]])
    profile = add_profile(ctx, import_profile())
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    assert task_of(ctx, task_id).status is TaskStatus.COMPLETED
    assert details(ctx, task_id)[0][1:] == (
        "error", "the row cannot be used: its key is longer than 200 characters")
    assert product(ctx, "A1")["price"] == "2.00"


class BrokenCatalog(BuiltinCatalog):
    """A catalog that cannot be read, as an unreachable shop database would be."""

    def fetch(self, *args, **kwargs):
        raise RuntimeError("the catalog database cannot be reached")

    queued_with_products = fetch


def test_a_batch_that_keeps_failing_ends_the_task_even_under_cron(ctx):
    add_products(ctx, ("A1", "1.00", 1))
    write_csv(ctx, "a.csv", HEADER, [["A1", "A1", "2.00", "1"]])
    profile = add_profile(ctx, import_profile())
    task_id = run_now(ctx, profile.id)
    Heartbeat(ctx).tick()  # start and queue
    with write_tx(ctx.db) as conn:
        release_leases(conn, ctx.owner)  # as `syncbeat heartbeat` does when its tick ends
    for _ in range(5):  # five cron runs: a new process (context) each time
        cron = Context(db=ctx.db, data_dir=ctx.data_dir, clock=ctx.clock,
                       catalog=BrokenCatalog())
        Heartbeat(cron).tick()
        cron.close()
        with write_tx(ctx.db) as conn:
            release_leases(conn, cron.owner)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.ERROR
    assert task.message == "a batch failed 5 times: the catalog database cannot be reached"
    assert task.progress.cancelled == 1
    assert product(ctx, "A1")["price"] == "1.00"


def test_a_change_the_catalog_refuses_is_that_items_error_and_the_batch_goes_on(ctx):
    add_products(ctx, ("A1", "1.00", 1), ("A2", "2.00", 2), ("A3", "3.00", 3))
    with write_tx(ctx.db) as conn:
        for i, ref in enumerate(("A1", "A2", "A3"), start=1):
            conn.execute(products.update().where(products.c.reference == ref)
                         .values(ean13=f"477000000000{i}"))
    write_csv(ctx, "a.csv", ["ean", "ref", "stock"], [
        ["4770000000001", "A1", "10"],   # a plain change
        ["4770000000002", "A3", "20"],   # A3 is another product's reference: refused
        ["4770000000003", "A3", "30"],
        ["4770000000009", "A1", "40"],   # a new product with A1's reference: refused
        ["4770000000008", "N1", "50"],   # a new product
    ])
    profile = add_profile(ctx, import_profile(
        batch_size=10, match={"feed": "ean", "catalog": "ean13"},
        mapping={"reference": "ref", "quantity": "stock"}, options={"create_missing": True}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)

    assert details(ctx, task_id) == [
        ("4770000000001", "processed", "quantity: 1 -> 10"),
        ("4770000000002", "error",
         "the catalog refused the change: another product has this reference already"),
        ("4770000000003", "processed", "quantity: 3 -> 30"),
        ("4770000000009", "error",
         "the catalog refused the change: another product has this reference already"),
        ("4770000000008", "processed", "created"),
    ]
    assert [product(ctx, r)["quantity"] for r in ("A1", "A2", "A3", "N1")] == [10, 2, 30, 50]
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED
    assert (task.progress.processed, task.progress.errors) == (3, 2)


def test_a_refused_product_makes_every_key_that_reached_it_an_error(ctx):
    add_products(ctx, ("A1", "1.00", 1), ("A2", "2.00", 2))
    a1 = product(ctx, "A1")["id"]
    write_csv(ctx, "a.csv", ["id", "ref", "stock"], [
        [str(a1), "A1", "5"],       # fine on its own...
        [f"00{a1}", "A2", "6"],     # ...but the same product, renamed to A2's reference
    ])
    profile = add_profile(ctx, import_profile(
        batch_size=10, match={"feed": "id", "catalog": "id"},
        mapping={"reference": "ref", "quantity": "stock"}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)

    refused = "the catalog refused the change: another product has this reference already"
    assert details(ctx, task_id) == [(str(a1), "error", refused), (f"00{a1}", "error", refused)]
    assert (product(ctx, "A1")["quantity"], product(ctx, "A2")["quantity"]) == (1, 2)


def write_feed(ctx, name, text):
    path = ctx.data_dir / "feeds" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_quote_left_open_is_that_rows_error_and_the_rows_it_swallowed_are_imported(ctx):
    add_products(ctx, *[(f"A{i}", "1.00", 1) for i in range(1, 7)])
    write_feed(ctx, "a.csv",
               "sku;title;net_price;stock\n"
               "A1;A1;2.00;1\n"
               'A2;"Chair;2.00;1\n'         # the quote is never closed on its line...
               "A3;A3;2.00;1\n"
               "A4;A4;2.00;1\n"
               "A5;A5;2.00;1\n"
               'A6;"A6";2.00;1\n')          # ...until this one: today A2's name, all of it
    profile = add_profile(ctx, import_profile(batch_size=10))
    task_id = run_now(ctx, profile.id)
    drain(ctx)

    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED
    assert task.progress.as_dict() == {
        "total": 6, "pending": 0, "processed": 5, "skipped": 0, "cancelled": 0, "error": 1,
    }
    assert details(ctx, task_id) == [
        ("A1", "processed", "price: 1.00 -> 2.00"),
        ("A2", "error", "row 2: a quoted field opened on row 2 (line 3) swallows 3 lines that "
                        "look like rows of the feed; check the quotes of that row"),
        ("A3", "processed", "price: 1.00 -> 2.00"),
        ("A4", "processed", "price: 1.00 -> 2.00"),
        ("A5", "processed", "price: 1.00 -> 2.00"),
        ("A6", "processed", "price: 1.00 -> 2.00"),
    ]
    assert product(ctx, "A2")["name"] == "A2"


def test_a_json_feed_nested_too_deep_makes_the_task_error_naming_the_line(ctx):
    write_feed(ctx, "a.json", "[" * 390_000)
    profile = add_profile(ctx, import_profile(
        source={"location": "feeds/a.json", "format": "json"}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)

    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.ERROR
    assert task.message.endswith(
        "line 1: the JSON is nested 65 levels deep; syncbeat reads at most 64")
    assert task.progress.total == 0


def test_a_json_product_nested_too_deep_midway_ends_the_task_naming_its_line(ctx):
    add_products(ctx, ("A1", "1.00", 1))
    good = "".join(f'{{"sku": "A1", "net_price": "{i}.00"}},\n' for i in range(1, 40_001))
    deep = '{"sku": "A1", "x": ' + "[" * 70 + "]" * 70 + "}"
    write_feed(ctx, "a.json", f"[\n{good}{deep}\n]")
    profile = add_profile(ctx, import_profile(
        source={"location": "feeds/a.json", "format": "json"}, batch_size=1000))
    task_id = run_now(ctx, profile.id)
    drain(ctx)

    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.ERROR
    assert task.message == (
        "the feed could not be read to its end: line 40002: the JSON is nested 65 levels deep; "
        "syncbeat reads at most 64")
    assert invariant_holds(task)


def test_utf16_declared_on_a_feed_without_byte_order_mark_ends_its_task_in_words(ctx):
    add_products(ctx, ("A1", "10.00", 3))
    write_csv(ctx, "a.csv", HEADER, [["A1", "A1", "12.00", "5"]])
    first = add_profile(ctx, import_profile(source={
        "location": "feeds/a.csv", "format": "csv", "delimiter": ";", "encoding": "utf-16",
    }))
    second = add_profile(ctx, import_profile(name="Supplier B stock"))
    bad, good = run_now(ctx, first.id), run_now(ctx, second.id)
    drain(ctx)
    failed = task_of(ctx, bad)
    assert failed.status is TaskStatus.ERROR
    assert "does not start with a byte order mark" in (failed.message or "")
    assert "utf-16-le or utf-16-be" in (failed.message or "")
    # The other profile's task is not held up behind it.
    assert task_of(ctx, good).status is TaskStatus.COMPLETED
    assert product(ctx, "A1")["quantity"] == 5


def test_a_reader_that_fails_unexpectedly_ends_its_task_in_error(ctx, monkeypatch):
    import syncbeat.engine.start as start

    def broken(*args, **kwargs):
        raise RuntimeError("the reader broke")

    write_csv(ctx, "a.csv", HEADER, [["A1", "A1", "12.00", "5"]])
    profile = add_profile(ctx, import_profile())
    task_id = run_now(ctx, profile.id)
    monkeypatch.setattr(start, "open_feed", broken)
    drain(ctx)
    failed = task_of(ctx, task_id)
    assert failed.status is TaskStatus.ERROR
    assert failed.message == "the feed could not be opened: the reader broke"
    assert not list((ctx.task_dir(task_id)).glob("source-*"))
