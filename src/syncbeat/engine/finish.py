"""Heartbeat step 4: a running task with nothing left to work is finished."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from syncbeat.domain.statuses import TaskKind, TaskStatus
from syncbeat.domain.task import Task
from syncbeat.engine.context import Context
from syncbeat.feeds import FeedError, deliver, finish_export
from syncbeat.store.db import write_tx
from syncbeat.store.logs import add_log
from syncbeat.store.tasks import claim, get_task, move_task

EXPORT_FILE = "export.json"
log = logging.getLogger(__name__)


def finish_task(ctx: Context, task: Task, lease: timedelta) -> str:
    """Write and deliver an export's file, then mark the task completed (or error)."""
    now = ctx.clock()
    with write_tx(ctx.db) as conn:
        if not claim(conn, task.id, owner=ctx.owner, now=now, lease=lease):
            return f"task {task.id}: held by another worker, or no longer running"
        fresh = get_task(conn, task.id)
    assert fresh is not None
    message = None
    if fresh.kind is TaskKind.EXPORT:
        try:
            with _lease_kept(ctx, task.id, lease):
                message = _write_export(ctx, fresh)
        except FeedError as exc:
            reason = f"the export file was written but not delivered: {exc}"
            with write_tx(ctx.db) as conn:
                if move_task(conn, task.id, TaskStatus.ERROR, now=ctx.clock(), message=reason):
                    add_log(conn, task.id, ctx.clock(), f"error: {reason}", "error")
            return f"task {task.id} error: {reason}"
    now = ctx.clock()
    with write_tx(ctx.db) as conn:
        if not move_task(conn, task.id, TaskStatus.COMPLETED, now=now, message=message):
            return f"task {task.id}: killed before it could complete"
        add_log(conn, task.id, now, _end_line(fresh, message, now))
    _drop_snapshot(ctx, fresh)
    return f"task {task.id} ({fresh.profile_name}) completed"


@contextmanager
def _lease_kept(ctx: Context, task_id: int, lease: timedelta) -> Iterator[None]:
    """Renew the task's lease every third of it while the block runs.

    Writing and delivering an export (with its retries) can outlast one lease: no other
    worker may finish, and deliver, it a second time meanwhile. A worker that dies stops
    renewing, so another takes the task over after one lease, as after a batch.
    """
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease.total_seconds() / 3):
            try:
                with write_tx(ctx.db) as conn:
                    if not claim(conn, task_id, owner=ctx.owner, now=ctx.clock(), lease=lease):
                        return  # killed meanwhile: the move to completed will say so
            except Exception as exc:  # the next renewal tries again; delivery goes on
                log.warning("task %s: renewing its lease failed: %s", task_id, exc)

    keeper = threading.Thread(target=renew, name=f"lease-of-task-{task_id}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join()


def _write_export(ctx: Context, task: Task) -> str:
    folder = ctx.task_dir(task.id)
    folder.mkdir(parents=True, exist_ok=True)
    parts = folder / "export.parts"
    if not parts.exists():
        parts.write_bytes(b"")
    final = folder / EXPORT_FILE
    header = {
        "profile": task.profile_name,
        "task": task.id,
        "generated_at": ctx.clock().isoformat(),
    }
    size = finish_export(parts, final, parts_size=task.export_size, header=header,
                         count=task.progress.processed)
    spec = dict(task.spec or {})
    destination = (spec.get("destination") or {}).get("location")
    written = f"export file of {task.progress.processed:,} products ({size:,} bytes)"
    if not destination:
        return written
    where = deliver(final, destination, reach=ctx.reach, file_name=_delivered_name(task))
    return f"{written} {where}"


def _delivered_name(task: Task) -> str:
    # The start time keeps names unique even where a database reuses a deleted task's id.
    started = task.started_at or task.scheduled_at
    return f"{_slug(task.profile_name)}-{task.id}-{started:%Y%m%dT%H%M%S}.json"


def _slug(name: str) -> str:
    cleaned = "".join(ch.lower() if ch.isalnum() else "-" for ch in name)
    return "-".join(part for part in cleaned.split("-") if part) or "export"


def _end_line(task: Task, message: str | None, now: datetime) -> str:
    p = task.progress
    # Work is the queueing's time plus the batches'; a worker reads a big feed while it works
    # batches, so the two overlap, and the speed is told from the task's start instead.
    elapsed = (now - task.started_at).total_seconds() if task.started_at else 0.0
    speed = p.total / elapsed if elapsed > 0 else 0.0
    line = (
        f"completed: {p.total:,} items: {p.processed:,} processed, {p.skipped:,} skipped, "
        f"{p.cancelled:,} cancelled, {p.errors:,} error, in {task.work_seconds:.2f} s of work "
        f"over {task.batches:,} batches; {elapsed:.2f} s from start to finish "
        f"({speed:,.0f} items/s)"
    )
    return f"{line}; {message}" if message else line


def _drop_snapshot(ctx: Context, task: Task) -> None:
    # The snapshot served resuming after a crash; a completed task needs it no more, unless
    # some of its items failed: re-running them reads it again (it goes with the task).
    name = (task.spec or {}).get("_snapshot")
    if name and not (task.progress.errors or task.progress.cancelled):
        (ctx.task_dir(task.id) / name).unlink(missing_ok=True)
    (ctx.task_dir(task.id) / "export.parts").unlink(missing_ok=True)
