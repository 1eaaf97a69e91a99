"""Heartbeat step 5: release expired leases; delete tasks (and notifications) older than the
retention."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

from syncbeat.domain.lease import gone_here
from syncbeat.engine.context import Context, process_alive, this_machine
from syncbeat.store.claims import claim_owners_on, release_claims
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.notifications import delete_old as forget_notifications
from syncbeat.store.tasks import (
    delete_items_chunk,
    delete_task_rows,
    expired_task_ids,
    leases_held_on,
    release_expired_leases,
    release_lease,
)


def tidy(ctx: Context, now: datetime, retention: timedelta, limit: int = 50) -> list[str]:
    """Bounded: at most `limit` old tasks a tick, so a first tidy of years of history is spread."""
    said: list[str] = []
    with write_tx(ctx.db) as conn:
        released = release_expired_leases(conn, now)
        forget_notifications(conn, now - retention)
    if released:
        said.append(f"released {released} expired lease(s)")
    with read_tx(ctx.db) as conn:
        old = expired_task_ids(conn, now - retention, limit)
    for task_id in old:
        remove_task(ctx, task_id)
    if old:
        said.append(f"deleted {len(old)} task(s) older than {retention.days} days")
    return said


def release_gone_leases(ctx: Context, now: datetime) -> list[str]:
    """Release at once the leases (of tasks, and of their batches' ranges) of workers of this
    boot of this machine that no longer exist (killed outright): their work need not wait the
    lease out (domain/lease.py says when it is sure)."""
    here = this_machine()
    if not here.known:
        return []
    with read_tx(ctx.db) as conn:
        held = leases_held_on(conn, here.host, now, ctx.owner)
    said: list[str] = []
    for lease in held:
        if not gone_here(lease.owner, here, process_alive):
            continue
        with write_tx(ctx.db) as conn:
            if release_lease(conn, lease):
                said.append(f"task {lease.task_id}: its worker {lease.owner} no longer runs "
                            "on this machine: taken over without waiting for its lease")
    with read_tx(ctx.db) as conn:
        claiming = claim_owners_on(conn, here.host, now, ctx.owner)
    for owner in claiming:
        if not gone_here(owner, here, process_alive):
            continue
        with write_tx(ctx.db) as conn:
            if release_claims(conn, owner):
                said.append(f"the batches in flight of worker {owner}, which no longer runs "
                            "on this machine, are worked again without waiting for their lease")
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
