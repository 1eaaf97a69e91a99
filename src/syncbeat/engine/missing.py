"""Products missing from the feed: when an import has worked every item of its feed, the
catalog products its [scope] holds that no row listed are acted on by `[options] missing`,
a step of at most a batch each heartbeat, each product an item of the task with its outcome.

Only a task that read its whole feed gets here (running, queued whole, nothing pending): a
killed, errored or refused task never does, nor does a re-run (it holds part of a feed). Each
action is idempotent (quantity 0, inactive, deleted), so a step retried after its catalog
committed but its store did not changes nothing twice.
"""

from __future__ import annotations

import time
import unicodedata
from datetime import timedelta

from sqlalchemy.engine import Connection

from syncbeat.catalog.base import MissingError, Product
from syncbeat.domain.missing import MODE_FIELDS, decide_missing
from syncbeat.domain.statuses import ItemOutcome, TaskKind, TaskStatus
from syncbeat.domain.task import Task
from syncbeat.domain.taskspec import TaskSpec
from syncbeat.engine.context import Context
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.items import insert_items, item_keys, keyless_rows
from syncbeat.store.logs import add_log
from syncbeat.store.rows import ItemRow
from syncbeat.store.tasks import add_worked, claim, get_task, move_task, update_task

KEY_PAGE = 20_000
PAGES = 20  # pages of a scope one step looks at, at most (catalogs without the fast path)
# The keys a catalog without the fast path compares with, per task (one task at a time).
_LISTED: dict[int, frozenset[str]] = {}


def acts_on_missing(task: Task) -> bool:
    """Has this import products missing from its feed still to act on?"""
    if task.kind is not TaskKind.IMPORT:
        return False
    run = task.run  # its few keys first: the whole spec is read only when they allow it
    if run.rerun_of or run.missing_done:
        return False
    spec = task.started_spec()
    return spec is not None and spec.profile.missing != "leave"


def missing_step(ctx: Context, task: Task, lease: timedelta) -> str:
    """Act on the next products missing from the task's feed (at most a batch of them)."""
    started = time.perf_counter()
    now = ctx.clock()
    with write_tx(ctx.db) as conn:
        waited = time.perf_counter() - started  # for the write lock: not the step's own time
        if not claim(conn, task.id, owner=ctx.owner, now=now, lease=lease):
            return f"task {task.id}: held by another worker, or no longer running"
        fresh = get_task(conn, task.id)
        assert fresh is not None
        spec = fresh.started_spec()
        assert spec is not None, "a running task started"
        if fresh.progress.pending or not fresh.queue_done:
            return f"task {task.id}: items still to work"
        mode = spec.profile.missing
        feed_rows = _feed_rows(fresh, spec)
        keyless = 0 if spec.run.missing_started else keyless_rows(conn, task.id, feed_rows)
        spec = spec.with_run(missing_started=True)
        if keyless:
            update_task(conn, task.id, spec=spec.with_run(missing_done=True).to_json())
            add_log(conn, task.id, now, f"products missing from the feed left as they are: "
                                        f"{keyless:,} rows of the feed have no key that could "
                                        "be read, so which products it lists is not known",
                    "warning")
            return f"task {task.id}: products missing from the feed left (rows without keys)"
        # At most what the worker's last step or batch of the task says fits in half a
        # second: a kill waits for this transaction.
        limit = ctx.batch_items(task.id, spec.batch_size)
        try:
            found, after, done = _next_unlisted(ctx, conn, fresh, spec, limit)
            decided = [(p, *decide_missing(mode, p.values)) for p in found]
            left = ctx.catalog.apply_missing(conn, mode, [p.id for p, *_, c in decided if c],
                                             now)
        except MissingError as exc:
            reason = f"products missing from the feed: {exc}"
            if move_task(conn, task.id, TaskStatus.ERROR, now=now, message=reason):
                add_log(conn, task.id, now, f"error: {reason}", "error")
            return f"task {task.id} error: {reason}"
        match = spec.profile.match_catalog
        rows: list[ItemRow] = []
        counts = {ItemOutcome.PROCESSED: 0, ItemOutcome.SKIPPED: 0, ItemOutcome.ERROR: 0}
        seq = fresh.progress.total
        for product, outcome, detail, _ in decided:
            if product.id in left:
                outcome, detail = ItemOutcome.ERROR, f"not in the feed: {left[product.id]}"
            seq += 1
            counts[outcome] += 1
            rows.append((seq, str(product.values[match]), None, int(outcome), detail))
        insert_items(conn, task.id, rows)
        if not add_worked(conn, task.id, expected_total=fresh.progress.total,
                          processed=counts[ItemOutcome.PROCESSED],
                          skipped=counts[ItemOutcome.SKIPPED], errors=counts[ItemOutcome.ERROR],
                          seconds=time.perf_counter() - started):
            raise RuntimeError(f"task {task.id} changed while its missing products were read")
        if after is not None:
            spec = spec.with_run(missing_after=after)
        if done:
            spec = spec.with_run(missing_done=True)
            _LISTED.pop(task.id, None)
        update_task(conn, task.id, spec=spec.to_json())
        if rows:
            add_log(conn, task.id, now, f"products missing from the feed ({mode}): "
                                        f"{len(rows):,}, of which "
                                        f"{counts[ItemOutcome.PROCESSED]:,} changed"
                                        + (f", {counts[ItemOutcome.ERROR]:,} error"
                                           if counts[ItemOutcome.ERROR] else ""))
        if done:
            total = fresh.progress.total - feed_rows + len(rows)
            add_log(conn, task.id, now, f"products missing from the feed: {total:,} in all")
    # Paced by the products looked at (a page of the catalog's products is `limit` of them).
    ctx.paced(task.id, limit, time.perf_counter() - started - waited)
    return f"task {task.id}: {len(rows):,} products missing from the feed ({mode})"


