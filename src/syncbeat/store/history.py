"""A product's history: the recent tasks whose items changed it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.domain.statuses import ItemOutcome, TaskKind
from syncbeat.domain.task import Task
from syncbeat.store.tables import items, tasks

RECENT_TASKS = 200  # import tasks looked at: items have no index on their key


@dataclass(frozen=True, kw_only=True)
class Change:
    task: Task
    seq: int
    detail: str | None
    input: str | None = None  # the item's, to word what its rules did (engine/wording.py)


def tasks_that_changed(
    conn: Connection, product: dict[str, Any], *, limit: int = 20, recent: int = RECENT_TASKS
) -> list[Change]:
    """Among the newest `recent` import tasks, those that processed this product, newest first.

    An item's key is the value of its profile's match field, so a key is compared with the
    product's reference, EAN-13 or id according to the match field of the task's profile.
    """
    by_field = {"reference": product.get("reference"), "ean13": product.get("ean13"),
                "id": str(product["id"]) if product.get("id") is not None else None}
    keys = [k for k in dict.fromkeys(by_field.values()) if k]
    if not keys:
        return []
    newest = (
        sa.select(tasks.c.id)
        .where(tasks.c.kind == str(TaskKind.IMPORT))
        .order_by(tasks.c.id.desc())
        .limit(recent)
        .subquery()
    )
    query = (
        sa.select(tasks, items.c.seq.label("item_seq"), items.c.detail.label("item_detail"),
                  items.c.key.label("item_key"), items.c.input.label("item_input"))
        .join(items, items.c.task_id == tasks.c.id)
        .where(
            tasks.c.id.in_(sa.select(newest.c.id)),
            items.c.key.in_(keys),
            items.c.outcome == int(ItemOutcome.PROCESSED),
        )
        .order_by(tasks.c.id.desc(), items.c.seq)
    )
    found: list[Change] = []
    matches: dict[int, str] = {}  # each task's match field, its spec read once
    for row in conn.execute(query):
        task = Task.from_row(row)
        if task.id not in matches:
            spec = task.started_spec()
            matches[task.id] = spec.profile.match_catalog if spec else "reference"
        match = matches[task.id]
        if by_field.get(match) != row.item_key:
            continue  # the same text, but another field of another product
        found.append(Change(task=task, seq=row.item_seq, detail=row.item_detail,
                            input=row.item_input))
        if len(found) == limit:
            break
    return found
