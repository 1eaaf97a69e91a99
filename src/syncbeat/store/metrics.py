"""The figures GET /metrics shows, read from what the tasks table already keeps: a few
aggregate queries, never a count of items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.domain.statuses import TaskStatus
from syncbeat.store.settings import last_heartbeat
from syncbeat.store.tables import BATCH_BUCKETS, batch_durations, step_failures, tasks

# Upper bounds (seconds) of the batch duration histogram's buckets.
OUTCOMES = ("pending", "processed", "skipped", "cancelled", "errors")
STEPS = ("queueing", "batch", "finishing")  # the steps engine/failures.py counts


@dataclass(frozen=True, kw_only=True)
class Histogram:
    """Cumulative counts per upper bound (the last is +Inf), and the sum of the values."""

    buckets: Sequence[tuple[float, int]]
    total: float


@dataclass(frozen=True, kw_only=True)
class Figures:
    tasks_by_status: dict[str, int]
    items_by_outcome: dict[str, int]  # over the tasks kept (retention_days)
    queue_depth: int  # pending items of running tasks
    running_items_per_second: float  # items worked per second of work, running tasks
    batch_seconds: Histogram  # every batch's duration, by every worker
    heartbeat_age_seconds: float | None  # None: never ticked
    busy_workers: int  # workers holding a running task's live lease (each process once)
    step_failures: dict[str, int]  # failures of each heartbeat step, by every worker


def read_figures(conn: Connection, now: datetime) -> Figures:
    """Read every figure in one transaction."""
    by_status = dict.fromkeys((str(s) for s in TaskStatus), 0)
    for status, n in conn.execute(
            sa.select(tasks.c.status, sa.func.count()).group_by(tasks.c.status)).all():
        by_status[status] = n
    sums = conn.execute(sa.select(*(sa.func.coalesce(sa.func.sum(tasks.c[o]), 0)
                                    for o in OUTCOMES))).one()
    running = tasks.c.status == str(TaskStatus.RUNNING)
    depth, worked, seconds = conn.execute(sa.select(
        sa.func.coalesce(sa.func.sum(tasks.c.pending), 0),
        sa.func.coalesce(sa.func.sum(tasks.c.processed + tasks.c.skipped + tasks.c.errors), 0),
        sa.func.coalesce(sa.func.sum(tasks.c.work_seconds - tasks.c.queue_seconds), 0.0),
    ).where(running)).one()
    busy = conn.execute(sa.select(sa.func.count(sa.distinct(tasks.c.lease_owner))).where(
        running, tasks.c.lease_owner.is_not(None), tasks.c.lease_until > now)).scalar()
    last = last_heartbeat(conn)
    at = datetime.fromisoformat(last["at"]) if last and last.get("at") else None
    return Figures(
        tasks_by_status=by_status,
        items_by_outcome={o.removesuffix("s") if o == "errors" else o: int(n)
                          for o, n in zip(OUTCOMES, sums, strict=True)},
        queue_depth=int(depth),
        running_items_per_second=float(worked) / float(seconds) if seconds else 0.0,
        batch_seconds=_batch_histogram(conn),
        heartbeat_age_seconds=max((now - at).total_seconds(), 0.0) if at else None,
        busy_workers=int(busy or 0),
        step_failures={**dict.fromkeys(STEPS, 0), **step_failure_counts(conn)},
    )


def step_failure_counts(conn: Connection) -> dict[str, int]:
    """How often each step of the heartbeat failed (engine/failures.py), by every worker."""
    return {step: int(n) for step, n in conn.execute(
        sa.select(step_failures.c.step, step_failures.c.failures)).all()}


def _batch_histogram(conn: Connection) -> Histogram:
    """Every batch's duration (store.tasks.finish_batch counts them), as a histogram."""
    rows = dict(conn.execute(sa.select(batch_durations.c.bucket, batch_durations.c.batches))
                .all())
    total = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(batch_durations.c.seconds),
                                                    0.0))).scalar()
    bounds = [*BATCH_BUCKETS, float("inf")]
    counts = list(accumulate(int(rows.get(i, 0)) for i in range(len(bounds))))
    return Histogram(buckets=list(zip(bounds, counts, strict=True)), total=float(total or 0))
