"""The layouts of the item rows that cross the store's edge as plain tuples, declared once.

Queueing a feed and working its batches move a hundred thousand rows a second: a row stays
the tuple the DB-API cursor gives (or the queueing step builds), read by the positions named
here, never an object a row. `catalog.base.Joined` goes on from a `QueuedRow` with the
item's product; a report's page is a `ReportRow`, a named tuple (its rows are few a call).
"""

from __future__ import annotations

from typing import Final, NamedTuple

# An item to queue (`items.insert_items`): pending with its input, or already error with why
# (a feed row that could not be read). (seq, key, input, outcome, detail)
ItemRow = tuple[int, str | None, str | None, int, str | None]
# A queued item as a batch reads it (`items.read_batch`). (seq, key, input, outcome)
QueuedRow = tuple[int, str | None, str | None, int]
# Positions in an ItemRow, a QueuedRow and a joined row (Final: a checker reads their types).
SEQ: Final = 0
KEY: Final = 1
INPUT: Final = 2
OUTCOME: Final = 3
DETAIL: Final = 4  # in an ItemRow
# An item's outcome as a batch records it (`items.record_outcomes`). (seq, outcome, detail)
OutcomeRow = tuple[int, int, str | None]


class ReportRow(NamedTuple):
    """An item as its task's report shows it (the outcome as stored: a final task's pending
    item is shown cancelled, `domain.task.shown_outcome`)."""

    seq: int
    key: str | None
    outcome: int
    detail: str | None


class WordingRow(NamedTuple):
    """A ReportRow with a processed item's input, to word what its rules did
    (engine/wording.py)."""

    seq: int
    key: str | None
    outcome: int
    detail: str | None
    input: str | None
