"""The actions log: lines in the database, so any worker writes them and the web serves them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.store.tables import log_lines


def add_log(
    conn: Connection, task_id: int, at: datetime, message: str, level: str = "info"
) -> None:
    """Append one line to a task's actions log, inside the caller's transaction."""
    conn.execute(
        sa.insert(log_lines).values(task_id=task_id, at=at, level=level, message=message)
    )


def iter_log(
    conn: Connection, task_id: int, chunk: int = 5000
) -> Iterator[tuple[datetime, str, str]]:
    """A task's log lines in order, (at, level, message), in constant memory."""
    after = 0
    while True:
        rows = conn.execute(
            sa.select(log_lines.c.id, log_lines.c.at, log_lines.c.level, log_lines.c.message)
            .where(log_lines.c.task_id == task_id, log_lines.c.id > after)
            .order_by(log_lines.c.id)
            .limit(chunk)
        ).fetchall()
        if not rows:
            return
        for row in rows:
            yield row.at, row.level, row.message
        after = rows[-1].id


def tail_log(conn: Connection, task_id: int, lines: int = 20) -> list[tuple[datetime, str, str]]:
    """The last lines of a task's log, oldest first."""
    rows = conn.execute(
        sa.select(log_lines.c.at, log_lines.c.level, log_lines.c.message)
        .where(log_lines.c.task_id == task_id)
        .order_by(log_lines.c.id.desc())
        .limit(lines)
    ).fetchall()
    return [(r.at, r.level, r.message) for r in reversed(rows)]
