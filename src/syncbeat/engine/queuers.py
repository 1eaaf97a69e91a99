"""How a heartbeat queues running tasks' items: one interface, `Queueing`, and its two ways.

`InTick` queues within the ticks: a one-shot heartbeat (cron's `syncbeat heartbeat`,
`POST /api/heartbeat`, the web server's embedded worker, tests) reads a feed a chunk after
another until its tick's time is up (`engine.queueing`). `InBackground`, a long-running
worker's, queues the first two chunks of a big import feed itself and hands the rest to a
second process (`engine.background.Queuer`), while the ticks work the batches already
queued. The heartbeat asks the same questions of both, and never which one it has.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from syncbeat.domain.statuses import TaskStatus
from syncbeat.domain.task import Task
from syncbeat.engine.background import Queuer
from syncbeat.engine.context import Context
from syncbeat.engine.queueing import forget_reader, queue_some, queue_step
from syncbeat.store.db import read_tx
from syncbeat.store.tasks import get_task


class Queueing(Protocol):
    """What a heartbeat asks of its way of queueing a running task's items."""

    def settled(self, task: Task) -> Task | None:
        """The task as it is now: read again if another process queued it during this tick
        (None if it no longer runs); else as the tick read it."""

    def reading(self, task_id: int) -> bool:
        """Is another process queueing the task (so its batches may run meanwhile)?"""

    def queue(self, task: Task, deadline: float, lease: timedelta) -> str:
        """Queue some of the task's items (until `deadline`); the line for the tick."""

    def lines(self) -> list[str]:
        """What queueing elsewhere said since the last call."""

    def busy(self) -> bool:
        """Is another process queueing (so the heartbeat should look again soon)?"""

    def close(self) -> list[str]:
        """Stop queueing elsewhere after its chunk in flight; what it said last."""


class InTick:
    """Queueing within the tick: the feed is read chunk after chunk by the ticks themselves."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def settled(self, task: Task) -> Task | None:
        """The task as the tick read it: nobody else queues it."""
        return task

    def reading(self, task_id: int) -> bool:
        """No other process queues."""
        return False

    def queue(self, task: Task, deadline: float, lease: timedelta) -> str:
        """Queue until the feed is read whole or the deadline passes."""
        return queue_step(self.ctx, task, self.ctx.clock(), deadline, lease)

    def lines(self) -> list[str]:
        """Nothing is said elsewhere."""
        return []

    def busy(self) -> bool:
        """Never busy elsewhere."""
        return False

    def close(self) -> list[str]:
        """Nothing to stop."""
        return []


class InBackground:
    """Queueing a big import feed in a second process, a child of the worker."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.children = Queuer(ctx)

    def settled(self, task: Task) -> Task | None:
        """Its child ended during this tick: the task as read at the tick's start is stale."""
        if not self.children.ended(task.id):
            return task
        with read_tx(self.ctx.db) as conn:
            fresh = get_task(conn, task.id)
        return fresh if fresh is not None and fresh.status is TaskStatus.RUNNING else None

    def reading(self, task_id: int) -> bool:
        """Is a child queueing the task (or starting to)?"""
        return self.children.alive(task_id)

    def queue(self, task: Task, deadline: float, lease: timedelta) -> str:
        """Queue a task no child reads; a big feed goes to a child after two chunks, so
        batches start at once and last while the child (a fresh interpreter) starts."""
        ctx = self.ctx
        if not self.children.helps(task):
            return queue_step(ctx, task, ctx.clock(), deadline, lease)
        line, more = queue_some(ctx, task, ctx.clock(), deadline, lease, chunks=2)
        if more and self.children.start(task, lease):
            forget_reader(ctx, task.id)  # the child reads on from the database
        return line

    def lines(self) -> list[str]:
        """What the children said since the last call."""
        return self.children.lines()

    def busy(self) -> bool:
        """Is any child queueing?"""
        return self.children.busy()

    def close(self) -> list[str]:
        """Stop every child after its chunk in flight; what they said last."""
        return self.children.close()
