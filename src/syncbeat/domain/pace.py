"""How many items a task's next batch takes: its batch size, cut to what the catalog works in
about half a second, judged by this worker's last batch of the task. A decision as a pure
function; the worker keeps the last `BatchPace` of each task it works (`Context.paces`).

Why: a batch is one transaction. On the built-in catalog a batch of 5,000 takes a tenth to a fifth
of a second, and at 1,000 the batches' fixed cost was 15% of an import's time; on a shop's
database a batch of 1,000 can take a third of a second, and a kill waits for the batch in
flight. One number cannot serve both, so the batch size is a ceiling and time cuts it."""

from __future__ import annotations

from typing import NamedTuple

BATCH_SECONDS = 0.5  # a kill waits about this at most; progress moves twice a second
FIRST_ITEMS = 1_000  # a task's first batch in this worker, before any was timed
FEWEST_ITEMS = 100  # even on a catalog too slow for them: fewer would be mostly fixed cost
# A batch takes at most this many times its last one's items (or a first batch's, when the
# last was fewer: a range cut short while the feed was still being queued): a fast start.
GROWTH = 4


class BatchPace(NamedTuple):
    """How long a worker's last batch of a task took, for how many items."""

    items: int
    seconds: float


def batch_items(batch_size: int, last: BatchPace | None) -> int:
    """The items of the next batch: at most `batch_size`, and at most what fits in
    BATCH_SECONDS at the pace of `last` (None: no batch timed yet)."""
    if last is None or last.items <= 0:
        return min(batch_size, FIRST_ITEMS)
    fits = int(BATCH_SECONDS * last.items / last.seconds) if last.seconds > 0 else batch_size
    grown = max(last.items, FIRST_ITEMS) * GROWTH
    return max(1, min(batch_size, grown, max(FEWEST_ITEMS, fits)))
