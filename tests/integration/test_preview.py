"""The preview of an import decides each row as a run of the profile does: the same rows
through the preview and through a real task give the same outcomes and details, row by row."""

from __future__ import annotations

import csv
import io

import pytest
from helpers import (
    add_products,
    drain,
    import_profile,
    product,
    task_of,
    write_csv,
)

from syncbeat.domain.profile import parse_profile
from syncbeat.engine.actions import run_now
from syncbeat.engine.artifacts import report_lines
from syncbeat.engine.preview import preview_import
from syncbeat.store.db import write_tx
from syncbeat.store.profiles import insert_profile

HEADER = ["sku", "title", "net_price", "stock"]


def report(ctx, task_id):
    rows = csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task_of(ctx, task_id)))))
    return [(r["key"], r["outcome"], r["detail"]) for r in rows]


@pytest.mark.parametrize("match", ["reference", "id"])
def test_the_preview_gives_every_row_the_outcome_a_run_gives_it(ctx, match):
    add_products(ctx, ("P1", "1.00", 1), ("P2", "2.00", 2), ("P3", "3.00", 3),
                 ("P4", "4.00", 4))
    key = {"P1": "1", "P2": "2", "P3": "3", "P4": "4"} if match == "id" else {}

    def row(ref, *rest):
        return [key.get(ref, ref), *rest]

    write_csv(ctx, "a.csv", HEADER, [
        row("P1", "P1", "", "5"),  # a blank price leaves it: only the stock changes
        row("P2", "P2", "", "2"),  # a blank price and nothing else: no change
        row("P3", "P3", "abc", "3"),  # a price that is no number: the item's error
        row("P4", "P4", "4.50", "4"),
        row("P4", "P4", "4.5", "4"),  # the same key again, the same price written otherwise
        row("NEW1", "New", "9.00", "1"),  # not in the catalog, create_missing off
        ["", "nameless", "1.00", "1"],  # no key
        row("P2", "P2", " ", "x"),  # a blank price and a stock that is no number
        ["X" * 300, "long", "1.00", "1"],  # a key no item can hold
        row("P1", "Renamed", "1.00", "5"),
    ])
    # keys repeat on purpose: each row applies in feed order
    data = import_profile(match={"feed": "sku", "catalog": match},
                          options={"duplicates": "last_wins"})
    preview = preview_import(ctx, parse_profile(data))
    assert preview.error is None
    shown = [(r.key or "", r.as_dict()["item_outcome"], r.detail) for r in preview.rows]

    with write_tx(ctx.db) as conn:
        profile = insert_profile(conn, parse_profile(data), ctx.clock())
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    assert shown == report(ctx, task_id)
    assert shown[:3] == [
        (key.get("P1", "P1"), "processed", "quantity: 1 -> 5"),
        (key.get("P2", "P2"), "skipped", "no change"),
        (key.get("P3", "P3"), "error", shown[2][2]),
    ]
    assert "not a number" in shown[2][2]
    assert [r.outcome for r in preview.rows] == [
        "update", "skip", "error", "update", "skip", "skip", "error", "error", "error",
        "update"]
    assert product(ctx, "P1")["price"] == "1.00" and product(ctx, "P1")["quantity"] == 5
