"""Queueing a running task's items in bounded steps: a million-row feed never holds a tick."""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from syncbeat.domain.limits import broken_limit
from syncbeat.domain.statuses import ItemOutcome, TaskKind, TaskStatus
from syncbeat.domain.task import Task
from syncbeat.domain.taskspec import TaskSpec
from syncbeat.engine.codec import encode
from syncbeat.engine.context import Context
from syncbeat.engine.rerun import only_failed, wanted_seqs
from syncbeat.engine.seen import Seen, SeenKeys
from syncbeat.engine.start import feed_spec
from syncbeat.feeds import FeedError, RowError, open_feed
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.items import insert_items, read_batch
from syncbeat.store.logs import add_log
from syncbeat.store.rows import INPUT, KEY, OUTCOME, ItemRow
from syncbeat.store.tasks import (
    add_queued,
    claim,
    get_task,
    last_feed_rows,
    mark_queued,
    move_task,
    update_task,
)

MAX_KEY = 200  # the items table's key column
CHUNK = 20_000  # rows per write transaction: tens of milliseconds, so other writers barely wait
_ERROR = int(ItemOutcome.ERROR)
_PENDING = int(ItemOutcome.PENDING)


class LostTask(Exception):
    """Another worker (or a kill) got to the task first; this worker lets it go."""


@dataclass
class _Open:
    """A feed (or catalog walk) this process is reading, and how far it got."""

    rows: Iterator[Any]
    position: int  # items queued from it so far
    reader: Any = None
    last_id: int = 0  # exports: the last product id queued
    # imports whose later rows of a key are errors: each key read so far, with its row
    seen: SeenKeys | None = None
    keys_marked: bool = False  # by the records' own reader (a re-run's `only_failed`)

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
        if self.seen is not None:
            self.seen.close()


def queue_step(ctx: Context, task: Task, now: datetime, deadline: float, lease: timedelta) -> str:
    """Queue items of `task` until its source is exhausted or the deadline passes."""
    return queue_some(ctx, task, now, deadline, lease)[0]


def queue_some(
    ctx: Context, task: Task, now: datetime, deadline: float, lease: timedelta, *,
    chunks: int | None = None, wanted: Callable[[], bool] | None = None,
) -> tuple[str, bool]:
    """`queue_step` (or at most `chunks` chunks of it), and whether more may remain: False
    once the source is exhausted, the task is lost to another worker (or a kill), or its
    feed is broken. `wanted` is asked before each chunk's commit (a queueing process whose
    worker died commits nothing more)."""
    spec = task.started_spec()
    assert spec is not None, "a running task started"
    try:
        source = _reopen(ctx, task, spec)
    except FeedError as exc:
        return _broken(ctx, task, now, exc), False
    total = task.progress.total
    try:
        while time.perf_counter() < deadline and chunks != 0:
            chunk_started = time.perf_counter()
            if task.kind is TaskKind.IMPORT:
                rows, pending, errors = _import_rows(source, total)
            else:
                added = _export_chunk(ctx, task, now, lease, source, total, spec)
                if added is not None:  # queued by the database itself
                    if not added:
                        return _queued_all(ctx, task, now, total, lease), False
                    total += added
                    source.position = total
                    if chunks is not None and added == CHUNK:
                        chunks -= 1  # a short chunk was the last: the next look says so
                    continue
                rows, pending, errors = _export_rows(ctx, source, total, spec)
            if not rows:
                return _queued_all(ctx, task, now, total, lease), False
            if wanted is not None and not wanted():
                raise LostTask
            with write_tx(ctx.db) as conn:
                _claim_or_lose(ctx, conn, task, now, lease)
                # Counted first: a process that read from a stale total loses here, before
                # its seq numbers could meet the ones already queued.
                seconds = time.perf_counter() - chunk_started
                unread = add_queued(conn, task.id, expected_total=total, added=len(rows),
                                    pending=pending, errors=errors, seconds=seconds)
                if unread is None:
                    raise LostTask
                insert_items(conn, task.id, rows)
                if errors:
                    add_log(conn, task.id, now,
                            unread_lines(rows, errors, max(0, NAMED_UNREAD - unread)),
                            "warning")
            total += len(rows)
            source.position = total
            if chunks is not None and len(rows) == CHUNK:
                chunks -= 1
    except FeedError as exc:
        return _broken(ctx, task, now, exc), False
    except LostTask:
        forget_reader(ctx, task.id)
        return f"task {task.id}: let go (killed, deleted, or queued by another worker)", False
    except BaseException:
        # Rows read but not committed would be lost if this reader were used again.
        forget_reader(ctx, task.id)
        raise
    return f"task {task.id}: queued {total:,} items so far", True


