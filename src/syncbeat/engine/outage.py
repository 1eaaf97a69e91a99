"""The database out of reach: waited out by the worker, said once, shown where an operator
looks (the tasks it was working, GET /api/health, the Configure tab), and bounded when the
database answers but will not take the work.

Two outages look alike from a failed tick and end differently:
- the database does not answer (no server, connections cut): nothing can be written there, not
  even why. The worker waits as long as it takes and carries on when the database is back; a
  worker cannot tell a long outage from a short one, and giving up would help nobody.
- the database answers but will not take the work (a full disk: a batch's pages do not fit,
  while a one-row update still may). The worker notes on each task it was working why it
  waits, and past `outage_limit_seconds` ends them in error with that reason, as a step that
  keeps failing does. A database that takes the work again before then simply resumes it.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.context import Context, sqlite_file
from syncbeat.engine.recording import record_kept
from syncbeat.store.db import is_outage, read_tx, reason_of, write_tx
from syncbeat.store.logs import add_log
from syncbeat.store.settings import load_settings
from syncbeat.store.tasks import (
    claim,
    clear_waiting,
    get_task,
    move_task,
    note_waiting,
    waiting_tasks,
)

OUTAGE_WAIT_FIRST, OUTAGE_WAIT_MOST = 0.5, 30.0  # seconds between tries while the database is out
WAITING_PREFIX = "waiting for the database since "
log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Waiting:
    """Why, and since when, a worker waits for the database."""

    since: datetime
    reason: str

    def line(self) -> str:
        """What a task and the health endpoint say while the worker waits."""
        return f"{WAITING_PREFIX}{self.since:%Y-%m-%d %H:%M:%S %Z}: {self.reason}; waiting"


class WaitingBoard:
    """The workers of this process that wait for the database (`serve` runs one, and answers
    GET /api/health beside it), for the faces to say so while nothing can be read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_owner: dict[str, Waiting] = {}

    def note(self, owner: str, waiting: Waiting) -> None:
        """`owner` waits, since `waiting.since`."""
        with self._lock:
            self._by_owner[owner] = waiting

    def clear(self, owner: str) -> None:
        """`owner` waits no more."""
        with self._lock:
            self._by_owner.pop(owner, None)

    def oldest(self) -> Waiting | None:
        """The longest wait of this process's workers, or None."""
        with self._lock:
            return min(self._by_owner.values(), key=lambda w: w.since, default=None)


WAITING = WaitingBoard()


def describe(ctx: Context, exc: BaseException) -> str:
    """The outage in an operator's words: a full disk says which disk, and how full."""
    reason = reason_of(exc)
    database = sqlite_file(ctx.db)
    orig = getattr(exc, "orig", None) or exc
    # Only SQLite's own error names this disk (a shop's database may be full elsewhere).
    if (database is None or not isinstance(orig, sqlite3.OperationalError)
            or "full" not in reason.lower()):
        return reason
    try:
        free = shutil.disk_usage(database.parent).free
    except OSError:
        return reason
    return f"the disk holding the database is full: {free:,} bytes free"


@dataclass
class Outage:
    """One worker's wait for the database: said once, waited out with growing pauses,
    noted on its tasks, bounded, said over."""

    since: float | None = None  # monotonic seconds
    wait: float = 0.0
    began_at: datetime | None = None
    reason: str = ""
    # The tasks the failed ticks were working, and when each first failed (monotonic): a
    # task first met late in a long outage gets its own full limit.
    tasks: dict[int, float] = field(default_factory=dict)
    noted: list[int] | None = None  # the tasks that say why they wait, once they do

    def began(self, reason: str, now: float, at: datetime, task_id: int | None) -> str | None:
        """Note a failed tick; the line to say when the outage is new."""
        log.warning("the database is out of reach: %s", reason)
        self.reason = reason
        if task_id is not None:
            self.tasks.setdefault(task_id, now)
        if self.since is not None:
            self.wait = min(self.wait * 2, OUTAGE_WAIT_MOST)
            return None
        self.since, self.wait, self.began_at = now, OUTAGE_WAIT_FIRST, at
        return (f"the database is out of reach ({reason}); waiting for it, trying "
                f"again every {OUTAGE_WAIT_FIRST:g} to {OUTAGE_WAIT_MOST:g} seconds")

    @property
    def waiting(self) -> Waiting | None:
        """Why and since when, while the outage lasts."""
        if self.began_at is None:
            return None
        return Waiting(since=self.began_at, reason=self.reason)

    def lasted(self, now: float) -> float:
        """Seconds since the outage began."""
        return now - self.since if self.since is not None else 0.0

    def ended(self, now: float) -> str:
        """The line to say when a tick works again."""
        lasted = self.lasted(now)
        self.since, self.wait, self.began_at = None, 0.0, None
        self.tasks.clear()
        self.noted = None
        return f"the database is back after {lasted:.1f} seconds; carrying on"


def while_waiting(ctx: Context, outage: Outage, now: float) -> list[str]:
    """Say why the worker waits, where it can: on this process's board at once, on its tasks
    as soon as the database takes one small write; past the limit, end those tasks in error.
    Nothing here may fail the worker: what cannot be written now is tried after the next
    pause."""
    waiting = outage.waiting
    if waiting is None:
        return []
    WAITING.note(ctx.owner, waiting)
    try:
        with read_tx(ctx.db) as conn:
            limit = load_settings(conn).outage_limit_seconds
        overdue = sorted(t for t, first in outage.tasks.items() if now - first >= limit)
        if overdue:
            return _give_up(ctx, outage, overdue, limit)
        if outage.noted is None or not outage.tasks.keys() <= set(outage.noted):
            with write_tx(ctx.db) as conn:
                said = note_waiting(conn, sorted(outage.tasks), ctx.owner, ctx.clock(),
                                    waiting.line())
            # Those no longer running are not asked again; the note goes when work resumes.
            outage.noted = sorted({*(outage.noted or ()), *said, *outage.tasks})
    except Exception as exc:
        if not is_outage(exc):
            raise
    return []


def resumed(ctx: Context, outage: Outage, now: float) -> str:
    """The database takes the work again: the tasks no longer say they wait; the line to
    say."""
    WAITING.clear(ctx.owner)
    noted = outage.noted or []
    line = outage.ended(now)
    try:
        with write_tx(ctx.db) as conn:
            clear_waiting(conn, noted, WAITING_PREFIX)
    except Exception as exc:  # out again: the next failed tick says so itself
        if not is_outage(exc):
            raise
    return line


def _give_up(ctx: Context, outage: Outage, overdue: list[int], limit: int) -> list[str]:
    message = (f"the database would not take this task's work for {limit:,} seconds (setting "
               f"outage_limit_seconds): {outage.reason}")
    now = ctx.clock()
    said: list[str] = []
    with write_tx(ctx.db) as conn:
        for task_id in waiting_tasks(conn, overdue, ctx.owner, now, held=False):
            # Only a task no other live worker holds: take it, then end it as its holder.
            if not claim(conn, task_id, owner=ctx.owner, now=now, lease=timedelta(seconds=1)):
                continue
            task = get_task(conn, task_id)
            if task is not None:  # a batch the catalog has and the store does not: first
                record_kept(ctx, conn, task, now, "when the task ended in error")
            if move_task(conn, task_id, TaskStatus.ERROR, now=now, message=message,
                         held_by=ctx.owner):
                add_log(conn, task_id, now, f"error: {message}", "error")
                said.append(f"task {task_id} error: {message}")
    for task_id in overdue:
        outage.tasks.pop(task_id, None)
    return said
