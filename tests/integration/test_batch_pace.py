"""A batch takes at most its batch size, and fewer when the catalog is slow: what the log's
batch lines say, with every item still worked once."""

from __future__ import annotations

import re

import pytest
from helpers import add_products, add_profile, drain, import_profile, task_of, write_csv

from syncbeat.domain import pace
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.artifacts import log_lines

HEADER = ["sku", "title", "net_price", "stock"]
ROWS = 3_000


def _import(ctx, batch_size):
    add_products(ctx, *[(f"P{i:04d}", "1.00", 1) for i in range(ROWS)])
    write_csv(ctx, "a.csv", HEADER, [[f"P{i:04d}", f"P{i:04d}", "2.00", "1"]
                                      for i in range(ROWS)])
    profile = add_profile(ctx, import_profile(batch_size=batch_size))
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED
    assert task.progress.processed == ROWS and task.progress.pending == 0
    text = "".join(log_lines(ctx.db, task))
    return re.findall(r"batch \d+: items ([\d,]+)-([\d,]+): ", text)


def test_a_fast_catalog_starts_at_a_thousand_and_grows_to_the_batch_size(ctx, monkeypatch):
    monkeypatch.setattr(pace, "BATCH_SECONDS", 3600.0)  # any machine is fast enough
    assert _import(ctx, 10_000) == [("1", "1,000"), ("1,001", "3,000")]


def test_a_slow_catalog_gets_short_batches_and_every_item_is_worked_once(ctx, monkeypatch):
    monkeypatch.setattr(pace, "BATCH_SECONDS", 1e-9)  # any catalog is too slow for that
    ranges = _import(ctx, 10_000)
    assert ranges[:3] == [("1", "1,000"), ("1,001", "1,100"), ("1,101", "1,200")]
    numbers = [(int(a.replace(",", "")), int(b.replace(",", ""))) for a, b in ranges]
    assert [first for first, _ in numbers] == [1] + [last + 1 for _, last in numbers[:-1]]
    assert numbers[-1][1] == ROWS and len(numbers) == 1 + (ROWS - 1_000) // pace.FEWEST_ITEMS


@pytest.mark.parametrize("batch_size", [60, 1_000])
def test_a_batch_size_under_the_pace_is_kept(ctx, monkeypatch, batch_size):
    monkeypatch.setattr(pace, "BATCH_SECONDS", 3600.0)
    ranges = _import(ctx, batch_size)
    sizes = {int(b.replace(",", "")) - int(a.replace(",", "")) + 1 for a, b in ranges}
    assert sizes == {batch_size} and len(ranges) == ROWS // batch_size


def test_products_missing_from_the_feed_are_worked_at_the_same_pace(ctx, monkeypatch):
    monkeypatch.setattr(pace, "BATCH_SECONDS", 1e-9)
    listed = 100
    add_products(ctx, *[(f"P{i:04d}", "1.00", 1) for i in range(ROWS)])
    write_csv(ctx, "a.csv", HEADER, [[f"P{i:04d}", f"P{i:04d}", "1.00", "1"]
                                      for i in range(listed)])
    data = import_profile(batch_size=10_000, options={"missing": "zero_stock"})
    task_id = run_now(ctx, add_profile(ctx, data).id)
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED
    assert task.progress.total == ROWS and task.progress.processed == ROWS - listed
    text = "".join(log_lines(ctx.db, task))
    steps = [int(n.replace(",", "")) for n in
             re.findall(r"products missing from the feed \(zero_stock\): ([\d,]+)", text)]
    # The feed's one batch, then steps of FEWEST_ITEMS (100) at that pace.
    assert sum(steps) == ROWS - listed and max(steps) == pace.FEWEST_ITEMS
