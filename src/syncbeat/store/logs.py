"""The actions log: lines in the database, so any worker writes them and the web serves them."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.store.tables import log_lines


class LogRow(NamedTuple):
    """A line of a task's actions log, with its id (the page key of a download)."""

    id: int
    at: datetime
    level: str  # info, warning, error
    message: str  # may hold several lines


class LogEntry(NamedTuple):
    """A line of a task's actions log, as its task page shows it."""

    at: datetime
    level: str
    message: str


def add_log(
    conn: Connection, task_id: int, at: datetime, message: str, level: str = "info"
) -> None:
    """Append one line to a task's actions log, inside the caller's transaction."""
    conn.execute(_ADD, {"task_id": task_id, "at": at, "level": level, "message": message})


_ADD = sa.insert(log_lines)  # built once: every batch logs a line


def log_rows_after(
    conn: Connection, task_id: int, after_id: int, limit: int
) -> list[LogRow]:
    """A page of a task's log lines after line `after_id`."""
    rows = conn.execute(
        sa.select(log_lines.c.id, log_lines.c.at, log_lines.c.level, log_lines.c.message)
        .where(log_lines.c.task_id == task_id, log_lines.c.id > after_id)
        .order_by(log_lines.c.id)
        .limit(limit)
    ).fetchall()
    return [LogRow(r.id, r.at, r.level, r.message) for r in rows]


def tail_log(conn: Connection, task_id: int, lines: int = 20) -> list[LogEntry]:
    """The last lines of a task's log, oldest first."""
    rows = conn.execute(
        sa.select(log_lines.c.at, log_lines.c.level, log_lines.c.message)
        .where(log_lines.c.task_id == task_id)
        .order_by(log_lines.c.id.desc())
        .limit(lines)
    ).fetchall()
    return [LogEntry(r.at, r.level, r.message) for r in reversed(rows)]
