"""The built-in catalog's change count, and the stamps an export remembers for the next one
(docs/profiles.md, "Only what changed since the last export")."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.store.db import insert_on_conflict
from syncbeat.store.tables import catalog_changes, export_stamps

_ONE = 1  # the id of the count's one row


def next_change(conn: Connection) -> int:
    """The next change number, taken in `conn`'s write transaction: the row stays locked to
    its commit (PostgreSQL), so changes commit in the order of their numbers."""
    taken = conn.execute(
        sa.update(catalog_changes).where(catalog_changes.c.id == _ONE)
        .values(n=catalog_changes.c.n + 1).returning(catalog_changes.c.n)
    ).scalar()
    if taken is None:  # a database made without the migrations' first row
        conn.execute(sa.insert(catalog_changes).values(id=_ONE, n=1))
        return 1
    return int(taken)


def hold_changes(conn: Connection) -> None:
    """Take the count's row as `next_change` does, without numbering (PostgreSQL): every
    write that numbered its change before has committed, and none numbers one until this
    transaction ends; its next statements see them all. SQLite's write lock does so."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(catalog_changes.c.n).where(catalog_changes.c.id == _ONE)
                     .with_for_update())


def committed_changes(conn: Connection) -> int:
    """The newest change number committed: every change up to it is visible from now on."""
    found = conn.execute(
        sa.select(catalog_changes.c.n).where(catalog_changes.c.id == _ONE)
    ).scalar()
    return int(found or 0)


def remember_stamps(conn: Connection, task_id: int, stamps: Sequence[tuple[int, str]]) -> None:
    """Keep (product id, stamp) of what the export `task_id` listed, for its next export;
    a product kept already (its listing read again after a crash) stays as it was."""
    if stamps:
        conn.execute(insert_on_conflict(conn, export_stamps).on_conflict_do_nothing(), [
            {"task_id": task_id, "product_id": product_id, "stamp": stamp}
            for product_id, stamp in stamps
        ])


def remembered_stamps(conn: Connection, task_id: int, first: int, last: int) -> dict[int, str]:
    """The stamps the export `task_id` kept for products `first` to `last`, by product id."""
    rows = conn.execute(
        sa.select(export_stamps.c.product_id, export_stamps.c.stamp).where(
            export_stamps.c.task_id == task_id, export_stamps.c.product_id >= first,
            export_stamps.c.product_id <= last)
    )
    return {int(product_id): str(stamp) for product_id, stamp in rows}


def forget_stamps(conn: Connection, task_id: int) -> None:
    """Drop what the export `task_id` kept (it is deleted)."""
    conn.execute(sa.delete(export_stamps).where(export_stamps.c.task_id == task_id))