def _claim_or_lose(
    ctx: Context, conn: Connection, task: Task, now: datetime, lease: timedelta
) -> None:
    if not claim(conn, task.id, owner=ctx.owner, now=now, lease=lease):
        raise LostTask


def _reopen(ctx: Context, task: Task, spec: TaskSpec) -> _Open:
    held = ctx.readers.get(task.id)
    if isinstance(held, _Open) and held.position == task.progress.total:
        return held
    forget_reader(ctx, task.id)
    skip = task.progress.total
    if task.kind is TaskKind.IMPORT:
        profile = spec.profile
        reader = open_feed(ctx.task_dir(task.id) / str(spec.run.snapshot),
                           feed_spec(profile.source), profile.feed_fields)
        rows = reader.records()
        last_wins = profile.duplicates == "last_wins"
        # A file of its own per process: a worker and its queueing process never share one.
        seen = None if last_wins else SeenKeys(
            ctx.task_dir(task.id) / f"seen-{os.getpid()}-{uuid.uuid4().hex[:8]}.sqlite")
        opened = _Open(rows=rows, position=skip, reader=reader, seen=seen)
        try:
            if spec.run.rerun_of:
                opened.rows = only_failed(rows, wanted_seqs(ctx, spec.run), seen)
                opened.keys_marked = True
            # After a crash (or in another process) the feed is read again and the queued
            # rows skipped: the snapshot never changes, so the same rows get the same seqs.
            if opened.seen is None or opened.keys_marked:
                next(itertools.islice(opened.rows, skip, skip), None)
            else:
                for start in range(0, skip, CHUNK):  # recording the keys they had
                    item_rows(itertools.islice(opened.rows, min(CHUNK, skip - start)), start,
                              opened.seen)
        except BaseException:
            opened.close()
            raise
    else:
        opened = _Open(rows=iter(()), position=skip, last_id=_last_queued_id(ctx, task))
    ctx.readers[task.id] = opened
    return opened


def _import_rows(source: _Open, total: int) -> tuple[list[ItemRow], int, int]:
    return item_rows(itertools.islice(source.rows, CHUNK), total,
                     None if source.keys_marked else source.seen)


def item_rows(
    records: Iterable[Any], total: int, seen: Seen | None = None
) -> tuple[list[ItemRow], int, int]:
    """Feed records as items (seq from `total` + 1): pending with their input, or error with
    why they cannot be used; and how many are pending, how many error. The preview queues
    its rows with it too. With `seen` (the keys met so far), a key met again is an error of
    the later row."""
    rows: list[ItemRow] = []
    errors = 0
    dumps = encode
    seq = total
    keyed: list[tuple[str, int]] = []
    for record in records:
        seq += 1
        if isinstance(record, RowError):
            rows.append((seq, record.key, None, _ERROR, record.message))
            errors += 1
            continue
        key = record[0]
        if key is None or not key.strip():
            rows.append((seq, None, dumps(record), _ERROR, "the row has no value for its key"))
            errors += 1
            continue
        key = key.strip()
        stored = dumps(record)
        if len(key) > MAX_KEY or "\x00" in stored:
            problem = (f"its key is longer than {MAX_KEY} characters" if len(key) > MAX_KEY
                       else "it holds a NUL character, which no database stores")
            rows.append((seq, key[:MAX_KEY], None, _ERROR, f"the row cannot be used: {problem}"))
            errors += 1
            continue
        rows.append((seq, key, stored, _PENDING, None))
        if seen is not None:
            keyed.append((key, seq))
    if keyed and seen is not None:
        for again, first in seen.first_rows(keyed).items():
            at = again - total - 1
            key = rows[at][KEY]
            rows[at] = (again, key, rows[at][INPUT], _ERROR, f"key {key} also on row {first:,}")
            errors += 1
    return rows, len(rows) - errors, errors


NAMED_UNREAD = 20  # rows named in the log, a task's first; the report lists every one


def unread_lines(rows: list[ItemRow], errors: int, names: int = NAMED_UNREAD) -> str:
    """The log's account of the feed rows that could not be read: the first `names` each
    with its item number, its key when it has one, and why."""
    named = [row for row in rows if row[OUTCOME] == _ERROR][:names]
    lines = [f"could not read {errors:,} row{'s' if errors != 1 else ''} of the feed:"]
    if not named:  # the task's first ones were named already
        return f"{lines[0][:-1]}: the report lists every one"
    for seq, key, _, _, why in named:
        lines.append(f"  item {seq:,}" + (f" ({key})" if key else "") + f": {why}")
    if errors > len(named):
        lines.append(f"  ... and {errors - len(named):,} more: the report lists every one")
    return "\n".join(lines)


