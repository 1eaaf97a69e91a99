"""An import whose fields are computed by rules: the catalog gets the computed values, the
report says how each was computed, a row a rule cannot use is that item's error, and the
preview shows the same values and details as the run."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from helpers import (
    add_products,
    add_profile,
    drain,
    import_profile,
    product,
    task_of,
    write_csv,
)

from syncbeat.domain.profile import parse_profile
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.artifacts import log_lines, report_lines
from syncbeat.engine.preview import preview_import
from syncbeat.store.db import write_tx
from syncbeat.store.profiles import update_profile

HEADER = ["sku", "brand", "model", "net_price", "stock", "category"]
PRICE_RULE = {"from": "net_price",
              "steps": [{"multiply": Decimal("1.35")}, {"add": Decimal("0.50")},
                        {"round": "0.99"}]}
STOCK_RULE = {"from": "stock", "map": {"in stock": 100, "out of stock": 0},
              "steps": [{"min": 0}]}


def report(ctx, task_id):
    rows = csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task_of(ctx, task_id)))))
    return [(r["key"], r["outcome"], r["detail"]) for r in rows]


def rules_profile(**overrides):
    return import_profile(mapping={"price": PRICE_RULE, "quantity": STOCK_RULE,
                                   "name": {"template": "{brand} {model}"}}, **overrides)


def feed(ctx):
    add_products(ctx, ("A1", "9.99", 3), ("A2", "10.99", 100), ("A3", "5.00", 1),
                 ("A4", "1.00", 7))
    write_csv(ctx, "a.csv", HEADER, [
        ["A1", "Acme", "X1", "7.40", "in stock", "Phones"],
        ["A2", "A2", "", "7.40", "in stock", "Toys"],  # computes what the catalog has
        ["A3", "Acme", "X3", "n/a", "out of stock", "Toys"],  # no number for the price
        ["A4", "Acme", "X4", "2", "-5", "Toys"],  # not in the map: through, then at least 0
    ])


def test_an_import_writes_the_computed_values_and_explains_them(ctx):
    feed(ctx)
    task_id = run_now(ctx, add_profile(ctx, rules_profile()).id)
    drain(ctx)

    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED
    assert task.progress.as_dict() == {
        "total": 4, "pending": 0, "processed": 2, "skipped": 1, "cancelled": 0, "error": 1}
    a1 = product(ctx, "A1")
    assert (a1["price"], a1["quantity"], a1["name"]) == ("10.99", 100, "Acme X1")
    a3 = product(ctx, "A3")
    assert (a3["price"], a3["quantity"], a3["name"]) == ("5.00", 1, "A3")  # untouched
    a4 = product(ctx, "A4")
    assert (a4["price"], a4["quantity"], a4["name"]) == ("3.99", 0, "Acme X4")

    assert report(ctx, task_id) == [
        ("A1", "processed",
         "price: 9.99 -> 10.99 (net_price 7.40 x 1.35 = 9.99, + 0.50 = 10.49, ending .99)"
         "; quantity: 3 -> 100 (stock 'in stock' mapped to 100, at least 0); "
         "name: A1 -> Acme X1 (template {brand} {model})"),
        ("A2", "skipped", "no change"),
        ("A3", "error",
         "price: step 1 (multiply 1.35) needs a number, the feed has 'n/a' in net_price"),
        ("A4", "processed",
         "price: 1.00 -> 3.99 (net_price 2 x 1.35 = 2.70, + 0.50 = 3.20, ending .99); "
         "quantity: 7 -> 0 (stock -5 at least 0); name: A4 -> Acme X4 (template {brand} "
         "{model})"),
    ]
    log = "".join(log_lines(ctx.db, task))
    assert "changed A1: price: 9.99 -> 10.99 (net_price 7.40 x 1.35" in log
    assert ("error item 3 (A3): price: step 1 (multiply 1.35) needs a number, the feed has "
            "'n/a' in net_price") in log


def test_a_constant_and_a_conditional_step(ctx):
    add_products(ctx, ("A1", "1.00", 3), ("A2", "1.00", 3))
    write_csv(ctx, "a.csv", HEADER, [
        ["A1", "Acme", "X1", "10", "1", "Phones"],
        ["A2", "Acme", "X2", "10", "1", "Toys"],
    ])
    rule = {"from": "net_price", "steps": [
        {"multiply": 2, "when": {"column": "category", "equals": "Phones"}}]}
    profile = add_profile(ctx, import_profile(mapping={"price": rule, "active": {"value": False}}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    assert product(ctx, "A1")["price"] == "20.00" and product(ctx, "A2")["price"] == "10.00"
    assert product(ctx, "A1")["active"] is False
    assert report(ctx, task_id)[0] == (
        "A1", "processed", "price: 1.00 -> 20.00 (net_price 10 x 2 (when category is "
                           "'Phones')); active: yes -> no (constant)")


def test_the_preview_shows_the_computed_values_and_the_runs_details(ctx):
    feed(ctx)
    data = rules_profile()
    preview = preview_import(ctx, parse_profile(data))
    assert preview.error is None
    assert preview.computed == ["price", "quantity", "name"]
    assert preview.rows[0].computed == {
        "price": "10.99 (net_price 7.40 x 1.35 = 9.99, + 0.50 = 10.49, ending .99)",
        "quantity": "100 (stock 'in stock' mapped to 100, at least 0)",
        "name": "Acme X1 (template {brand} {model})",
    }
    assert preview.rows[1].computed["price"].startswith("10.99 ")  # shown, though unchanged
    assert preview.rows[2].computed["price"] == (
        "error: step 1 (multiply 1.35) needs a number, the feed has 'n/a' in net_price")
    shown = [(r.key, r.as_dict()["item_outcome"], r.detail) for r in preview.rows]

    task_id = run_now(ctx, add_profile(ctx, data).id)
    drain(ctx)
    assert shown == report(ctx, task_id)


def test_the_report_words_a_rule_as_the_task_ran_it_after_the_profile_changed(ctx):
    feed(ctx)
    profile = add_profile(ctx, rules_profile())
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    before = report(ctx, task_id)
    # The merchant changes the markup and the map: the task's words stay those of its run.
    changed = import_profile(mapping={
        "price": {"from": "net_price", "steps": [{"multiply": 2}]},
        "quantity": {"from": "stock", "map": {"in stock": 5}},
        "name": {"template": "{model} ({brand})"}})
    with write_tx(ctx.db) as conn:
        update_profile(conn, profile.id, parse_profile(changed), ctx.clock())
    assert report(ctx, task_id) == before
    assert before[0][2].startswith(
        "price: 9.99 -> 10.99 (net_price 7.40 x 1.35 = 9.99, + 0.50 = 10.49, ending .99); ")


def test_a_value_holding_the_record_separator_is_worded_all_the_same(ctx):
    # The separator marks a rule's words in a stored detail; a feed value holding it must
    # not be taken for one.
    add_products(ctx, ("A1", "9.99", 3))
    write_csv(ctx, "a.csv", HEADER, [["A1", "Ac\x1eme", "X\x1e1", "7.40", "3", "T"]])
    mapping = {"price": PRICE_RULE, "quantity": "stock", "name": {"template": "{brand} {model}"},
               "attributes.model": "model"}
    task_id = run_now(ctx, add_profile(ctx, import_profile(mapping=mapping)).id)
    drain(ctx)
    assert report(ctx, task_id) == [(
        "A1", "processed",
        "price: 9.99 -> 10.99 (net_price 7.40 x 1.35 = 9.99, + 0.50 = 10.49, ending .99); "
        "name: A1 -> Ac\x1eme X\x1e1 (template {brand} {model}); "
        "attributes.model: (empty) -> X\x1e1")]
