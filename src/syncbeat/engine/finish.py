"""Heartbeat step 4: a running task with nothing left to work is finished."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from syncbeat.domain.profile import Profile
from syncbeat.domain.statuses import TaskKind, TaskStatus
from syncbeat.domain.task import Task
from syncbeat.engine.context import Context
from syncbeat.feeds import FeedError, deliver, finish_export
from syncbeat.feeds.export_formats import CONTENT_TYPES, ExportFormat
from syncbeat.feeds.sftp import naming_profile
from syncbeat.store.db import write_tx
from syncbeat.store.logs import add_log
from syncbeat.store.tasks import claim, get_task, move_task

EXPORT_FILE = "export.json"  # the export file of a task, in its folder; export.csv, export.xml


def export_format(task: Task) -> ExportFormat:
    """The export file's format, as the profile the task started with says (JSON for a
    task that never started)."""
    spec = task.started_spec()
    return _format_of(spec.profile if spec is not None else None)


def _format_of(profile: Profile | None) -> ExportFormat:
    if profile is None:
        return ExportFormat(format="json", fields=(), delimiter=",", item="product")
    return ExportFormat(format=profile.export_format, fields=tuple(profile.fields),
                        delimiter=profile.csv_delimiter, item=profile.xml_item)


def export_path(ctx: Context, task: Task, how: ExportFormat | None = None) -> Path:
    """Where the task's export file is (or will be); `how`: its `export_format`, if read."""
    fmt = (how or export_format(task)).format
    return ctx.task_dir(task.id) / EXPORT_FILE.replace(".json", f".{fmt}")
log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker holds the task now (this one's renewals came too late), or it was
    killed: this worker must neither deliver it nor complete it."""


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
            with _lease_kept(ctx, task.id, lease) as keeper:
                message = _write_export(ctx, fresh, keeper)
        except LeaseLost:
            return (f"task {task.id}: its lease moved to another worker (or the task ended) "
                    "while its export was written: left to that worker, not delivered here")
        except FeedError as exc:
            said = naming_profile(str(exc), task.profile_id)
            reason = f"the export file was written but not delivered: {said}"
            with write_tx(ctx.db) as conn:
                if move_task(conn, task.id, TaskStatus.ERROR, now=ctx.clock(), message=reason,
                             held_by=ctx.owner):
                    add_log(conn, task.id, ctx.clock(), f"error: {reason}", "error")
            return f"task {task.id} error: {reason}"
    now = ctx.clock()
    with write_tx(ctx.db) as conn:
        # Only while this worker still holds the lease: one that lost it (it paused longer
        # than a lease) must not complete a task another worker is finishing.
        if not move_task(conn, task.id, TaskStatus.COMPLETED, now=now, message=message,
                         held_by=ctx.owner):
            return (f"task {task.id}: killed, or taken over by another worker, before it "
                    "could complete")
        add_log(conn, task.id, now, _end_line(fresh, message, now))
    _drop_snapshot(ctx, fresh)
    return f"task {task.id} ({fresh.profile_name}) completed"


class LeaseKeeper:
    """Renews a task's lease every third of it from a thread of its own, and notes when a
    renewal finds the lease lost (taken by another worker, or the task no longer running)."""

    def __init__(self, ctx: Context, task_id: int, lease: timedelta) -> None:
        self.ctx, self.task_id, self.lease = ctx, task_id, lease
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-of-task-{task_id}",
                                        daemon=True)

    def renew(self) -> bool:
        """Renew the lease now; False (and `lost` set) if this worker no longer holds it."""
        if self.lost.is_set():
            return False
        with write_tx(self.ctx.db) as conn:
            kept = claim(conn, self.task_id, owner=self.ctx.owner, now=self.ctx.clock(),
                         lease=self.lease)
        if not kept:
            self.lost.set()
        return kept

    def check(self) -> None:
        """Raise LeaseLost unless this worker holds the lease (renewing it)."""
        if not self.renew():
            raise LeaseLost(self.task_id)

    def start(self) -> None:
        """Start renewing."""
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing, and wait for a renewal in flight."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.lease.total_seconds() / 3):
            try:
                if not self.renew():
                    return  # the delivery stops at its next check
            except Exception as exc:  # the next renewal tries again; delivery goes on
                log.warning("task %s: renewing its lease failed: %s", self.task_id, exc)


@contextmanager
def _lease_kept(ctx: Context, task_id: int, lease: timedelta) -> Iterator[LeaseKeeper]:
    """Renew the task's lease every third of it while the block runs.

    Writing and delivering an export (with its retries) can outlast one lease: no other
    worker may finish, and deliver, it a second time meanwhile. A worker that dies stops
    renewing, so another takes the task over after one lease, as after a batch. A worker
    that finds its lease lost (it was paused for longer than a lease) stops before it
    delivers, and cannot complete the task.
    """
    keeper = LeaseKeeper(ctx, task_id, lease)
    keeper.start()
    try:
        yield keeper
    finally:
        keeper.stop()


def _write_export(ctx: Context, task: Task, keeper: LeaseKeeper) -> str:
    folder = ctx.task_dir(task.id)
    folder.mkdir(parents=True, exist_ok=True)
    parts = folder / "export.parts"
    if not parts.exists():
        parts.write_bytes(b"")
    spec = task.started_spec()
    assert spec is not None, "a running task started"
    profile = spec.profile
    how = _format_of(profile)
    final = export_path(ctx, task, how)
    header = {
        "profile": task.profile_name,
        "task": task.id,
        "generated_at": ctx.clock().isoformat(),
    }
    size = finish_export(parts, final, parts_size=task.export_size, header=header,
                         count=task.progress.processed, how=how)
    destination = profile.destination
    written = f"export file of {task.progress.processed:,} products ({size:,} bytes)"
    if not destination:
        return written
    keeper.check()  # the last moment to stop: a delivery cannot be taken back
    where = deliver(final, destination, reach=ctx.reach, file_name=_delivered_name(task, how),
                    secrets=ctx.secrets, headers=profile.destination_headers,
                    method=profile.destination_method,
                    content_type=profile.destination_content_type or CONTENT_TYPES[how.format])
    return f"{written} {where}"


def _delivered_name(task: Task, how: ExportFormat) -> str:
    # The start time keeps names unique even where a database reuses a deleted task's id.
    started = task.started_at or task.scheduled_at
    return (f"{_slug(task.profile_name)}-{task.id}-{started:%Y%m%dT%H%M%S}."
            f"{how.format}")


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
    name = task.run.snapshot
    if name and not (task.progress.errors or task.progress.cancelled):
        (ctx.task_dir(task.id) / name).unlink(missing_ok=True)
    (ctx.task_dir(task.id) / "export.parts").unlink(missing_ok=True)
