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
from syncbeat.store.claims import open_claims
from syncbeat.store.items import OutcomeWrites, outcome_writes, record_outcomes
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
    conn: Connection, task_id: int, first: int, last: int, result: BatchResult, *,
    now: datetime, seconds: float, items: int, why: str = "", in_order: bool = False,
    writes: OutcomeWrites | None = None,
) -> str:
    """Count the batch of items `first` to `last` in its task (`TaskEnded` if the task no
    longer runs), write their outcomes, log it; the log line (its first line names the
    batch). `in_order`: the task's batches run one at a time (an export), and the cursor
    moves past this one; else it moves up to the batches still in flight. `writes`: the
    result's outcomes made ready for the store before the transaction (`outcome_writes`),
    used if the result still has those outcomes (a refusal replaces them)."""
    if writes is None or not writes.of(result.outcomes):
        writes = outcome_writes(result.outcomes)
    counts = writes.counts
    # The task's row first: a kill locks it before anything else, so the two never wait
    # for each other crosswise.
    numbers = finish_batch(conn, task_id, first=first, last=last if in_order else None,
                           done=len(result.outcomes), counts=counts, seconds=seconds,
                           export_size=result.export_size)
    record_outcomes(conn, task_id, first, last, writes)
    # The log names the first LOG_EXAMPLES changed products and errors of a task, then says
    # each batch's counts alone: a million-row import's log stays a line a batch.
    named = Named(changed=max(0, LOG_EXAMPLES - numbers.processed_before),
                  errors=max(0, LOG_EXAMPLES - numbers.errors_before))
    line = batch_line(numbers.number, first, last, counts, items, seconds, result, why, named)
    add_log(conn, task_id, now, line, "error" if result.errors else "info")
    return line


def record_kept(ctx: Context, conn: Connection, task: Task, now: datetime, when: str) -> int:
    """Before an import task ends (killed, or in error), record the batches the catalog
    committed and the store did not (a worker stopped between the two commits): the report
    must say what the catalog has. Those are the ranges still claimed, and the one after
    the last taken (a range taken in the batch's own transaction). Returns the items
    recorded (0: there was none). In `conn`'s write transaction, with the task's row
    locked."""
    if task.kind is not TaskKind.IMPORT or task.spec is None:
        return 0
    ranges = [(c.first, c.last) for c in open_claims(conn, task.id)]
    ranges.append((task.claimed + 1, task.claimed + 1))
    recorded = 0
    for first, last in ranges:
        try:
            mark = BatchMark(run_of(task, task.run), task.id, first, last,
                             recorded=task.cursor)
            with ctx.catalog.batch(conn, mark) as unit:
                done = unit.done if unit.keeps else None
        except CatalogUnusable as exc:  # the task ends all the same; the log says what is unknown
            add_log(conn, task.id, now, f"the catalog could not be asked whether it has a "
                    f"batch from item {first:,} that was not recorded ({exc}): the report "
                    "shows those items as not worked", "warning")
            continue
        if done is None:
            continue
        kept_last, record = done
        result = BatchResult.unpacked(record)
        record_batch(conn, task.id, first, kept_last, result, now=now, seconds=0.0,
                     items=kept_last - first + 1, why=f"{EARLIER}, recorded {when}")
        recorded += len(result.outcomes)
    return recorded


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
