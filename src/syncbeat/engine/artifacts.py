"""A task's files as users download them: the actions log (text) and the report (CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from operator import itemgetter
from typing import Any

from sqlalchemy.engine import Connection, Engine

from syncbeat.domain.statuses import ItemOutcome
from syncbeat.domain.task import Task, shown_outcome
from syncbeat.engine.wording import Wording
from syncbeat.store.db import read_tx
from syncbeat.store.items import item_rows_after, wording_rows_after
from syncbeat.store.logs import log_rows_after

REPORT_HEADER = ("item", "key", "outcome", "detail")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_LABELS = {int(o): o.label for o in ItemOutcome}
_DETAIL = itemgetter(3)  # of a ReportRow


def neutralise(cell: str | None) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if not cell:
        return ""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def cancelled_detail(status: str, when: str) -> str:
    """What a cancelled item records: when its task ended, and how."""
    return f"the task was {status} at {when} before this item was worked"


def report_lines(db: Engine, task: Task, rows_per_chunk: int = 5000) -> Iterator[str]:
    """The report CSV, a chunk of lines at a time, in constant memory; each chunk is read in
    its own short transaction, so a slow download holds nothing open."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(REPORT_HEADER)
    labels = dict(_LABELS)
    cancelled = ""
    if task.is_final:
        labels[int(ItemOutcome.PENDING)] = shown_outcome(0, task.status).label
        when = task.finished_at.isoformat(timespec="seconds") if task.finished_at else "?"
        cancelled = cancelled_detail(task.status, when)
    wording = Wording.of(task)
    # A rule's change is worded from the item's input (engine/wording.py).
    read, detail_of = ((item_rows_after, _DETAIL) if wording is None
                       else (wording_rows_after, wording.detail_of))
    for rows in _pages(db, read, task.id, rows_per_chunk):
        writer.writerows(
            (row[0], neutralise(row[1]), labels[row[2]],
             neutralise(detail_of(row)) if row[2] else cancelled)
            for row in rows
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()


def log_lines(db: Engine, task: Task, lines_per_chunk: int = 5000) -> Iterator[str]:
    """The actions log as text lines: a header, then every line with its time."""
    yield f"syncbeat actions log of task {task.id} ({task.profile_name}, {task.kind})\n"
    yield (f"status: {task.status}; scheduled at {task.scheduled_at.isoformat()}"
           + (f"; {task.message}" if task.message else "") + "\n")
    for rows in _pages(db, log_rows_after, task.id, lines_per_chunk):
        for _, at, level, message in rows:
            mark = "" if level == "info" else f"[{level.upper()}] "
            first, *rest = message.split("\n")
            yield f"{at.isoformat(timespec='milliseconds')} {mark}{first}\n"
            for line in rest:
                yield f"    {line}\n"


def _pages(
    db: Engine, read: Callable[[Connection, int, int, int], list[Any]], task_id: int, size: int
) -> Iterator[list[Any]]:
    """A task's rows page by page (keyed by their first column), each page read in its own
    short transaction, so a slow download holds no snapshot open."""
    after = 0
    while True:
        with read_tx(db) as conn:
            rows = read(conn, task_id, after, size)
        if not rows:
            return
        yield rows
        after = rows[-1][0]
