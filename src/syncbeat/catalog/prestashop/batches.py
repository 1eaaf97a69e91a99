"""Exactly once across two databases: the record of each import batch, kept in the shop's
`{prefix}syncbeat_batch` table by the same transaction that writes the batch.

The shop commits a batch before syncbeat's store records its outcomes. A worker killed
between the two commits leaves the shop changed and the store not: the batch is tried again
and finds its record here, so nothing is applied twice and the store records the outcomes the
first attempt had (docs/design.md, "Exactly once"). A record is needed only until the store
has committed: the next batch of the task deletes the earlier ones, and any older than
`KEEP_DAYS` go too (a task killed or failed leaves its last one behind).
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from sqlalchemy.engine import Connection, Engine

from syncbeat.catalog.base import BatchMark

TABLE = "syncbeat_batch"
KEEP_DAYS = 7

# The table syncbeat adds to the shop's database (the one it adds); no foreign key, nothing
# PrestaShop reads. LONGBLOB: a batch of 100,000 items keeps a few MB.
DDL = """CREATE TABLE IF NOT EXISTS {table} (
  store_id VARCHAR(32) NOT NULL,
  id_task INT UNSIGNED NOT NULL,
  first_seq BIGINT UNSIGNED NOT NULL,
  last_seq BIGINT UNSIGNED NOT NULL,
  record LONGBLOB NOT NULL,
  date_add DATETIME NOT NULL,
  PRIMARY KEY (store_id, id_task, first_seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"""


def create_table(engine: Engine, table: str) -> None:
    """Create the table if it is not there, in a connection of its own: MySQL commits the
    transaction a CREATE TABLE runs in."""
    with engine.begin() as conn:
        conn.exec_driver_sql(DDL.format(table=table))


def kept(conn: Connection, table: str, mark: BatchMark) -> tuple[int, bytes] | None:
    """(last seq, record) of an earlier attempt of this batch that the shop committed."""
    row = conn.exec_driver_sql(
        f"SELECT last_seq, record FROM {table} WHERE store_id = %s AND id_task = %s "
        "AND first_seq = %s", (mark.store, mark.task, mark.first)).first()
    return None if row is None else (int(row[0]), bytes(row[1]))


class ShopBatch:
    """`base.BatchUnit` on the shop: the shop transaction `conn` holds the batch's writes."""

    keeps = True

    def __init__(self, conn: Connection, table: str, mark: BatchMark) -> None:
        self.conn = conn
        self.table = table
        self.mark = mark
        self.done = kept(conn, table, mark)

    def keep(self, last: int, record: bytes) -> None:
        """Write the batch's record; delete the task's earlier ones (the store has them)."""
        m = self.mark
        self.conn.exec_driver_sql(
            f"DELETE FROM {self.table} WHERE store_id = %s AND ((id_task = %s AND "
            f"first_seq < %s) OR date_add < NOW() - INTERVAL {KEEP_DAYS} DAY)",
            (m.store, m.task, m.first))
        self.conn.exec_driver_sql(
            f"INSERT INTO {self.table} (store_id, id_task, first_seq, last_seq, record, "
            "date_add) VALUES (%s, %s, %s, %s, %s, NOW()) ON DUPLICATE KEY UPDATE "
            "last_seq = VALUES(last_seq), record = VALUES(record), date_add = NOW()",
            (m.store, m.task, m.first, last, record))

    def savepoint(self) -> AbstractContextManager[object]:
        """A savepoint in the shop transaction."""
        return self.conn.begin_nested()
