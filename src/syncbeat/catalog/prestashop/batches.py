"""Exactly once across two databases: the record of each import batch, kept in the shop's
`{prefix}syncbeat_batch` table by the same transaction that writes the batch.

The shop commits a batch before syncbeat's store records its outcomes. A worker killed
between the two commits leaves the shop changed and the store not: the batch is tried again
and finds its record here, so nothing is applied twice and the store records the outcomes the
first attempt had; a task killed or failed meanwhile records it before it ends
(docs/design.md, "Exactly once across two databases"). Records are keyed by the task's run
(a token made when it started), so a task id used again never finds another run's. A record
is needed only until the store has committed: a later batch of the run deletes those the store
has (up to the task's cursor), and records older than `KEEP_DAYS` go when a process first
writes to the shop.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from syncbeat.catalog.base import BatchMark, CatalogUnusable

TABLE = "syncbeat_batch"
KEEP_DAYS = 7
SWEEP = 10_000  # old records deleted at a time

# The table syncbeat adds to the shop's database (the only one); no foreign key, nothing
# PrestaShop reads. LONGBLOB: a batch of 100,000 items keeps about a megabyte.
DDL = """CREATE TABLE IF NOT EXISTS {table} (
  run_id CHAR(32) NOT NULL,
  first_seq BIGINT UNSIGNED NOT NULL,
  last_seq BIGINT UNSIGNED NOT NULL,
  id_task INT UNSIGNED NOT NULL,
  record LONGBLOB NOT NULL,
  date_add DATETIME NOT NULL,
  PRIMARY KEY (run_id, first_seq),
  KEY date_add (date_add)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"""

_DENIED = 1142  # a command the user may not run on a table


def prepare(engine: Engine, name: str) -> None:
    """Make the table if it is not there (a user without CREATE works with a table made by
    someone else), and delete records older than KEEP_DAYS; each in a transaction of its
    own (MySQL commits the transaction a CREATE TABLE runs in)."""
    with engine.begin() as conn:
        there = conn.exec_driver_sql(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_NAME = %s", (name,)).scalar_one()
    if not there:
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(DDL.format(table=f"`{name}`"))
        except sa.exc.DBAPIError as exc:
            if _code(exc) != _DENIED:
                raise
            raise CatalogUnusable(
                f"the shop's database user may not create the table {name}, where syncbeat "
                "keeps each batch's record so that nothing is applied twice: grant it CREATE "
                "once, or have the table made with the statement in syncbeat's "
                "catalog/prestashop/batches.py") from None
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"DELETE FROM `{name}` WHERE date_add < UTC_TIMESTAMP() - INTERVAL {KEEP_DAYS} DAY "
            f"LIMIT {SWEEP}")


def _code(exc: sa.exc.DBAPIError) -> int | None:
    args = getattr(exc.orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


class ShopBatch:
    """`base.BatchUnit` on the shop: the shop transaction `conn` holds the batch's writes."""

    keeps = True

    def __init__(self, conn: Connection, table: str, mark: BatchMark) -> None:
        self.conn = conn
        self.table = table
        self.mark = mark
        # Locked: a second worker on the same batch (its store transaction lost without it
        # knowing) waits here, then finds this record instead of applying the batch again.
        row = conn.exec_driver_sql(
            f"SELECT last_seq, record FROM {table} WHERE run_id = %s AND first_seq = %s "
            "FOR UPDATE", (mark.run, mark.first)).first()
        self.done = None if row is None else (int(row[0]), bytes(row[1]))

    def keep(self, last: int, record: bytes) -> None:
        """Write the batch's record; delete the run's records the store has (up to the mark's
        `recorded`: another batch of the run may be in flight below this one). A plain
        INSERT: a record already there fails the batch rather than be overwritten."""
        m = self.mark
        self.conn.exec_driver_sql(
            f"DELETE FROM {self.table} WHERE run_id = %s AND first_seq <= %s",
            (m.run, m.recorded))
        self.conn.exec_driver_sql(
            f"INSERT INTO {self.table} (run_id, first_seq, last_seq, id_task, record, "
            "date_add) VALUES (%s, %s, %s, %s, %s, UTC_TIMESTAMP())",
            (m.run, m.first, last, m.task, record))

    def savepoint(self) -> AbstractContextManager[object]:
        """A savepoint in the shop transaction."""
        return self.conn.begin_nested()
