"""Heartbeat step 5: release expired leases; delete tasks older than the retention."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

from syncbeat.engine.context import Context
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.tasks import (
    delete_items_chunk,
    delete_task_rows,
    expired_task_ids,
    release_expired_leases,
)


def tidy(ctx: Context, now: datetime, retention: timedelta, limit: int = 50) -> list[str]:
    """Bounded: at most `limit` old tasks a tick, so a first tidy of years of history is spread."""
    said: list[str] = []
    with write_tx(ctx.db) as conn:
        released = release_expired_leases(conn, now)
    if released:
        said.append(f"released {released} expired lease(s)")
    with read_tx(ctx.db) as conn:
        old = expired_task_ids(conn, now - retention, limit)
    for task_id in old:
        remove_task(ctx, task_id)
    if old:
        said.append(f"deleted {len(old)} task(s) older than {retention.days} days")
    return said


def remove_task(ctx: Context, task_id: int) -> bool:
    """Delete a task's rows and its folder of files."""
    while True:
        with write_tx(ctx.db) as conn:
            if not delete_items_chunk(conn, task_id):
                break
    with write_tx(ctx.db) as conn:
        existed = delete_task_rows(conn, task_id)
    shutil.rmtree(ctx.task_dir(task_id), ignore_errors=True)
    return existed
