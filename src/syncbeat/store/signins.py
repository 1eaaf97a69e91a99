"""Named operations on sign-in counts (failures, and attempts being checked, per key, across
every process) and on the sign-in form tokens already posted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.store.db import insert_on_conflict
from syncbeat.store.tables import signin_failures, spent_form_tokens

t = signin_failures


@dataclass(frozen=True, kw_only=True)
class SigninCount:
    failures: int
    last_failure_at: datetime | None
    pending: int  # attempts whose password is being checked
    pending_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> SigninCount:
        """Build from a row of signin_failures."""
        return cls(failures=row.failures, last_failure_at=row.last_failure_at,
                   pending=row.pending, pending_at=row.pending_at)


def locked_counts(conn: Connection, keys: Iterable[str]) -> dict[str, SigninCount]:
    """The counts of the keys that have one, locked until the transaction ends on PostgreSQL
    (SQLite's write transaction holds the whole database)."""
    rows = conn.execute(
        sa.select(t).where(t.c.key.in_(list(keys))).order_by(t.c.key).with_for_update()
    )
    return {r.key: SigninCount.from_row(r) for r in rows}


def add_pending(conn: Connection, keys: Iterable[str], now: datetime,
                stale_before: datetime) -> None:
    """One attempt more is being checked for each key (pending counts begun before
    `stale_before` are those of a process that died: they start again)."""
    statement = insert_on_conflict(conn, t).values(
        [{"key": key, "failures": 0, "pending": 1, "pending_at": now} for key in sorted(keys)]
    )
    conn.execute(statement.on_conflict_do_update(
        index_elements=[t.c.key],
        set_={"pending": sa.case((t.c.pending_at < stale_before, 1), else_=t.c.pending + 1),
              "pending_at": now},
    ))


def _settle(conn: Connection, key: str, **values: Any) -> None:
    conn.execute(sa.update(t).where(t.c.key == key).values(
        pending=sa.case((t.c.pending > 0, t.c.pending - 1), else_=0), **values))


def settle_failure(conn: Connection, key: str, now: datetime, forget_before: datetime) -> None:
    """An attempt of `key` failed: one failure more (the first again, if the last one came
    before `forget_before`)."""
    _settle(conn, key, last_failure_at=now, failures=sa.case(
        (sa.or_(t.c.last_failure_at.is_(None), t.c.last_failure_at < forget_before), 1),
        else_=t.c.failures + 1))


def settle_success(conn: Connection, key: str, *, forget: bool) -> None:
    """An attempt of `key` did not fail; with `forget`, its failures are forgotten too."""
    if forget:
        _settle(conn, key, failures=0, last_failure_at=None)
    else:
        _settle(conn, key)


def clear_failures(conn: Connection, key: str) -> None:
    """Forget every failure of `key`."""
    conn.execute(sa.update(t).where(t.c.key == key).values(failures=0, last_failure_at=None))


def spend_form_token(conn: Connection, token_hash: str, expires_at: datetime) -> bool:
    """Mark a sign-in form token used; False if it was used already."""
    statement = insert_on_conflict(conn, spent_form_tokens).values(token_hash=token_hash,
                                                        expires_at=expires_at)
    inserted = statement.on_conflict_do_nothing().returning(spent_form_tokens.c.token_hash)
    return conn.execute(inserted).first() is not None


def prune_signins(conn: Connection, now: datetime, *, forget_before: datetime,
                  stale_before: datetime) -> None:
    """Delete the form tokens past their expiry, and the counts with no recent failure and
    nothing being checked."""
    conn.execute(sa.delete(spent_form_tokens).where(spent_form_tokens.c.expires_at < now))
    conn.execute(sa.delete(t).where(
        sa.or_(t.c.last_failure_at.is_(None), t.c.last_failure_at < forget_before),
        sa.or_(t.c.pending == 0, t.c.pending_at < stale_before),
    ))