def _next_unlisted(
    ctx: Context, conn: Connection, task: Task, spec: TaskSpec, limit: int
) -> tuple[list[Product], int | None, bool]:
    """The next products missing from the feed (at most `limit`), the last product id looked
    at (for a catalog without the fast path), and whether every product has been looked at."""
    match = spec.profile.match_catalog
    scope = spec.profile.scope
    fields = list(MODE_FIELDS[spec.profile.missing])
    fast = ctx.catalog.unlisted_products(conn, task.id, match=match, scope=scope,
                                         fields=fields, limit=limit)
    if fast is not None:
        return fast, None, len(fast) < limit
    listed = _listed(ctx, task.id, _feed_rows(task, spec))
    after = spec.run.missing_after or 0
    found: list[Product] = []
    for _ in range(PAGES):  # a catalog the feed lists whole is walked over a few steps
        page = ctx.catalog.scope_products(conn, match=match, scope=scope, fields=fields,
                                          after_id=after, limit=limit)
        for product in page:
            if len(found) == limit:
                return found, after, False  # the rest of the page: next time
            after = product.id
            if loose(str(product.values[match])) not in listed:
                found.append(product)
        if len(page) < limit:
            return found, after, True
    return found, after, False


def _feed_rows(task: Task, spec: TaskSpec) -> int:
    """The rows of the task's feed: its items before the missing products were added."""
    return spec.run.feed_rows if spec.run.feed_rows is not None else task.progress.total


def _listed(ctx: Context, task_id: int, feed_rows: int) -> frozenset[str]:
    held = _LISTED.get(task_id)
    if held is not None:
        return held
    keys: set[str] = set()
    after = 0
    while after < feed_rows:
        with read_tx(ctx.db) as conn:
            page = item_keys(conn, task_id, after, min(KEY_PAGE, feed_rows - after))
        if not page:
            break
        keys.update(loose(key) for _, key in page)
        after = page[-1][0]
    _LISTED.clear()  # one task at a time: the memory of one feed's keys
    _LISTED[task_id] = frozenset(keys)
    return _LISTED[task_id]


def loose(key: str) -> str:
    """A key as a shop's database compares text (case, accents and trailing spaces aside):
    a product whose key a feed row may have meant counts as listed, and is left alone."""
    folded = unicodedata.normalize("NFKD", key.rstrip().casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))
