"""One batch of one running task: claim, read, apply, record; all in one transaction."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Connection

from syncbeat.catalog.base import Values
from syncbeat.domain.statuses import ItemOutcome, TaskKind
from syncbeat.domain.task import Task
from syncbeat.engine.context import Context
from syncbeat.engine.failures import step_failed
from syncbeat.engine.process import SKIPPED, BatchResult, ImportPlan, export_values, import_batch
from syncbeat.feeds import ExportWriter
from syncbeat.store.db import write_tx
from syncbeat.store.items import count_outcomes, read_batch, record_outcomes
from syncbeat.store.logs import add_log
from syncbeat.store.tasks import claim, finish_batch, get_task

log = logging.getLogger(__name__)
PROCESSED = int(ItemOutcome.PROCESSED)
GONE = "no longer in the catalog"


def run_batch(ctx: Context, task: Task, lease: timedelta) -> str:
    """Work one batch of `task`; a batch that fails as a whole rolls back and is retried
    at once product by product, so one product the database refuses is marked error alone."""
    try:
        said = _attempt(ctx, task, lease, careful=False)
    except Exception as exc:
        log.warning("task %s: batch failed, retrying product by product: %s", task.id, exc)
    else:
        return said
    try:
        return _attempt(ctx, task, lease, careful=True)
    except Exception as exc:
        return step_failed(ctx, task, "a batch", exc)


def _attempt(ctx: Context, task: Task, lease: timedelta, *, careful: bool) -> str:
    started = time.perf_counter()
    now = ctx.clock()
    with write_tx(ctx.db) as conn:
        if not claim(conn, task.id, owner=ctx.owner, now=now, lease=lease):
            return f"task {task.id}: held by another worker, or no longer running"
        fresh = get_task(conn, task.id)
        assert fresh is not None and fresh.spec is not None
        spec: dict[str, Any] = dict(fresh.spec)
        size = int(spec["batch_size"])
        plan = ImportPlan.from_spec(spec) if fresh.kind is TaskKind.IMPORT else None
        rows, found = _read(ctx, conn, fresh, size, plan)
        if not rows:
            return f"task {task.id}: nothing left to work"
        if plan is not None:
            result = import_batch(conn, ctx.catalog, plan, rows, now, careful=careful,
                                  found=found)
        else:
            result = _export_batch(ctx, conn, fresh, spec, rows)
        first, last = rows[0][0], rows[-1][0]
        record_outcomes(conn, task.id, first, last, result.outcomes)
        seconds = time.perf_counter() - started
        counts = count_outcomes(o for _, o, _ in result.outcomes)
        finish_batch(conn, task.id, cursor=last, done=len(result.outcomes), counts=counts,
                     seconds=seconds, export_size=result.export_size)
        line = _batch_line(fresh.batches + 1, first, last, counts, len(rows), seconds, result)
        add_log(conn, task.id, now, line, "error" if result.errors else "info")
    return f"task {task.id}: {line.splitlines()[0]}"


def _read(
    ctx: Context, conn: Connection, task: Task, size: int, plan: ImportPlan | None
) -> tuple[list[tuple[Any, ...]], dict[str, tuple[int, Values]] | None]:
    """The batch's items, with their products when the catalog can read both at once."""
    joined = getattr(ctx.catalog, "queued_with_products", None)
    if plan is not None and joined is not None:
        both = joined(conn, task.id, task.cursor, size, plan.match, plan.fetch_fields)
        if both is not None:
            return both  # type: ignore[no-any-return]
    return read_batch(conn, task.id, task.cursor, size), None


def _export_batch(
    ctx: Context, conn: Connection, task: Task, spec: dict[str, Any], rows: list[tuple[Any, ...]]
) -> BatchResult:
    fields: dict[str, str] = dict(spec["fields"])
    todo = [r for r in rows if r[3] == 0]
    found = dict(ctx.catalog.export_rows(conn, [int(r[2]) for r in todo], list(fields.values())))
    result = BatchResult()
    products = []
    for seq, _key, raw, _ in todo:
        values = found.get(int(raw))
        if values is None:
            result.outcomes.append((seq, SKIPPED, GONE))
            continue
        products.append(export_values(values, fields))
        result.outcomes.append((seq, PROCESSED, None))
    folder = ctx.task_dir(task.id)
    folder.mkdir(parents=True, exist_ok=True)
    # Truncates what a crashed attempt appended past the committed size, then appends.
    result.export_size = ExportWriter(folder / "export.parts").append(task.export_size, products)
    return result


def _batch_line(
    number: int, first: int, last: int, counts: dict[str, int], items: int, seconds: float,
    result: BatchResult,
) -> str:
    words = ", ".join(
        f"{counts.get(name, 0):,} {label}"
        for name, label in (("processed", "processed"), ("skipped", "skipped"),
                            ("errors", "error"))
    )
    speed = items / seconds if seconds > 0 else 0.0
    lines = [f"batch {number}: items {first:,}-{last:,}: {words} in {seconds:.3f} s "
             f"({speed:,.0f} items/s)"]
    lines += [f"  changed {line}" for line in result.changed[:20]]
    if len(result.changed) > 20:
        lines.append("  ... and more changed products: the report lists every one")
    lines += [f"  error {line}" for line in result.errors[:20]]
    if len(result.errors) > 20:
        lines.append("  ... and more errors: the report lists every one")
    return "\n".join(lines)


