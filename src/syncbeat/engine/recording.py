"""Recording a batch in the store: its outcomes, counters, cursor and log line; and the batch
a catalog in another database committed without the store (a worker stopped between the two
commits), recorded before its task ends (docs/design.md, "Exactly once across two
databases")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.engine import Connection

from syncbeat.catalog.base import BatchMark, CatalogUnusable
from syncbeat.domain.statuses import TaskKind
from syncbeat.domain.task import Task
from syncbeat.domain.taskspec import TaskRun
from syncbeat.engine.context import Context
from syncbeat.engine.process import LOG_EXAMPLES, BatchResult
from syncbeat.store.items import count_outcomes, record_outcomes
from syncbeat.store.logs import add_log
from syncbeat.store.tasks import finish_batch

EARLIER = ": applied to the catalog by an earlier attempt that stopped before recording it"


def run_of(task: Task, run: TaskRun) -> str:
    """The token of this run of the task (`run.token`, made at start; one made of the task's
    id and start for a task started by a version without it), which keys the records a
    catalog keeps: never the same for two runs, even of a reused task id."""
    if run.token:
        return run.token
    started = task.started_at.isoformat() if task.started_at else ""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"syncbeat:{task.id}:{started}").hex


def record_batch(
    conn: Connection, task: Task, first: int, last: int, result: BatchResult, *, now: datetime,
    seconds: float, items: int, why: str = "",
) -> str:
    """Write the batch's outcomes (seq `first` to `last`), move the task past it, log it;
    the log line (its first line names the batch)."""
    record_outcomes(conn, task.id, first, last, result.outcomes)
    counts = count_outcomes(o for _, o, _ in result.outcomes)
    finish_batch(conn, task.id, cursor=last, done=len(result.outcomes), counts=counts,
                 seconds=seconds, export_size=result.export_size)
    # The log names the first LOG_EXAMPLES changed products and errors of a task, then says
    # each batch's counts alone: a million-row import's log stays a line a batch.
    named = Named(changed=max(0, LOG_EXAMPLES - task.progress.processed),
                  errors=max(0, LOG_EXAMPLES - (task.progress.errors - task.unread)))
    line = batch_line(task.batches + 1, first, last, counts, items, seconds, result, why,
                      named)
    add_log(conn, task.id, now, line, "error" if result.errors else "info")
    return line


def record_kept(ctx: Context, conn: Connection, task: Task, now: datetime, when: str) -> int:
    """Before an import task ends (killed, or in error), record the batch after its cursor
    that the catalog committed and the store did not: the report must say what the catalog
    has. Returns the items recorded (0: there was none). In `conn`'s write transaction, with
    the task's row locked."""
    if task.kind is not TaskKind.IMPORT or task.spec is None:
        return 0
    first = task.cursor + 1
    try:
        mark = BatchMark(run_of(task, task.run), task.id, first, first)
        with ctx.catalog.batch(conn, mark) as unit:
            done = unit.done if unit.keeps else None
    except CatalogUnusable as exc:  # the task ends all the same; the log says what is unknown
        add_log(conn, task.id, now, f"the catalog could not be asked whether it has a batch "
                f"from item {first:,} that was not recorded ({exc}): the report shows those "
                "items as not worked", "warning")
        return 0
    if done is None:
        return 0
    last, record = done
    result = BatchResult.unpacked(record)
    record_batch(conn, task, first, last, result, now=now, seconds=0.0,
                 items=last - first + 1, why=f"{EARLIER}, recorded {when}")
    return len(result.outcomes)


class Named(NamedTuple):
    """How many changed products and errors a batch's log line may still name."""

    changed: int = LOG_EXAMPLES
    errors: int = LOG_EXAMPLES


EVERY = Named()  # a batch that may name as many as a batch's line holds


def batch_line(
    number: int, first: int, last: int, counts: dict[str, int], items: int, seconds: float,
    result: BatchResult, why: str = "", named: Named = EVERY,
) -> str:
    """The actions log's lines for a batch: what it did, how fast, and the first examples of
    changes and errors a task names (the report lists every one)."""
    words = ", ".join(
        f"{counts.get(name, 0):,} {label}"
        for name, label in (("processed", "processed"), ("skipped", "skipped"),
                            ("errors", "error"))
    )
    speed = items / seconds if seconds > 0 else 0.0
    lines = [f"batch {number}: items {first:,}-{last:,}: {words} in {seconds:.3f} s "
             f"({speed:,.0f} items/s){why}"]
    lines += [f"  changed {line}" for line in result.changed[:named.changed]]
    if 0 < named.changed < len(result.changed):
        lines.append(f"  ... and more changed products: the report lists every one (the log "
                     f"names a task's first {LOG_EXAMPLES})")
    lines += [f"  error {line}" for line in result.errors[:named.errors]]
    if 0 < named.errors < len(result.errors):
        lines.append(f"  ... and more errors: the report lists every one (the log names a "
                     f"task's first {LOG_EXAMPLES})")
    return "\n".join(lines)
