"""Re-run what failed: a new task of the same profile works only the items of an ended task
that ended in error (or were cancelled), read again from that task's copy of the feed, with
the profile as it is now (its mapping fixed, say)."""

from __future__ import annotations

import itertools
import os
import shutil
from array import array
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from sqlalchemy.engine import Connection

from syncbeat.domain.statuses import TaskKind
from syncbeat.domain.task import Task
from syncbeat.domain.taskspec import TaskRun, TaskSpec
from syncbeat.engine.context import Context
from syncbeat.engine.errors import ActionError, NotFound
from syncbeat.engine.seen import Seen
from syncbeat.feeds import FeedError, RowError
from syncbeat.feeds.base import Record
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.items import failed_seqs
from syncbeat.store.logs import add_log
from syncbeat.store.profiles import get_profile
from syncbeat.store.tasks import create_task, get_task

CHUNK = 20_000  # feed rows read between two looks at the keys met


def rerun_failed(ctx: Context, task_id: int, *, errors_only: bool = False) -> int:
    """A pending task, due now, working only the items of task `task_id` that ended in error
    (and, unless `errors_only`, those cancelled); its id."""
    now = ctx.clock()
    with write_tx(ctx.db) as conn:
        old = get_task(conn, task_id)
        if old is None:
            raise NotFound(f"no task {task_id}")
        if old.kind is not TaskKind.IMPORT:
            raise ActionError(f"task {task_id} is an export: run its profile again instead")
        if not old.is_final:
            raise ActionError(f"task {task_id} is {old.status}: re-run it once it has ended")
        what = "error" if errors_only else "error or were cancelled"
        failed = old.progress.errors + (0 if errors_only else old.progress.cancelled)
        if not failed:
            raise ActionError(f"task {task_id} has no items that ended in {what}")
        if _snapshot_of(ctx, old) is None:
            raise ActionError(f"task {task_id} kept no copy of its feed to read again")
        profile = get_profile(conn, old.profile_id) if old.profile_id is not None else None
        if profile is None:
            raise ActionError(f"the profile of task {task_id} was deleted")
        new_id = create_task(conn, profile, scheduled_at=now, trigger="manual", now=now,
                             flags=TaskRun.created_with(rerun_of=old.id,
                                                        rerun_cancelled=not errors_only))
        if new_id is None:
            raise ActionError("a task of this profile was just created; try again")
        add_log(conn, new_id, now, f"re-run of task {old.id}: its {failed:,} items that ended "
                                   f"in {what}, queued by a user")
    return new_id


def _snapshot_of(ctx: Context, task: Task) -> Path | None:
    name = task.run.snapshot
    if not name:
        return None
    path = ctx.task_dir(task.id) / name
    return path if path.is_file() else None


def reuse_snapshot(ctx: Context, task: Task, spec: TaskSpec) -> tuple[TaskSpec, str]:
    """Give a re-run task the feed copy of the task it re-runs (and that feed's settings):
    its spec with that snapshot, and the log's first line. FeedError when it is gone."""
    old_id = spec.run.rerun_of
    assert old_id is not None, "a re-run"
    with read_tx(ctx.db) as conn:
        old = get_task(conn, old_id)
    source = _snapshot_of(ctx, old) if old is not None else None
    old_spec = old.started_spec() if old is not None else None
    if old_spec is None or source is None:
        raise FeedError(f"task {old_id}, which this task re-runs, no longer keeps its feed")
    # The copy is read as it was read then.
    spec = replace(spec, profile=replace(spec.profile, source=old_spec.profile.source))
    folder = ctx.task_dir(task.id)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"rerun-of-{old_id}-{source.name}"
    target = folder / name
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)  # the same file: no copy of a big feed
    except OSError:
        shutil.copyfile(source, target)
    return (spec.with_run(snapshot=name),
            f"started: re-run of task {old_id}, reading its copy of the feed again")


def wanted_seqs(ctx: Context, run: TaskRun) -> array[int]:
    """The feed rows a re-run task works, in feed order."""
    assert run.rerun_of is not None, "a re-run"
    with read_tx(ctx.db) as conn:
        return _feed_rows(conn, run.rerun_of, run.rerun_cancelled)


def _feed_rows(conn: Connection, task_id: int, cancelled: bool) -> array[int]:
    rows = array("q", failed_seqs(conn, task_id, cancelled=cancelled))
    task = get_task(conn, task_id)
    run = task.run if task else TaskRun()
    if run.rerun_of:  # a re-run's item n is the n-th row the re-run read
        read = _feed_rows(conn, run.rerun_of, run.rerun_cancelled)
        rows = array("q", (read[seq - 1] for seq in rows if seq <= len(read)))
    return rows


def only_failed(
    records: Iterator[Record], wanted: array[int], seen: Seen | None
) -> Iterator[Record]:
    """The records of the wanted rows. With `seen`, a wanted row whose key an earlier row of
    the whole feed had is an error again, as it was in the first run."""
    position = 0
    seq = 0
    while position < len(wanted):
        chunk = list(itertools.islice(records, CHUNK))
        if not chunk:
            return
        again: dict[int, int] = {}
        if seen is not None:
            keyed = [(record[0].strip(), n)
                     for n, record in enumerate(chunk, start=seq + 1)
                     if not isinstance(record, RowError) and record[0] and record[0].strip()]
            again = seen.first_rows(keyed)
        for record in chunk:
            seq += 1
            if position == len(wanted) or seq != wanted[position]:
                continue
            position += 1
            first = again.get(seq)
            if first is not None and not isinstance(record, RowError):
                key = (record[0] or "").strip()
                yield RowError(line=seq, key=key, message=f"key {key} also on row {first:,}")
            else:
                yield record
