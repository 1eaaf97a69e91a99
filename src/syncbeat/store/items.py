"""Named operations on items: the hot path, written as plain statements per dialect."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from operator import itemgetter
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPICursor

from syncbeat.domain.statuses import FINAL_STATUSES, ItemOutcome, TaskStatus
from syncbeat.domain.task import Item
from syncbeat.store.rows import ItemRow, OutcomeRow, QueuedRow, ReportRow, WordingRow
from syncbeat.store.tables import items, tasks

_COUNTER = {
    ItemOutcome.PROCESSED: "processed",
    ItemOutcome.SKIPPED: "skipped",
    ItemOutcome.CANCELLED: "cancelled",
    ItemOutcome.ERROR: "errors",
}


def placeholder(conn: Connection) -> str:
    """The DB-API parameter marker of the connection's driver."""
    return "?" if conn.dialect.name == "sqlite" else "%s"


def raw_cursor(conn: Connection) -> DBAPICursor:
    """A DB-API cursor in the connection's transaction: the hot path skips SQLAlchemy's
    per-row result objects, which would cost more than the statement itself."""
    driver = conn.connection.driver_connection
    assert driver is not None
    cursor: DBAPICursor = driver.cursor()
    return cursor


def insert_items(conn: Connection, task_id: int, rows: Sequence[ItemRow]) -> None:
    """Queue rows; a row may already carry its outcome (a feed row that could not be read)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        cur: Any = raw_cursor(conn)  # psycopg's own cursor: COPY is beyond DB-API
        with cur, cur.copy(
            "COPY items (task_id, seq, key, input, outcome, detail) FROM STDIN"
        ) as copy:
            for seq, key, value, outcome, detail in rows:
                copy.write_row((task_id, seq, key, value, outcome, detail))
        return
    many_rows(raw_cursor(conn), "INSERT INTO items (task_id, seq, key, input, outcome, detail) "
          "VALUES ", f"({int(task_id)}, ?, ?, ?, ?, ?)", "", rows)


ROWS_A_STATEMENT = 100  # SQLite: a row costs half as much in a statement of a hundred


def many_rows(
    cur: DBAPICursor, head: str, row: str, tail: str, rows: Sequence[Sequence[Any]]
) -> None:
    """`head` + `row` repeated + `tail` for `rows`, a hundred rows a statement (SQLite): the
    cost of a statement, not of a row, dominates an `executemany` of one-row statements."""
    width = row.count("?")
    whole = len(rows) - len(rows) % ROWS_A_STATEMENT
    if whole:
        flat = [value for one in rows[:whole] for value in one]
        step = ROWS_A_STATEMENT * width
        cur.executemany(
            head + ", ".join([row] * ROWS_A_STATEMENT) + tail,
            [flat[at:at + step] for at in range(0, len(flat), step)],
        )
    if whole < len(rows):
        rest = rows[whole:]
        cur.execute(head + ", ".join([row] * len(rest)) + tail,
                    [value for one in rest for value in one])


def read_batch(conn: Connection, task_id: int, after: int, limit: int) -> list[QueuedRow]:
    """The next `limit` items after seq `after`, as `rows.QueuedRow`s."""
    p = placeholder(conn)
    cur = raw_cursor(conn)
    cur.execute(
        f"SELECT seq, key, input, outcome FROM items WHERE task_id = {p} AND seq > {p} "
        f"AND seq <= {p} ORDER BY seq",
        (task_id, after, after + limit),  # seq numbers are dense: the range is the batch
    )
    return cast(list[QueuedRow], list(cur.fetchall()))


class OutcomeWrites(NamedTuple):
    """A batch's outcomes as `record_outcomes` writes them (`outcome_writes`): made ready
    before the write transaction where the batch was decided before it."""

    # The commonest (outcome, detail), for one range statement; None: no outcome at all.
    common: tuple[int, str | None] | None
    rest: list[OutcomeRow]  # the others, item by item
    counts: dict[str, int]  # how many of each outcome, under the tasks table's counter names
    source: Sequence[OutcomeRow]  # the outcomes these were made of, as given

    def of(self, outcomes: Sequence[OutcomeRow]) -> bool:
        """Were these made of `outcomes` (the same list, not one that replaced it)?"""
        return self.source is outcomes


def outcome_writes(outcomes: Sequence[OutcomeRow]) -> OutcomeWrites:
    """`outcomes` split for `record_outcomes`, and counted; none at all gives `common`
    None."""
    pairs = Counter(map(_OUTCOME_DETAIL, outcomes))
    common = pairs.most_common(1)[0][0] if pairs else None
    counts: Counter[int] = Counter()
    for (outcome, _), n in pairs.items():
        counts[outcome] += n
    rest = [row for row in outcomes if (row[1], row[2]) != common]
    return OutcomeWrites(common, rest, _named(counts), outcomes)


_OUTCOME_DETAIL = itemgetter(1, 2)


def record_outcomes(
    conn: Connection, task_id: int, first: int, last: int, writes: OutcomeWrites
) -> None:
    """Give items first..last their outcomes (`outcome_writes`).

    The commonest (outcome, detail) pair is written with one range statement, the rest item by
    item: a batch of unchanged products costs one statement, not one per product.
    """
    common, rest = writes.common, writes.rest
    if common is None:
        return
    p = placeholder(conn)
    cur = raw_cursor(conn)
    # The others first: then the range statement finds only the common ones still pending,
    # and no row is written twice.
    if conn.dialect.name == "postgresql":
        if rest:
            # One statement over arrays: executemany would cost a round trip per item.
            seqs, codes, details = (list(column) for column in zip(*rest, strict=True))
            cur.execute(
                "UPDATE items SET outcome = v.o, detail = v.d "
                "FROM unnest(%s::int[], %s::smallint[], %s::text[]) AS v(seq, o, d) "
                "WHERE items.task_id = %s AND items.seq = v.seq",
                (seqs, codes, details, task_id),
            )
    else:
        # An upsert of rows that exist: many rows a statement, which a plain UPDATE cannot do.
        many_rows(cur, "INSERT INTO items (task_id, seq, outcome, detail) VALUES ",
              f"({int(task_id)}, ?, ?, ?)",
              " ON CONFLICT (task_id, seq) DO UPDATE SET outcome = excluded.outcome, "
              "detail = excluded.detail", rest)
    cur.execute(
        f"UPDATE items SET outcome = {p}, detail = {p} "
        f"WHERE task_id = {p} AND seq >= {p} AND seq <= {p} AND outcome = 0",
        (common[0], common[1], task_id, first, last),
    )


def _named(counts: Counter[int]) -> dict[str, int]:
    return {_COUNTER[ItemOutcome(o)]: n for o, n in counts.items() if o in _COUNTER}


def add_counts(
    conn: Connection, task_id: int, *, pending: int = 0, total: int = 0, **counts: int
) -> None:
    """Move the task's counters in the transaction that wrote the items."""
    values: dict[str, Any] = {}
    if total:
        values["total"] = tasks.c.total + total
    if pending:
        values["pending"] = tasks.c.pending + pending
    for name, n in counts.items():
        if n:
            values[name] = tasks.c[name] + n
    if values:
        conn.execute(sa.update(tasks).where(tasks.c.id == task_id).values(**values))