def _export_rows(
    ctx: Context, source: _Open, total: int, spec: TaskSpec
) -> tuple[list[ItemRow], int, int]:
    with read_tx(ctx.db) as conn:
        pairs = ctx.catalog.export_ids(
            conn, active=spec.profile.filter_active, changed_since=spec.run.since,
            after_id=source.last_id, limit=CHUNK,
        )
    rows: list[ItemRow] = [
        (total + i, listed.reference, str(listed.id), _PENDING, None)
        for i, listed in enumerate(pairs, start=1)
    ]
    if pairs:
        source.last_id = pairs[-1].id
    return rows, len(rows), 0


def _export_chunk(
    ctx: Context, task: Task, now: datetime, lease: timedelta, source: _Open, total: int,
    spec: TaskSpec,
) -> int | None:
    """Queue the next chunk of an export with one INSERT ... SELECT, when the catalog can:
    the items queued (0: all are), or None for a catalog that cannot (`_export_rows`)."""
    started = time.perf_counter()
    with write_tx(ctx.db) as conn:
        _claim_or_lose(ctx, conn, task, now, lease)
        queued = ctx.catalog.queue_export(
            conn, task.id, first_seq=total + 1, active=spec.profile.filter_active,
            changed_since=spec.run.since, after_id=source.last_id, limit=CHUNK,
        )
        if queued is None:
            return None  # nothing queued; the lease was renewed, that is all
        if queued.added and add_queued(conn, task.id, expected_total=total,
                                       added=queued.added, pending=queued.added,
                                       errors=0, seconds=time.perf_counter() - started) is None:
            raise LostTask
    source.last_id = queued.last_id
    return queued.added


def _last_queued_id(ctx: Context, task: Task) -> int:
    if not task.progress.total:
        return 0
    with read_tx(ctx.db) as conn:
        rows = read_batch(conn, task.id, task.progress.total - 1, 1)
    return int(rows[0][INPUT] or 0) if rows else 0  # an export item's input: its product id


def _queued_all(ctx: Context, task: Task, now: datetime, total: int, lease: timedelta) -> str:
    forget_reader(ctx, task.id)
    with write_tx(ctx.db) as conn:
        _claim_or_lose(ctx, conn, task, now, lease)
        if not mark_queued(conn, task.id):
            return f"task {task.id}: queued {total:,} items"  # said already, by another step
        fresh = get_task(conn, task.id)
        assert fresh is not None  # claimed in this transaction
        unread = fresh.unread
        unread_text = f" ({unread:,} could not be read)" if unread else ""
        add_log(conn, task.id, now,
                f"queued {total:,} items{unread_text} in {fresh.queue_seconds:.2f} s")
        refused = _check_limits(conn, fresh, now)
    if refused:
        return f"task {task.id} error: {refused}"
    return f"task {task.id}: queued {total:,} items"


def _check_limits(conn: Connection, task: Task, now: datetime) -> str | None:
    """Record the feed's row count; put the task in error (nothing applied yet: a task with
    limits works no batch before it is queued whole) when it breaks a safety limit."""
    spec = task.started_spec()
    if task.kind is not TaskKind.IMPORT or spec is None or spec.run.rerun_of:
        return None
    spec = spec.with_run(feed_rows=task.progress.total)
    profile = spec.profile
    reason = None
    if profile.has_limits and not spec.run.force and task.profile_id is not None:
        reason = broken_limit(
            task.progress.total, last_feed_rows(conn, task.profile_id, task.id),
            min_rows=profile.min_rows, max_drop_percent=profile.max_drop_percent,
        )
    if reason is None:
        update_task(conn, task.id, spec=spec.to_json())
        return None
    spec = spec.with_run(failed_limit=True)
    reason = f"safety limit: {reason}; nothing was changed (run it anyway to apply it)"
    if move_task(conn, task.id, TaskStatus.ERROR, now=now, message=reason,
                 spec=spec.to_json()):
        add_log(conn, task.id, now, f"error: {reason}", "error")
    return reason


def _broken(ctx: Context, task: Task, now: datetime, exc: FeedError) -> str:
    forget_reader(ctx, task.id)
    reason = f"the feed could not be read to its end: {exc}"
    with write_tx(ctx.db) as conn:
        if move_task(conn, task.id, TaskStatus.ERROR, now=now, message=reason):
            add_log(conn, task.id, now, f"error: {reason}", "error")
    return f"task {task.id} error: {reason}"


def forget_reader(ctx: Context, task_id: int) -> None:
    """Close the feed this process holds open for the task, if any."""
    held = ctx.readers.pop(task_id, None)
    if held is not None:
        held.close()
