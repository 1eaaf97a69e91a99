"""The ranges of an import's items its batches take: several batches of one task in flight at
once, each on its own range (docs/design.md, "Several workers on one task").

A batch takes the next `batch_size` items after the task's `claimed` seq, in a short
transaction of its own, and keeps them as a `batch_claims` row with a lease, so the batch's
own transaction holds no lock on the task until it records (and on SQLite, reads and decides
before it takes the write lock): other workers take the ranges after it meanwhile, and a
range whose worker stopped is taken over when its lease ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.domain.statuses import TaskStatus
from syncbeat.store.tables import batch_claims

RUNNING = str(TaskStatus.RUNNING)


class Claim(NamedTuple):
    """A range of a task's items (seqs `first` to `last`) that one batch works."""

    task_id: int
    first: int
    last: int


class ClaimLost(Exception):
    """The batch's range was taken over by another worker (its lease ended first)."""


# Built once: a batch's statements cost more to build than to run (store/tasks.py).
_TASK = sa.text("SELECT claimed, total FROM tasks WHERE id = :id AND status = :running")
_TASK_LOCKED = sa.text(
    "SELECT claimed, total FROM tasks WHERE id = :id AND status = :running FOR UPDATE")
# A claim a batch may take: handed back, its lease ended, or its own (a worker works one
# batch at a time: a claim of its own is one whose batch failed, the database out of reach).
_TAKEABLE = "(lease_until IS NULL OR lease_until < :now OR owner = :owner)"
_EXPIRED = sa.text(
    f"SELECT first_seq, last_seq FROM batch_claims WHERE task_id = :id AND {_TAKEABLE} "
    "ORDER BY first_seq LIMIT 1"
).bindparams(sa.bindparam("now", type_=batch_claims.c.lease_until.type))
_ANY_LIVE = sa.text(
    "SELECT 1 FROM batch_claims WHERE task_id = :id AND lease_until >= :now "
    "AND owner <> :owner LIMIT 1"
).bindparams(sa.bindparam("now", type_=batch_claims.c.lease_until.type))
_CLAIMABLE = sa.text(
    "SELECT 1 FROM tasks WHERE id = :id AND status = :running AND (claimed < total OR "
    f"EXISTS (SELECT 1 FROM batch_claims WHERE task_id = :id AND {_TAKEABLE}))"
).bindparams(sa.bindparam("now", type_=batch_claims.c.lease_until.type))
_TAKE_OVER = sa.text(
    "UPDATE batch_claims SET owner = :owner, lease_until = :until "
    "WHERE task_id = :id AND first_seq = :first"
).bindparams(sa.bindparam("until", type_=batch_claims.c.lease_until.type))
_MOVE_CLAIMED = sa.text("UPDATE tasks SET claimed = :claimed WHERE id = :id")
_KEEP = sa.text(
    "INSERT INTO batch_claims (task_id, first_seq, last_seq, owner, lease_until) "
    "VALUES (:id, :first, :last, :owner, :until)"
).bindparams(sa.bindparam("until", type_=batch_claims.c.lease_until.type))
_SETTLE = sa.text(
    "DELETE FROM batch_claims WHERE task_id = :id AND first_seq = :first AND owner = :owner")
_GIVE_BACK = sa.text(
    "UPDATE batch_claims SET first_seq = :after + 1, lease_until = NULL "
    "WHERE task_id = :id AND first_seq = :first AND owner = :owner")