def _outcome_clause(outcome: ItemOutcome | None, status: TaskStatus) -> Any:
    if outcome is None:
        return sa.true()
    if status in FINAL_STATUSES:
        if outcome is ItemOutcome.CANCELLED:
            return items.c.outcome.in_([ItemOutcome.PENDING, ItemOutcome.CANCELLED])
        if outcome is ItemOutcome.PENDING:
            return sa.false()
    return items.c.outcome == int(outcome)


def list_items(
    conn: Connection, task_id: int, status: TaskStatus, *,
    outcome: ItemOutcome | None = None, after: int = 0, limit: int = 100, offset: int = 0,
) -> list[Item]:
    """A page of a task's items in feed order, as users see them."""
    from syncbeat.domain.task import shown_outcome

    query = (
        sa.select(items)
        .where(items.c.task_id == task_id, items.c.seq > after, _outcome_clause(outcome, status))
        .order_by(items.c.seq)
        .limit(limit)
        .offset(offset)
    )
    return [
        Item(task_id=task_id, seq=r.seq, key=r.key, input=r.input,
             outcome=shown_outcome(r.outcome, status), detail=r.detail)
        for r in conn.execute(query)
    ]


def item_rows_after(
    conn: Connection, task_id: int, after: int, limit: int
) -> list[ReportRow]:
    """A page of a task's items after seq `after`, for downloads.

    Callers read page by page, each page in its own short read: a slow download never holds
    a snapshot open for minutes (on SQLite that would stop the WAL from being checkpointed).
    """
    return list(map(ReportRow._make, _rows_after(conn, task_id, after, limit, "")))


def wording_rows_after(
    conn: Connection, task_id: int, after: int, limit: int
) -> list[WordingRow]:
    """`item_rows_after`, with each processed item's input."""
    given = f", CASE WHEN outcome = {int(ItemOutcome.PROCESSED)} THEN input END"
    return list(map(WordingRow._make, _rows_after(conn, task_id, after, limit, given)))


def _rows_after(conn: Connection, task_id: int, after: int, limit: int, more: str) -> Any:
    p = placeholder(conn)
    cur = raw_cursor(conn)
    cur.execute(
        f"SELECT seq, key, outcome, detail{more} FROM items WHERE task_id = {p} AND seq > {p} "
        f"ORDER BY seq LIMIT {p}",
        (task_id, after, limit),
    )
    return cur.fetchall()


def failed_seqs(conn: Connection, task_id: int, *, cancelled: bool) -> list[int]:
    """The numbers of a final task's items that ended in error (and, with `cancelled`,
    those cancelled: a final task's pending items are), in feed order."""
    outcomes = [int(ItemOutcome.ERROR)]
    if cancelled:
        outcomes += [int(ItemOutcome.CANCELLED), int(ItemOutcome.PENDING)]
    query = (
        sa.select(items.c.seq)
        .where(items.c.task_id == task_id, items.c.outcome.in_(outcomes))
        .order_by(items.c.seq)
    )
    return [int(seq) for seq in conn.execute(query).scalars()]


def keyless_rows(conn: Connection, task_id: int, last_seq: int) -> int:
    """How many of a task's first `last_seq` items have no key (a row without one, or one
    that could not be read)."""
    query = sa.select(sa.func.count()).select_from(items).where(
        items.c.task_id == task_id, items.c.seq <= last_seq, items.c.key.is_(None))
    return int(conn.execute(query).scalar_one())


def item_keys(conn: Connection, task_id: int, after: int, limit: int) -> list[tuple[int, str]]:
    """A page of a task's (seq, key) after seq `after`, keys only (no key: left out)."""
    query = (
        sa.select(items.c.seq, items.c.key)
        .where(items.c.task_id == task_id, items.c.seq > after)
        .order_by(items.c.seq)
        .limit(limit)
    )
    return [(int(seq), str(key)) for seq, key in conn.execute(query) if key is not None]
