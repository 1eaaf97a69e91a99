"""A step of a task that failed: retried on the next ticks, and after a few failures in a row
(counted in the database, so cron heartbeats and other workers count too) the task ends in
error instead of staying "running" forever."""

from __future__ import annotations

from syncbeat.domain.statuses import TaskStatus
from syncbeat.domain.task import Task
from syncbeat.engine.context import Context
from syncbeat.engine.queueing import forget_reader
from syncbeat.engine.recording import record_kept
from syncbeat.store.db import is_outage, reason_of, write_tx
from syncbeat.store.logs import add_log
from syncbeat.store.tasks import move_task, note_failure

MAX_FAILURES = 5


def step_failed(ctx: Context, task: Task, what: str, exc: BaseException) -> str:
    """Record a failed step; end the task in error at the MAX_FAILURES-th in a row.

    The database out of reach is not the task's failure: `exc` is raised again, for the
    worker to wait the outage out (engine/worker.py)."""
    if is_outage(exc):
        raise exc
    forget_reader(ctx, task.id)  # what it read was not committed: start again from the database
    reason = reason_of(exc)
    now = ctx.clock()
    with write_tx(ctx.db) as conn:
        failures = note_failure(conn, task.id, what.removeprefix("a "), now)
        if failures < MAX_FAILURES:
            add_log(conn, task.id, now, f"{what} failed ({failures} of {MAX_FAILURES} tries) "
                    f"and will be retried: {reason}", "warning")
            return f"task {task.id}: {what} failed, will retry: {reason}"
        message = f"{what} failed {failures} times: {reason}"
        record_kept(ctx, conn, task, now, "when the task ended in error")
        if move_task(conn, task.id, TaskStatus.ERROR, now=now, message=message):
            add_log(conn, task.id, now, f"error: {message}", "error")
    return f"task {task.id} error: {message}"
