"""The items of a task's next batch: its batch size, cut to what fits in half a second at the
pace of this worker's last batch of the task."""

from __future__ import annotations

from syncbeat.domain.pace import (
    BATCH_SECONDS,
    FEWEST_ITEMS,
    FIRST_ITEMS,
    GROWTH,
    BatchPace,
    batch_items,
)


def test_a_first_batch_is_short_of_a_big_batch_size_and_whole_under_it():
    assert batch_items(5_000, None) == FIRST_ITEMS
    assert batch_items(20, None) == 20


def test_a_fast_catalog_grows_to_the_batch_size_a_few_batches_at_a_time():
    fast = 0.00002  # seconds an item: 25,000 items fit in half a second
    sizes, last = [], None
    for _ in range(4):
        size = batch_items(5_000, last)
        sizes.append(size)
        last = BatchPace(size, size * fast)
    assert sizes == [FIRST_ITEMS, FIRST_ITEMS * GROWTH, 5_000, 5_000]


def test_a_slow_catalog_gets_what_fits_in_half_a_second():
    # 1,000 items in 2 s: 250 fit in half a second.
    assert batch_items(5_000, BatchPace(1_000, 4 * BATCH_SECONDS)) == 250
    # Slower than FEWEST_ITEMS in half a second: a batch still takes that many...
    assert batch_items(5_000, BatchPace(100, 10.0)) == FEWEST_ITEMS
    # ... unless the batch size says fewer.
    assert batch_items(20, BatchPace(100, 10.0)) == 20


def test_an_untimed_or_empty_last_batch_does_not_stop_the_task():
    assert batch_items(5_000, BatchPace(0, 0.0)) == FIRST_ITEMS
    assert batch_items(5_000, BatchPace(10, 0.0)) == FIRST_ITEMS * GROWTH
    assert batch_items(1, BatchPace(1, 9.0)) == 1


def test_a_range_cut_short_while_the_feed_is_queued_does_not_hold_the_next_batches_back():
    # 200 items (all that was queued yet) in 10 ms: the next batch grows as from a first
    # batch, not from those 200 (800, then 3,200, then 5,000).
    assert batch_items(5_000, BatchPace(200, 0.01)) == FIRST_ITEMS * GROWTH
    # Time still cuts it: 200 items in 0.2 s on a slow catalog, 500 fit in half a second.
    assert batch_items(5_000, BatchPace(200, 0.2)) == 500
