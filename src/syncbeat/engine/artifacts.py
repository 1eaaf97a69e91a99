"""A task's files as users download them: the actions log (text) and the report (CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy.engine import Engine

from syncbeat.domain.statuses import ItemOutcome
from syncbeat.domain.task import Task, shown_outcome
from syncbeat.store.db import read_tx
from syncbeat.store.items import iter_items
from syncbeat.store.logs import iter_log

REPORT_HEADER = ("item", "key", "outcome", "detail")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_LABELS = {int(o): o.label for o in ItemOutcome}


def neutralise(cell: str | None) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if not cell:
        return ""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def report_lines(db: Engine, task: Task, rows_per_chunk: int = 5000) -> Iterator[str]:
    """The report CSV, a chunk of lines at a time, in constant memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(REPORT_HEADER)
    status = task.status
    labels = dict(_LABELS)
    if task.is_final:
        labels[int(ItemOutcome.PENDING)] = shown_outcome(0, status).label
    with read_tx(db) as conn:
        rows = iter_items(conn, task.id, rows_per_chunk)
        while True:
            chunk = [
                (seq, neutralise(key), labels[outcome], neutralise(detail))
                for seq, key, outcome, detail in _take(rows, rows_per_chunk)
            ]
            if not chunk:
                break
            writer.writerows(chunk)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()


def _take(rows: Iterator[tuple[int, str | None, int, str | None]], n: int) -> list[
    tuple[int, str | None, int, str | None]
]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == n:
            break
    return chunk


def log_lines(db: Engine, task: Task) -> Iterator[str]:
    """The actions log as text lines: a header, then every line with its time."""
    yield f"syncbeat actions log of task {task.id} ({task.profile_name}, {task.kind})\n"
    yield (f"status: {task.status}; scheduled at {task.scheduled_at.isoformat()}"
           + (f"; {task.message}" if task.message else "") + "\n")
    with read_tx(db) as conn:
        for at, level, message in iter_log(conn, task.id):
            mark = "" if level == "info" else f"[{level.upper()}] "
            first, *rest = message.split("\n")
            yield f"{at.isoformat(timespec='milliseconds')} {mark}{first}\n"
            for line in rest:
                yield f"    {line}\n"
