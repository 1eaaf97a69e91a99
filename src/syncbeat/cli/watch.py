"""Working a task here until it ends (`run --wait`, `task rerun --wait`), with a progress
bar on standard error; what a tick cut short by an outage kept."""

from __future__ import annotations

import sys
import threading
import time
from typing import NoReturn

import click

from syncbeat.cli.common import fail
from syncbeat.domain.statuses import FINAL_STATUSES, TaskStatus
from syncbeat.domain.task import Task
from syncbeat.engine.context import Context
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.engine.worker import stop_on_signals
from syncbeat.store.db import is_outage, read_tx, reason_of, write_tx
from syncbeat.store.tasks import get_task, release_leases


def created(ctx: Context, task_id: int, wait: bool) -> None:
    """Say the task was made; with `wait`, work it here until it ends (exit code 1 unless
    it completed)."""
    if not wait:
        click.echo(f"task {task_id} created; the heartbeat (worker or serve) starts it")
        return
    task = _watch(ctx, task_id)
    click.echo(f"task {task.id} {task.status}" + (f": {task.message}" if task.message else ""))
    if task.status is not TaskStatus.COMPLETED:
        sys.exit(1)


def _watch(ctx: Context, task_id: int) -> Task:
    stop = threading.Event()
    stop_on_signals(stop)
    heartbeat = Heartbeat(ctx)
    bar = _ProgressBar()
    task: Task | None = None
    try:
        while True:
            try:
                heartbeat.tick(stop)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                bar.end()
                kept = (f"task {task_id} at {task.progress.done:,} of {task.progress.total:,} "
                        "items, and what this tick did" if task else "what this tick did")
                cut_short(heartbeat.current.lines, exc, kept)
            with read_tx(ctx.db) as conn:
                task = get_task(conn, task_id)
            if task is None:
                fail(f"task {task_id} was deleted")
            bar.show(task)
            if task.status in FINAL_STATUSES or stop.is_set():
                bar.end()
                return task
            if task.status is TaskStatus.PENDING:
                time.sleep(0.2)
    finally:
        hand_back(ctx)  # stopped by Ctrl-C or an outage: a worker goes on at once


def cut_short(done: list[str], exc: BaseException, kept: str) -> NoReturn:
    """A tick cut short by the database going out of reach: batches before it committed,
    so say what is kept (exit code 3, as for any outage), not that nothing changed."""
    for line in done:
        click.echo(line)
    fail(f"the database went out of reach ({reason_of(exc)}); work committed before it is "
         f"kept: {kept}" + (f" ({len(done)} step(s) above)" if done else " (no step ended)")
         + "; a worker or the next heartbeat carries on from there", 3)


def hand_back(ctx: Context) -> None:
    """Hand this command's leases back, so the next process works its tasks at once; with
    the database out of reach they cannot be, and expire after a lease instead."""
    try:
        with write_tx(ctx.db) as conn:
            release_leases(conn, ctx.owner)
    except Exception as exc:
        if not is_outage(exc):
            raise


class _ProgressBar:
    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.last = 0.0

    def show(self, task: Task) -> None:
        now = time.monotonic()
        if not self.tty and now - self.last < 1.0 and task.status not in FINAL_STATUSES:
            return
        self.last = now
        p = task.progress
        done = p.worked  # a killed task's cancelled items were not worked
        width = 30
        filled = int(width * done / p.total) if p.total else 0
        elapsed = now - self.started
        speed = done / elapsed if elapsed > 0 else 0.0
        eta = f"{p.pending / speed:.0f}s" if speed > 0 and p.pending else "-"
        line = (f"[{'#' * filled}{'.' * (width - filled)}] {p.summary()} "
                f"{task.status} processed {p.processed:,} skipped {p.skipped:,} "
                f"error {p.errors:,} cancelled {p.cancelled:,} {speed:,.0f}/s ETA {eta}")
        click.echo(("\r" + line) if self.tty else line, err=True, nl=not self.tty)

    def end(self) -> None:
        if self.tty:
            click.echo("", err=True)
