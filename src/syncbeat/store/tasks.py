"""Named operations on tasks. Every change of status is a conditional update."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.domain.ids import parse_id
from syncbeat.domain.profile import Profile
from syncbeat.domain.statuses import TaskKind, TaskStatus, sources_of
from syncbeat.domain.task import Task
from syncbeat.domain.taskspec import TaskRun
from syncbeat.store.catalog_changes import forget_stamps
from syncbeat.store.claims import drop_claims, release_claims
from syncbeat.store.db import insert_on_conflict
from syncbeat.store.notifications import queue_task_end
from syncbeat.store.tables import (
    BATCH_BUCKETS,
    batch_claims,
    items,
    log_lines,
    step_failures,
    tasks,
)

_FINAL_WITH_CANCEL = (TaskStatus.KILLED, TaskStatus.ERROR)
_TOLD = (TaskStatus.ERROR, TaskStatus.MISSED, TaskStatus.COMPLETED)  # domain/notify.py says if


def create_task(
    conn: Connection, profile: Profile, *, scheduled_at: datetime, trigger: str, now: datetime,
    flags: Mapping[str, Any] | None = None,
) -> int | None:
    """A pending task for `profile` at `scheduled_at`; None if that occurrence exists already.
    `flags` (`TaskRun.created_with`: "run anyway", "re-run what failed") are its stored spec
    until it starts, and stay in the spec it starts with."""
    values = dict(
        profile_id=profile.id, profile_name=profile.name, kind=str(profile.kind),
        status=str(TaskStatus.PENDING), trigger=trigger, scheduled_at=scheduled_at,
        created_at=now, spec=flags or None,
    )
    nested = conn.begin_nested()
    try:
        result = conn.execute(sa.insert(tasks).values(**values).returning(tasks.c.id))
        task_id = result.scalar_one()
    except sa.exc.IntegrityError:
        nested.rollback()
        return None
    nested.commit()
    return int(task_id)


def get_task(conn: Connection, task_id: int, *, for_update: bool = False) -> Task | None:
    """The task, or None. `for_update` takes its row lock (PostgreSQL) until commit."""
    query = sa.select(tasks).where(tasks.c.id == task_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    return Task.from_row(row) if row else None


@dataclass(frozen=True, kw_only=True)
class TaskFilter:
    status: Sequence[str] = ()
    profile: str | None = None  # a profile's name or id
    kind: str | None = None
    since: datetime | None = None  # scheduled at or after
    until: datetime | None = None  # scheduled before


SORTABLE = ("id", "scheduled_at", "started_at", "finished_at", "status", "profile_name")


def list_tasks(
    conn: Connection,
    filt: TaskFilter = TaskFilter(),
    *,
    limit: int = 50,
    offset: int = 0,
    sort: str = "id",
    descending: bool = True,
) -> list[Task]:
    """Tasks newest first (or as sorted), filtered; reads counters, never counts items."""
    query = _filtered(sa.select(tasks), filt)
    column = tasks.c[sort if sort in SORTABLE else "id"]
    order = column.desc() if descending else column.asc()
    query = query.order_by(order, tasks.c.id.desc()).limit(limit).offset(offset)
    return [Task.from_row(row) for row in conn.execute(query)]


def count_tasks(conn: Connection, filt: TaskFilter = TaskFilter()) -> int:
    """How many tasks match (for pagination)."""
    query = _filtered(sa.select(sa.func.count()).select_from(tasks), filt)
    return int(conn.execute(query).scalar_one())


def _filtered(query: Any, filt: TaskFilter) -> Any:
    if filt.status:
        query = query.where(tasks.c.status.in_([str(s) for s in filt.status]))
    if filt.profile:
        profile_id = parse_id(str(filt.profile))
        if profile_id is not None:
            query = query.where(tasks.c.profile_id == profile_id)
        else:
            query = query.where(tasks.c.profile_name == filt.profile)
    if filt.kind:
        query = query.where(tasks.c.kind == filt.kind)
    if filt.since:
        query = query.where(tasks.c.scheduled_at >= filt.since)
    if filt.until:
        query = query.where(tasks.c.scheduled_at < filt.until)
    return query


def move_task(
    conn: Connection, task_id: int, target: TaskStatus, *, now: datetime,
    message: str | None = None, held_by: str | None = None, **values: Any,
) -> bool:
    """Move the task to `target` if its status allows it (and, with `held_by`, only while that
    worker still holds its lease); True if this caller won."""
    allowed = [str(s) for s in sources_of(target)]
    changes: dict[str, Any] = dict(values, status=str(target))
    if message is not None:
        changes["message"] = message
    if target is TaskStatus.RUNNING:
        changes.setdefault("started_at", now)
    else:
        changes["finished_at"] = now
        changes["lease_owner"] = None
        changes["lease_until"] = None
    if target in _FINAL_WITH_CANCEL:
        # Items not yet worked are cancelled with the task, in this same statement.
        changes["cancelled"] = tasks.c.cancelled + tasks.c.pending
        changes["pending"] = 0
    query = sa.update(tasks).where(tasks.c.id == task_id, tasks.c.status.in_(allowed))
    if held_by is not None:
        query = query.where(tasks.c.lease_owner == held_by)
    won = conn.execute(query.values(**changes)).rowcount == 1
    if won and target is not TaskStatus.RUNNING:
        drop_claims(conn, task_id)  # a batch still in flight finds the task ended
    if won and target in _TOLD:
        queue_task_end(conn, task_id, now)  # the notification commits with the status
    return won


def due_pending(conn: Connection, now: datetime, limit: int = 100) -> list[Task]:
    """Pending tasks whose Scheduled At has come, oldest first."""
    query = (
        sa.select(tasks)
        .where(tasks.c.status == str(TaskStatus.PENDING), tasks.c.scheduled_at <= now)
        .order_by(tasks.c.scheduled_at, tasks.c.id)
        .limit(limit)
    )
    return [Task.from_row(row) for row in conn.execute(query)]


def active_of_profile(conn: Connection, profile_id: int, status: TaskStatus) -> list[Task]:
    """The profile's tasks in `status` (pending or running), oldest first."""
    query = (
        sa.select(tasks)
        .where(tasks.c.profile_id == profile_id, tasks.c.status == str(status))
        .order_by(tasks.c.scheduled_at, tasks.c.id)
    )
    return [Task.from_row(row) for row in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class LeaseHeld:
    """A running task's lease and who holds it."""

    task_id: int
    owner: str


def any_work(conn: Connection, now: datetime) -> bool:
    """Are there running tasks, or pending ones whose time has come?"""
    query = sa.select(tasks.c.id).where(
        sa.or_(
            tasks.c.status == str(TaskStatus.RUNNING),
            sa.and_(tasks.c.status == str(TaskStatus.PENDING), tasks.c.scheduled_at <= now),
        )
    ).limit(1)
    return conn.execute(query).first() is not None


def running_tasks(conn: Connection, now: datetime, owner: str, limit: int = 50) -> list[Task]:
    """Running tasks this worker may claim (unleased, lease expired, or its own), and the
    imports another worker holds with items pending or still being queued, for batches on
    ranges of their own (`store.claims`)."""
    query = (
        sa.select(tasks)
        .where(
            tasks.c.status == str(TaskStatus.RUNNING),
            sa.or_(
                tasks.c.lease_until.is_(None),
                tasks.c.lease_until < now,
                tasks.c.lease_owner == owner,
                sa.and_(tasks.c.kind == str(TaskKind.IMPORT),
                        sa.or_(tasks.c.pending > 0, tasks.c.queue_done.is_(False))),
            ),
        )
        # Least recently worked first: a task queueing a big feed cannot starve the others.
        .order_by(tasks.c.lease_until.asc().nulls_first(), tasks.c.id)
        .limit(limit)
    )
    # A plain read: a row another worker locks (a batch recording, a chunk being queued) is
    # listed, not passed over, so a worker helping with an import never misses it; who may
    # do what is settled by the conditional claims the steps make.
    return [Task.from_row(row) for row in conn.execute(query)]


# The statements of every batch, built once: building a statement (its clauses, their
# coercions, its cache key) cost SQLAlchemy more than the database took to run it.
_WHEN = tasks.c.lease_until.type
_CLAIM = (
    sa.update(tasks)
    .where(
        tasks.c.id == sa.bindparam("id_", type_=sa.Integer),
        tasks.c.status == str(TaskStatus.RUNNING),
        sa.or_(
            tasks.c.lease_until.is_(None),
            tasks.c.lease_until < sa.bindparam("now_", type_=_WHEN),
            tasks.c.lease_owner == sa.bindparam("owner_", type_=sa.String),
        ),
    )
    .values(lease_owner=sa.bindparam("owner_", type_=sa.String),
            lease_until=sa.bindparam("until_", type_=_WHEN))
)
_CLAIM_TASK = _CLAIM.returning(*tasks.c)
_PENDING_HELD = sa.select(tasks.c.pending).where(
    tasks.c.id == sa.bindparam("id_", type_=sa.Integer),
    tasks.c.status == str(TaskStatus.RUNNING),
    sa.or_(tasks.c.kind == str(TaskKind.IMPORT),
           tasks.c.lease_owner == sa.bindparam("owner_", type_=sa.String)))
# One more batch in its duration's bucket (store/metrics.py reads them): a statement of the
# dialects' common upsert, written once.
_COUNT_BATCH = sa.text(
    "INSERT INTO batch_durations (bucket, batches, seconds) VALUES (:bucket, 1, :seconds) "
    "ON CONFLICT (bucket) DO UPDATE SET batches = batch_durations.batches + 1, "
    "seconds = batch_durations.seconds + excluded.seconds")
_COUNTED = {
    "failures": 0,
    "pending": tasks.c.pending - sa.bindparam("done_", type_=sa.Integer),
    "batches": tasks.c.batches + 1,
    "work_seconds": tasks.c.work_seconds + sa.bindparam("seconds_", type_=sa.Float),
    "processed": tasks.c.processed + sa.bindparam("processed_", type_=sa.Integer),
    "skipped": tasks.c.skipped + sa.bindparam("skipped_", type_=sa.Integer),
    "cancelled": tasks.c.cancelled + sa.bindparam("cancelled_", type_=sa.Integer),
    "errors": tasks.c.errors + sa.bindparam("errors_", type_=sa.Integer),
    "export_size": sa.func.coalesce(sa.bindparam("export_size_", type_=sa.Integer),
                                    tasks.c.export_size),
}
_RUNNING_TASK = sa.and_(tasks.c.id == sa.bindparam("id_", type_=sa.Integer),
                        tasks.c.status == str(TaskStatus.RUNNING))
_NUMBERS = (tasks.c.batches, tasks.c.processed, tasks.c.errors, tasks.c.unread)
# A batch worked alone (an export: its file grows in order) moves the cursor past itself.
_FINISH_BATCH = (sa.update(tasks).where(_RUNNING_TASK)
                 .values(cursor=sa.bindparam("cursor_", type_=sa.Integer), **_COUNTED)
                 .returning(*_NUMBERS))
# A batch of several in flight (an import) counts itself, then, in a statement of its own
# (read after the row lock is taken: no range is taken while it is held, and every range
# taken before is seen), moves the cursor to just before the first range another batch
# still works, or to the last taken: every item up to the cursor is worked.
_FINISH_RANGE = (sa.update(tasks).where(_RUNNING_TASK).values(**_COUNTED)
                 .returning(*_NUMBERS))
_OTHERS = (sa.select(sa.func.min(batch_claims.c.first_seq) - 1)
           .where(batch_claims.c.task_id == tasks.c.id,
                  batch_claims.c.first_seq != sa.bindparam("first_", type_=sa.Integer))
           .scalar_subquery())
_MOVE_CURSOR = (sa.update(tasks).where(tasks.c.id == sa.bindparam("id_", type_=sa.Integer))
                .values(cursor=sa.func.coalesce(_OTHERS, tasks.c.claimed)))


def _claiming(task_id: int, owner: str, now: datetime, lease: timedelta) -> dict[str, Any]:
    return {"id_": task_id, "now_": now, "owner_": owner, "until_": now + lease}


def claim(conn: Connection, task_id: int, *, owner: str, now: datetime, lease: timedelta) -> bool:
    """Take or renew the task's lease; False if another live worker holds it."""
    return conn.execute(_CLAIM, _claiming(task_id, owner, now, lease)).rowcount == 1


def claim_task(
    conn: Connection, task_id: int, *, owner: str, now: datetime, lease: timedelta
) -> Task | None:
    """`claim`, and the task as it is now (with its new lease) in the same statement: a
    batch's first step, one statement where a claim and a read were two. None if another
    live worker holds it, or it is no longer running."""
    row = conn.execute(_CLAIM_TASK, _claiming(task_id, owner, now, lease)).first()
    return Task.from_row(row) if row else None


def pending_held(conn: Connection, task_id: int, owner: str) -> int:
    """The pending items of a running import (any worker's batches take ranges of it), or
    of a running export whose lease `owner` holds; 0 for any other task (killed, ended, or
    taken over): a worker's next batch of it would find nothing to do."""
    found = conn.execute(_PENDING_HELD, {"id_": task_id, "owner_": owner}).scalar()
    return int(found or 0)


def release_expired_leases(conn: Connection, now: datetime) -> int:
    """Forget leases whose worker stopped renewing them; returns how many."""
    result = conn.execute(
        sa.update(tasks)
        .where(tasks.c.lease_until < now)
        .values(lease_owner=None, lease_until=None)
    )
    return result.rowcount


def leases_held_on(conn: Connection, host: str, now: datetime, owner: str) -> list[LeaseHeld]:
    """Running tasks whose live lease another worker on host `host` holds."""
    rows = conn.execute(
        sa.select(tasks.c.id, tasks.c.lease_owner).where(
            tasks.c.status == str(TaskStatus.RUNNING),
            tasks.c.lease_until >= now,
            tasks.c.lease_owner.like(f"{host}:%"),
            tasks.c.lease_owner != owner,
        )
    )
    return [LeaseHeld(task_id=row.id, owner=row.lease_owner) for row in rows]


def release_lease(conn: Connection, held: LeaseHeld) -> bool:
    """Forget one lease if that owner still holds it; False if it moved meanwhile."""
    result = conn.execute(
        sa.update(tasks)
        .where(tasks.c.id == held.task_id, tasks.c.lease_owner == held.owner)
        .values(lease_owner=None, lease_until=None)
    )
    return result.rowcount == 1


def release_leases(conn: Connection, owner: str) -> None:
    """A worker that stops cleanly hands its tasks (and its batches' ranges) back at once."""
    conn.execute(
        sa.update(tasks)
        .where(tasks.c.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )
    release_claims(conn, owner)


def waiting_tasks(conn: Connection, task_ids: Sequence[int], owner: str, now: datetime, *,
                  held: bool = True) -> list[int]:
    """The tasks a worker waiting for the database was working (and, with `held`, those it
    holds), still running and not taken by another live worker meanwhile."""
    which = tasks.c.id.in_(list(task_ids))
    query = sa.select(tasks.c.id).where(
        tasks.c.status == str(TaskStatus.RUNNING),
        sa.or_(which, tasks.c.lease_owner == owner) if held else which,
        sa.or_(tasks.c.lease_owner == owner, tasks.c.lease_owner.is_(None),
               tasks.c.lease_until < now),
    ).order_by(tasks.c.id)
    return [int(row.id) for row in conn.execute(query)]


def note_waiting(conn: Connection, task_ids: Sequence[int], owner: str, now: datetime,
                 message: str) -> list[int]:
    """Say on those tasks why they wait (their message, shown on the task page); returns
    the tasks that say so."""
    noted = waiting_tasks(conn, task_ids, owner, now)
    if noted:
        conn.execute(sa.update(tasks).where(tasks.c.id.in_(noted)).values(message=message))
    return noted


def clear_waiting(conn: Connection, task_ids: Sequence[int], prefix: str) -> None:
    """The worker works again: those tasks, still running, no longer say they wait."""
    if not task_ids:
        return
    conn.execute(
        sa.update(tasks)
        .where(tasks.c.id.in_(list(task_ids)), tasks.c.status == str(TaskStatus.RUNNING),
               tasks.c.message.startswith(prefix, autoescape=True))
        .values(message=None)
    )


def mark_queued(conn: Connection, task_id: int) -> bool:
    """Note that every item of the task is queued; False if that was noted already."""
    result = conn.execute(
        sa.update(tasks)
        .where(tasks.c.id == task_id, tasks.c.queue_done == sa.false())
        .values(queue_done=True)
    )
    return result.rowcount == 1


def update_task(conn: Connection, task_id: int, **values: Any) -> None:
    """Set plain fields of a task (spec, queue progress), not its status."""
    assert "status" not in values, "statuses change through move_task"
    conn.execute(sa.update(tasks).where(tasks.c.id == task_id).values(**values))


def delete_items_chunk(conn: Connection, task_id: int, chunk: int = 50_000) -> int:
    """Delete up to `chunk` of a task's items (the lowest seqs); returns how many.

    A million items go in steps, each its own short transaction, so no other writer waits
    long for a deletion.
    """
    lowest = conn.execute(
        sa.select(sa.func.min(items.c.seq)).where(items.c.task_id == task_id)
    ).scalar()
    if lowest is None:
        return 0
    return int(conn.execute(
        sa.delete(items).where(items.c.task_id == task_id, items.c.seq < lowest + chunk)
    ).rowcount)


def delete_task_rows(conn: Connection, task_id: int) -> bool:
    """Remove a task with its (remaining) items and log lines; True if it existed."""
    conn.execute(sa.delete(items).where(items.c.task_id == task_id))
    conn.execute(sa.delete(log_lines).where(log_lines.c.task_id == task_id))
    drop_claims(conn, task_id)
    forget_stamps(conn, task_id)
    return conn.execute(sa.delete(tasks).where(tasks.c.id == task_id)).rowcount == 1


def expired_task_ids(conn: Connection, before: datetime, limit: int = 100) -> list[int]:
    """Final tasks that finished before `before` (the retention), oldest first."""
    final = [str(s) for s in (TaskStatus.MISSED, TaskStatus.KILLED, TaskStatus.ERROR,
                              TaskStatus.COMPLETED)]
    query = (
        sa.select(tasks.c.id)
        .where(tasks.c.status.in_(final), tasks.c.finished_at < before)
        .order_by(tasks.c.id)
        .limit(limit)
    )
    return [int(row.id) for row in conn.execute(query)]


def last_completed_export(conn: Connection, profile_id: int) -> Task | None:
    """The profile's newest completed export (for "changed since the last export")."""
    query = (
        sa.select(tasks)
        .where(
            tasks.c.profile_id == profile_id,
            tasks.c.kind == str(TaskKind.EXPORT),
            tasks.c.status == str(TaskStatus.COMPLETED),
        )
        .order_by(tasks.c.started_at.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    return Task.from_row(row) if row else None


def last_feed_rows(conn: Connection, profile_id: int, before_task: int) -> int | None:
    """How many feed rows the profile's newest completed full import (not a re-run) queued,
    or None when it has none: what a safety limit compares a new feed with."""
    query = (
        sa.select(tasks.c.total, tasks.c.spec)
        .where(
            tasks.c.profile_id == profile_id,
            tasks.c.kind == str(TaskKind.IMPORT),
            tasks.c.status == str(TaskStatus.COMPLETED),
            tasks.c.id != before_task,
        )
        .order_by(tasks.c.finished_at.desc(), tasks.c.id.desc())
        .limit(50)
    )
    for row in conn.execute(query):
        run = TaskRun.from_json(row.spec)
        if not run.rerun_of:
            return run.feed_rows if run.feed_rows is not None else int(row.total)
    return None


def last_task_of_profiles(conn: Connection) -> dict[int, Task]:
    """Each profile's newest task, for the profiles list."""
    newest = (
        sa.select(sa.func.max(tasks.c.id))
        .where(tasks.c.profile_id.is_not(None))
        .group_by(tasks.c.profile_id)
    )
    query = sa.select(tasks).where(tasks.c.id.in_(newest))
    result: dict[int, Task] = {}
    for row in conn.execute(query):
        task = Task.from_row(row)
        assert task.profile_id is not None
        result[task.profile_id] = task
    return result


def scheduled_placeholders(conn: Connection) -> dict[int, list[datetime]]:
    """Each profile's pending scheduled occurrences, to see cheaply whether any is due."""
    query = sa.select(tasks.c.profile_id, tasks.c.scheduled_at).where(
        tasks.c.status == str(TaskStatus.PENDING), tasks.c.trigger == "schedule"
    )
    result: dict[int, list[datetime]] = {}
    for row in conn.execute(query):
        result.setdefault(row.profile_id, []).append(row.scheduled_at)
    return result


class BatchNumbers(NamedTuple):
    """A recorded batch's number in its task, and the task's counts before it."""

    number: int
    processed_before: int
    errors_before: int  # of which none from reading the feed (`unread`)


class TaskEnded(Exception):
    """The task of a batch being recorded no longer runs (killed, or ended in error)."""


def finish_batch(
    conn: Connection, task_id: int, *, first: int, last: int | None, done: int,
    counts: dict[str, int], seconds: float, export_size: int | None = None,
) -> BatchNumbers:
    """Count a batch of items `first` to `last` in its transaction: the task's counters, its
    timing, and its cursor (`last` given: moved past it; None: up to the batches still in
    flight). The first statement of a batch that locks the task's row; `TaskEnded` if it no
    longer runs."""
    unknown = set(counts) - {"processed", "skipped", "cancelled", "errors"}
    if unknown:
        raise ValueError(f"no such counter: {', '.join(sorted(unknown))}")
    values = {
        "id_": task_id, "done_": done, "seconds_": seconds,
        "processed_": counts.get("processed", 0), "skipped_": counts.get("skipped", 0),
        "cancelled_": counts.get("cancelled", 0), "errors_": counts.get("errors", 0),
        "export_size_": export_size,
    }
    if last is None:
        row = conn.execute(_FINISH_RANGE, values).first()
        if row is not None:
            conn.execute(_MOVE_CURSOR, {"id_": task_id, "first_": first})
    else:
        row = conn.execute(_FINISH_BATCH, {**values, "cursor_": last}).first()
    if row is None:
        raise TaskEnded(f"task {task_id} no longer runs: the batch of items {first:,} on "
                        "is not recorded")
    conn.execute(_COUNT_BATCH, {"bucket": bisect_left(BATCH_BUCKETS, seconds),
                                "seconds": seconds})
    batches, processed, errors, unread = (int(v) for v in row)
    return BatchNumbers(number=batches, processed_before=processed - counts.get("processed", 0),
                        errors_before=errors - counts.get("errors", 0) - unread)


def add_queued(
    conn: Connection, task_id: int, *, expected_total: int, added: int, pending: int,
    errors: int, seconds: float,
) -> int | None:
    """Count newly queued items, if nobody else queued since `expected_total`; None if
    someone did, else the rows of the feed that could not be read before these (the task's
    `unread` before this chunk's `errors`)."""
    row = conn.execute(
        sa.update(tasks)
        .where(
            tasks.c.id == task_id,
            tasks.c.total == expected_total,
            tasks.c.status == str(TaskStatus.RUNNING),
        )
        .values(
            total=tasks.c.total + added,
            pending=tasks.c.pending + pending,
            errors=tasks.c.errors + errors,
            work_seconds=tasks.c.work_seconds + seconds,
            queue_seconds=tasks.c.queue_seconds + seconds,
            unread=tasks.c.unread + errors,
            failures=0,
        )
        .returning(tasks.c.unread)
    ).first()
    return None if row is None else int(row.unread) - errors


def note_failure(conn: Connection, task_id: int, step: str, now: datetime) -> int:
    """Count one more failed step of the task (by any worker), and one more failure of that
    step for /metrics; returns the task's count."""
    statement = insert_on_conflict(conn, step_failures).values(step=step, failures=1,
                                                                 last_at=now)
    conn.execute(statement.on_conflict_do_update(
        index_elements=[step_failures.c.step],
        set_={"failures": step_failures.c.failures + 1, "last_at": now}))
    conn.execute(
        sa.update(tasks).where(tasks.c.id == task_id).values(failures=tasks.c.failures + 1)
    )
    value = conn.execute(sa.select(tasks.c.failures).where(tasks.c.id == task_id)).scalar()
    return int(value or 0)


def add_worked(
    conn: Connection, task_id: int, *, expected_total: int, processed: int, skipped: int,
    errors: int, seconds: float,
) -> bool:
    """Count items queued already worked (products missing from the feed), if nobody else
    added items since `expected_total` and the task still runs; False if not."""
    result = conn.execute(
        sa.update(tasks)
        .where(tasks.c.id == task_id, tasks.c.total == expected_total,
               tasks.c.status == str(TaskStatus.RUNNING))
        .values(total=tasks.c.total + processed + skipped + errors,
                processed=tasks.c.processed + processed, skipped=tasks.c.skipped + skipped,
                errors=tasks.c.errors + errors,
                work_seconds=tasks.c.work_seconds + seconds, failures=0)
    )
    return result.rowcount == 1
