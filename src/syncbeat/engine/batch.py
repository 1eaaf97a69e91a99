"""One batch of one running task: claim, read, apply, record; all in one transaction."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import timedelta
from itertools import repeat
from operator import itemgetter

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.catalog.base import INPUT, OUTCOME, SEQ, BatchMark, Joined, Loader
from syncbeat.domain.statuses import ItemOutcome, TaskKind
from syncbeat.domain.task import Task
from syncbeat.engine.context import Context
from syncbeat.engine.failures import step_failed
from syncbeat.engine.process import (
    SKIPPED,
    BatchResult,
    ImportPlan,
    export_values,
    import_batch,
    join_found,
)
from syncbeat.engine.recording import EARLIER, record_batch, run_of
from syncbeat.feeds import ExportWriter
from syncbeat.feeds.export import product_lines
from syncbeat.feeds.jsonvalues import dumps
from syncbeat.store.db import is_outage, write_tx
from syncbeat.store.items import read_batch
from syncbeat.store.tasks import claim_task

log = logging.getLogger(__name__)
PROCESSED = int(ItemOutcome.PROCESSED)
GONE = "no longer in the catalog"


def run_batch(ctx: Context, task: Task, lease: timedelta) -> str:
    """Work one batch of `task`; a batch that fails as a whole rolls back and is retried
    at once product by product, so one product the database refuses is marked error alone."""
    try:
        said = _attempt(ctx, task, lease, careful=False)
    except Exception as exc:
        if is_outage(exc):
            raise  # not a product's fault: the worker waits for the database
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
        fresh = claim_task(conn, task.id, owner=ctx.owner, now=now, lease=lease)
        if fresh is None:
            return f"task {task.id}: held by another worker, or no longer running"
        spec = fresh.started_spec()
        assert spec is not None, "a running task started"
        on = spec.run.catalog
        if on is not None and on != ctx.catalog.location.shown:
            raise CatalogMismatch(
                f"the task started on the catalog {on}, and this worker works on "
                f"{ctx.catalog.location.shown}: give every syncbeat process the same "
                "SYNCBEAT_CATALOG")
        plan = (ImportPlan.of(spec.profile, ctx.catalog.known)
                if fresh.kind is TaskKind.IMPORT else None)
        rows, loaders = _read(ctx, conn, fresh, spec.batch_size, plan)
        if not rows:
            return f"task {task.id}: nothing left to work"
        why = ""
        if plan is not None:
            mark = BatchMark(run_of(fresh, spec.run), task.id, rows[0][SEQ], rows[-1][SEQ])
            with ctx.catalog.batch(conn, mark) as unit:
                if unit.done is not None:
                    # The catalog committed this batch before the store could: its record
                    # says what it did, and nothing is applied again.
                    last, record = unit.done
                    rows = [row for row in rows if row[SEQ] <= last]
                    result = BatchResult.unpacked(record)
                    why = f"{EARLIER}, recorded now"
                else:
                    result = import_batch(conn, ctx.catalog, unit, plan, rows, now,
                                          loaders=loaders, careful=careful)
                    if unit.keeps:
                        unit.keep(rows[-1][SEQ], result.packed())
        else:
            result = _export_batch(ctx, conn, fresh, spec.profile.fields, rows)
        line = record_batch(conn, fresh, rows[0][SEQ], rows[-1][SEQ], result, now=now,
                            seconds=time.perf_counter() - started, items=len(rows), why=why)
    return f"task {task.id}: {line.splitlines()[0]}"


class CatalogMismatch(Exception):
    """A worker set up with another catalog than the one its task started on."""


def _read(
    ctx: Context, conn: Connection, task: Task, size: int, plan: ImportPlan | None
) -> tuple[list[Joined], list[Loader] | None]:
    """The batch's items; for an import each with its product (`base.Joined`), and how
    the catalog's current values read (`base.Loader`)."""
    if plan is not None:
        joined = ctx.catalog.queued_with_products(
            conn, task.id, task.cursor, size, plan.match, plan.fetch_fields)
        if joined is not None:
            return joined.rows, joined.loaders
    rows = read_batch(conn, task.id, task.cursor, size)
    if plan is None:
        return rows, None
    # A pending item has a key (one without is queued as an error).
    keys = list(dict.fromkeys(key for _, key, _, outcome in rows if outcome == 0 and key))
    found = ctx.catalog.fetch(conn, plan.match, keys, plan.fetch_fields)
    return join_found(plan, rows, found), None


def _export_batch(
    ctx: Context, conn: Connection, task: Task, exported: Mapping[str, str], rows: list[Joined]
) -> BatchResult:
    fields = dict(exported)  # output field -> catalog field
    # Items are (seq, key, input, outcome); all pending, unless a retry finds some worked.
    todo = [r for r in rows if r[OUTCOME] == 0] if any(map(_OUTCOME, rows)) else rows
    seqs = list(map(_SEQ, todo))
    ids = list(map(int, map(_INPUT, todo)))
    result = BatchResult()
    text = ctx.catalog.export_json(conn, ids, list(fields), list(fields.values()))
    got = None
    if ids and text is None:
        got = ctx.catalog.export_table(conn, ids, list(fields.values()))
    if text is not None:
        # The catalog wrote every product of the batch as JSON itself, the usual case.
        result.outcomes = list(zip(seqs, repeat(PROCESSED), repeat(None)))
        lines = [text]
    elif got is None:
        lines = _export_lines_by_dict(ctx, conn, fields, seqs, ids, result)
    else:
        found, kinds, columns = got
        if len(found) == len(ids) and list(found) == ids:
            # Every product is still there, the usual case: no Python work per product but
            # encoding it, column by column.
            result.outcomes = list(zip(seqs, repeat(PROCESSED), repeat(None)))
        else:
            at = {product_id: i for i, product_id in enumerate(found)}
            keep = []
            for seq, product_id in zip(seqs, ids, strict=True):
                i = at.get(product_id)
                if i is None:
                    result.outcomes.append((seq, SKIPPED, GONE))
                else:
                    keep.append(i)
                    result.outcomes.append((seq, PROCESSED, None))
            columns = [[column[i] for i in keep] for column in columns]
        lines = product_lines(list(fields), kinds, columns)
    folder = ctx.task_dir(task.id)
    folder.mkdir(parents=True, exist_ok=True)
    # Truncates what a crashed attempt appended past the committed size, then appends.
    writer = ExportWriter(folder / "export.parts")
    result.export_size, durable = writer.append_lines_syncing(task.export_size, lines)
    # The parts file goes to disk while the batch writes its outcomes; the commit waits for
    # it (and fails if it cannot be flushed), so a committed export size is always on disk.
    sa.event.listen(conn, "commit", lambda _conn: durable(), once=True)
    return result


_SEQ, _INPUT, _OUTCOME = itemgetter(SEQ), itemgetter(INPUT), itemgetter(OUTCOME)


def _export_lines_by_dict(
    ctx: Context, conn: Connection, fields: dict[str, str], seqs: list[int], ids: list[int],
    result: BatchResult,
) -> list[str]:
    """The plain path, for catalogs (or fields) without `export_table`: a dict a product."""
    found = dict(ctx.catalog.export_rows(conn, ids, list(fields.values())))
    lines = []
    for seq, product_id in zip(seqs, ids, strict=True):
        values = found.get(product_id)
        if values is None:
            result.outcomes.append((seq, SKIPPED, GONE))
            continue
        lines.append(dumps(export_values(values, fields)))
        result.outcomes.append((seq, PROCESSED, None))
    return lines
