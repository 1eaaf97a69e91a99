"""One batch of one running task: take its range (or, for an export, the task's lease), read,
apply, record; the batch in one transaction."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from itertools import repeat
from operator import itemgetter
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.catalog.base import (
    INPUT,
    KEY,
    OUTCOME,
    PRODUCT_ID,
    SEQ,
    BatchMark,
    Joined,
    Loader,
    Prepared,
)
from syncbeat.catalog.location import BuiltinLocation
from syncbeat.domain.statuses import ItemOutcome, TaskKind, TaskStatus
from syncbeat.domain.task import Task
from syncbeat.domain.taskspec import TaskSpec
from syncbeat.engine.context import Context
from syncbeat.engine.events import ProgressLine
from syncbeat.engine.failures import step_failed
from syncbeat.engine.process import (
    SKIPPED,
    BatchResult,
    Decision,
    ImportPlan,
    decide_batch,
    export_values,
    import_batch,
    join_found,
)
from syncbeat.engine.recording import EARLIER, record_batch, run_of
from syncbeat.feeds import ExportWriter
from syncbeat.feeds.export import product_lines
from syncbeat.feeds.jsonvalues import dumps
from syncbeat.store.claims import (
    Claim,
    ClaimLost,
    claimable,
    give_back,
    settle,
    take_range,
)
from syncbeat.store.db import is_outage, read_tx, write_tx
from syncbeat.store.items import OutcomeWrites, outcome_writes, read_batch
from syncbeat.store.tasks import TaskEnded, claim_task, get_task

log = logging.getLogger(__name__)
PROCESSED = int(ItemOutcome.PROCESSED)
GONE = "no longer in the catalog"


def run_batch(ctx: Context, task: Task, lease: timedelta) -> str | None:
    """Work one batch of `task`; a batch that fails as a whole rolls back and is retried
    at once product by product, so one product the database refuses is marked error alone.
    None when an import has no range left for this worker: other workers' batches in flight
    hold the rest (`store.claims`)."""
    claim = None
    if task.kind is TaskKind.IMPORT:
        # Taken as this worker's last batch of the task recorded, or now in a short
        # transaction: the batch's own transaction locks no task until it records.
        claim = ctx.ranges.pop(task.id, None)
        if claim is None:
            spec = task.started_spec()
            assert spec is not None, "a running task started"
            with read_tx(ctx.db) as conn:  # a look first: idle workers poll
                if not claimable(conn, task.id, ctx.clock(), ctx.owner):
                    return None
            with write_tx(ctx.db) as conn:
                claim = take_range(conn, task.id, ctx.batch_items(task.id, spec.batch_size),
                                   owner=ctx.owner, now=ctx.clock(), lease=lease,
                                   in_order=spec.profile.in_order)
        if claim is None:
            return None
    try:
        said = _attempt(ctx, task, lease, claim, careful=False)
    except (ClaimLost, TaskEnded) as exc:
        return ProgressLine(f"task {task.id}: {exc}")  # another worker's, or ended: nothing to do
    except Exception as exc:
        if is_outage(exc):
            if claim is not None:
                ctx.ranges[task.id] = claim  # worked again once the database is back
            raise  # not a product's fault: the worker waits for the database
        log.warning("task %s: batch failed, retrying product by product: %s", task.id, exc)
    else:
        return said
    try:
        return _attempt(ctx, task, lease, claim, careful=True)
    except (ClaimLost, TaskEnded) as exc:
        return ProgressLine(f"task {task.id}: {exc}")
    except Exception as exc:
        return step_failed(ctx, task, "a batch", exc)


def _attempt(
    ctx: Context, task: Task, lease: timedelta, claim: Claim | None, *, careful: bool
) -> str | None:
    if claim is not None:
        return _import_attempt(ctx, task, lease, claim, careful=careful)
    return _export_attempt(ctx, task, lease)


def _export_attempt(ctx: Context, task: Task, lease: timedelta) -> str:
    """A batch of an export: its file grows in order, one batch at a time, under the task's
    lease."""
    started = time.perf_counter()
    now = ctx.clock()
    with write_tx(ctx.db) as conn:
        waited = time.perf_counter() - started  # for the write lock: not the batch's own time
        fresh = claim_task(conn, task.id, owner=ctx.owner, now=now, lease=lease)
        if fresh is None:
            return f"task {task.id}: held by another worker, or no longer running"
        spec = _spec_here(ctx, fresh)
        rows = read_batch(conn, task.id, fresh.cursor, ctx.batch_items(task.id, spec.batch_size))
        if not rows:
            return f"task {task.id}: nothing left to work"
        result = _export_batch(ctx, conn, fresh, spec.profile.fields, rows)
        seconds = time.perf_counter() - started
        line = record_batch(conn, task.id, rows[0][SEQ], rows[-1][SEQ], result, now=now,
                            seconds=seconds, items=len(rows), in_order=True)
    ctx.paced(task.id, len(rows), seconds - waited)
    return ProgressLine(f"task {task.id}: {line.splitlines()[0]}")


def _import_attempt(
    ctx: Context, task: Task, lease: timedelta, claim: Claim, *, careful: bool
) -> str | None:
    """A batch of an import on its range (`claim`). Decided first in a read snapshot where
    the catalog allows (`_in_snapshot`), so that on SQLite the write lock is held only to
    apply and record; the task's row is locked only to record the batch, so other batches of
    the task run meanwhile and a kill waits for that last step alone. The transaction that
    records it takes this worker's next range of the task, for its next batch."""
    started = time.perf_counter()
    now = ctx.clock()
    snapshot = None if careful else _in_snapshot(ctx, task.id, claim, now)
    asked = time.perf_counter()
    with write_tx(ctx.db) as conn:
        waited = time.perf_counter() - asked  # for the write lock: not the batch's own time
        if snapshot is not None:
            fresh, spec = snapshot.task, snapshot.spec  # whether it still runs: when recording
        else:
            # A catalog in another database (a shop): the task's row is locked from the
            # start, as a batch was before ranges, so a kill (or a batch of the task) waits
            # for this one. Its batch takes locks in the shop that a kill's `record_kept`
            # takes too, after the task's row: never the other way round, across two
            # databases that see no deadlock between them. The built-in catalog's batch
            # takes the change count first (`Catalog.apply`), then the task's row.
            in_store = isinstance(ctx.catalog.location, BuiltinLocation)
            found = get_task(conn, task.id, for_update=not in_store)
            if found is None or found.status is not TaskStatus.RUNNING:
                return f"task {task.id}: no longer running"
            fresh, spec = found, _spec_here(ctx, found)
        decided = None
        stands = None  # the snapshot whose decision is applied, with what it made ready
        if snapshot is not None and ctx.catalog.changed_since(
                conn, snapshot.mark, list(snapshot.decision.updates), snapshot.plan.match,
                snapshot.keys) is False:
            # Nothing it read has moved since: the snapshot's decision stands.
            plan, rows, loaders, decided = (snapshot.plan, snapshot.rows, None,
                                            snapshot.decision)
            stands = snapshot
        else:
            plan = ImportPlan.of(spec.profile, ctx.catalog.known)
            rows, loaders = _read(ctx, conn, task.id, claim, plan)
        mark = BatchMark(run_of(fresh, spec.run), task.id, claim.first, claim.last,
                         recorded=fresh.cursor)
        last, why = claim.last, ""
        with ctx.catalog.batch(conn, mark) as unit:
            if unit.done is not None:
                # The catalog committed this batch before the store could: its record
                # says what it did, and nothing is applied again.
                last, record = unit.done
                rows = [row for row in rows if row[SEQ] <= last]
                result = BatchResult.unpacked(record)
                why = f"{EARLIER}, recorded now"
                if last < claim.last:  # made before more items were queued: the rest waits
                    give_back(conn, claim, ctx.owner, last)
            else:
                result = import_batch(conn, ctx.catalog, unit, plan, rows, now,
                                      loaders=loaders, careful=careful, decided=decided,
                                      prepared=stands.prepared if stands else None)
                if unit.keeps:
                    unit.keep(last, result.packed())
            # Recorded before the catalog commits: a batch whose task was killed meanwhile
            # (or whose range another worker took over) rolls back there too.
            line = record_batch(conn, task.id, claim.first, last, result, now=now,
                                seconds=time.perf_counter() - started, items=len(rows),
                                why=why, writes=stands.writes if stands else None)
            if last == claim.last:
                settle(conn, claim, ctx.owner)
            ctx.paced(task.id, len(rows), time.perf_counter() - started - waited)
            following = take_range(conn, task.id, ctx.batch_items(task.id, spec.batch_size),
                                   owner=ctx.owner, now=ctx.clock(), lease=lease,
                                   in_order=spec.profile.in_order)
    if following is not None:
        ctx.ranges[task.id] = following
    return ProgressLine(f"task {task.id}: {line.splitlines()[0]}")