def take_range(
    conn: Connection, task_id: int, size: int, *, owner: str, now: datetime, lease: timedelta,
    in_order: bool = False,
) -> Claim | None:
    """The range the next batch of a running task works: a range whose worker stopped (its
    lease ended), or whose batch by `owner` failed, first; else the next `size` items after
    those taken; None if every queued item is worked or taken (or the task no longer runs).
    Kept as a claim of `owner`'s until `now + lease`, in `conn`'s short transaction.
    `in_order`: the task's batches must apply in feed order (a later row of a key wins),
    so none is taken while another of its batches is in flight."""
    locked = _TASK_LOCKED if conn.dialect.name == "postgresql" else _TASK  # SQLite: the lock
    row = conn.execute(locked, {"id": task_id, "running": RUNNING}).first()
    if row is None:
        return None
    claimed, total = int(row[0]), int(row[1])
    until = now + lease
    if in_order and conn.execute(_ANY_LIVE, {"id": task_id, "now": now,
                                            "owner": owner}).first() is not None:
        return None
    stale = conn.execute(_EXPIRED, {"id": task_id, "now": now, "owner": owner}).first()
    if stale is not None:
        conn.execute(_TAKE_OVER, {"owner": owner, "until": until, "id": task_id,
                                  "first": stale[0]})
        return Claim(task_id, int(stale[0]), int(stale[1]))
    if claimed >= total:
        return None
    claim = Claim(task_id, claimed + 1, min(claimed + size, total))
    conn.execute(_MOVE_CLAIMED, {"claimed": claim.last, "id": task_id})
    conn.execute(_KEEP, {"id": task_id, "first": claim.first, "last": claim.last,
                         "owner": owner, "until": until})
    return claim


def claimable(conn: Connection, task_id: int, now: datetime, owner: str = "") -> bool:
    """Is there a range of the running task for a batch to take (`take_range`), by a plain
    read: a worker with nothing to do looks before it locks anything."""
    return conn.execute(_CLAIMABLE, {"id": task_id, "running": RUNNING, "now": now,
                                     "owner": owner}).first() is not None


def settle(conn: Connection, claim: Claim, owner: str) -> None:
    """Drop the claim of a batch being recorded, in its transaction (after the task's row is
    locked: `tasks.finish_batch`); `ClaimLost` if another worker took it over meanwhile."""
    if conn.execute(_SETTLE, {"id": claim.task_id, "first": claim.first,
                              "owner": owner}).rowcount != 1:
        raise ClaimLost(f"task {claim.task_id}: the batch of items {claim.first:,}-"
                        f"{claim.last:,} was taken over by another worker")


def give_back(conn: Connection, claim: Claim, owner: str, after: int) -> None:
    """The batch recorded its range's items up to `after` only (an earlier attempt's record
    the catalog kept, made before more items were queued): the rest is left to the next
    batch that takes a range, in this transaction."""
    if conn.execute(_GIVE_BACK, {"after": after, "id": claim.task_id, "first": claim.first,
                                 "owner": owner}).rowcount != 1:
        raise ClaimLost(f"task {claim.task_id}: the batch of items {claim.first:,}-"
                        f"{claim.last:,} was taken over by another worker")


def open_claims(conn: Connection, task_id: int) -> list[Claim]:
    """The task's ranges taken by batches not yet recorded (live or stopped), in order."""
    rows = conn.execute(
        sa.select(batch_claims.c.first_seq, batch_claims.c.last_seq)
        .where(batch_claims.c.task_id == task_id).order_by(batch_claims.c.first_seq))
    return [Claim(task_id, int(first), int(last)) for first, last in rows]


def drop_claims(conn: Connection, task_id: int) -> None:
    """Forget the task's claims: it ended (a batch still in flight finds it so and records
    nothing), or it is deleted."""
    conn.execute(sa.delete(batch_claims).where(batch_claims.c.task_id == task_id))


def release_claims(conn: Connection, owner: str) -> int:
    """Hand `owner`'s claims back at once (a worker stopping cleanly, or one gone); how
    many."""
    return int(conn.execute(sa.update(batch_claims).where(batch_claims.c.owner == owner)
                            .values(lease_until=None)).rowcount)


def claim_owners_on(conn: Connection, host: str, now: datetime, owner: str) -> list[str]:
    """The workers on host `host`, other than `owner`, whose claims' leases run."""
    rows = conn.execute(
        sa.select(batch_claims.c.owner).distinct().where(
            batch_claims.c.lease_until >= now, batch_claims.c.owner.like(f"{host}:%"),
            batch_claims.c.owner != owner))
    return [str(row[0]) for row in rows]