def _spec_here(ctx: Context, task: Task) -> TaskSpec:
    """The spec a running task started with, if this worker works on its catalog."""
    spec = task.started_spec()
    assert spec is not None, "a running task started"
    on = spec.run.catalog
    if on is not None and on != ctx.catalog.location.shown:
        raise CatalogMismatch(
            f"the task started on the catalog {on}, and this worker works on "
            f"{ctx.catalog.location.shown}: give every syncbeat process the same "
            "SYNCBEAT_CATALOG")
    return spec


class Snapshot(NamedTuple):
    """A batch decided in a read snapshot, to apply if nothing it read has moved since."""

    task: Task  # as the snapshot read it
    spec: TaskSpec
    plan: ImportPlan
    rows: list[Joined]
    decision: Decision
    mark: str  # the catalog's `change_mark` in the snapshot
    keys: list[str]  # the keys no product had: none may have come since
    # The decision's writes and outcomes made ready, so that the write lock is held for
    # the statements alone.
    prepared: Prepared | None
    writes: OutcomeWrites


def _in_snapshot(ctx: Context, task_id: int, claim: Claim, now: datetime) -> Snapshot | None:
    """The batch read and decided in a read snapshot, outside the write lock; None where the
    catalog cannot read a batch with its products in the store's database (a shop: decided
    in the write transaction). The write transaction then asks `Catalog.changed_since`."""
    catalog = ctx.catalog
    with read_tx(ctx.db) as conn:
        fresh = get_task(conn, task_id)
        if fresh is None or fresh.status is not TaskStatus.RUNNING:
            return None
        spec = _spec_here(ctx, fresh)
        plan = ImportPlan.of(spec.profile, catalog.known)
        mark = catalog.change_mark(conn, now)  # first: every change it counts is in view
        joined = catalog.queued_with_products(conn, task_id, claim.first - 1,
                                              claim.last - claim.first + 1, plan.match,
                                              plan.fetch_fields)
    if joined is None:
        return None
    decision = decide_batch(plan, joined.rows, joined.loaders)
    keys = [row[KEY] for row in joined.rows
            if row[PRODUCT_ID] is None and not row[OUTCOME] and row[KEY] is not None]
    prepared = catalog.prepare(ctx.db.dialect.name, plan.fields, decision.updates,
                               list(decision.creates.values()), now, category=plan.category)
    return Snapshot(fresh, spec, plan, joined.rows, decision, mark, keys, prepared,
                    outcome_writes(decision.result.outcomes))


class CatalogMismatch(Exception):
    """A worker set up with another catalog than the one its task started on."""


def _read(
    ctx: Context, conn: Connection, task_id: int, claim: Claim, plan: ImportPlan
) -> tuple[list[Joined], list[Loader] | None]:
    """The items of the batch's range, each with its product (`base.Joined`), and how the
    catalog's current values read (`base.Loader`)."""
    after, size = claim.first - 1, claim.last - claim.first + 1
    joined = ctx.catalog.queued_with_products(conn, task_id, after, size, plan.match,
                                              plan.fetch_fields)
    if joined is not None:
        return joined.rows, joined.loaders
    rows = read_batch(conn, task_id, after, size)
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
