"""Named operations on the sessions of the pages; only a hash of each session id is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.store.tables import sessions, users
from syncbeat.store.users import User


@dataclass(frozen=True, kw_only=True)
class StoredSession:
    id_hash: str
    user: User
    csrf: str
    created_at: datetime
    last_seen_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> StoredSession:
        """Build from a row of sessions joined with its user (see find_session)."""
        m = row._mapping
        return cls(id_hash=m["id_hash"], user=User.from_row(row), csrf=m["csrf"],
                   created_at=m["session_created_at"], last_seen_at=m["last_seen_at"])


def insert_session(conn: Connection, *, id_hash: str, user_id: int, csrf: str,
                   now: datetime) -> None:
    """Store a new session of `user_id`."""
    conn.execute(sa.insert(sessions).values(id_hash=id_hash, user_id=user_id, csrf=csrf,
                                            created_at=now, last_seen_at=now))


def find_session(conn: Connection, id_hash: str) -> StoredSession | None:
    """The session with this hash and its user, in one statement (a page view's only read)."""
    row = conn.execute(
        sa.select(users, sessions.c.id_hash, sessions.c.csrf,
                  sessions.c.created_at.label("session_created_at"), sessions.c.last_seen_at)
        .join(users, users.c.id == sessions.c.user_id)
        .where(sessions.c.id_hash == id_hash)
    ).first()
    return StoredSession.from_row(row) if row else None


def touch_session(conn: Connection, id_hash: str, now: datetime) -> None:
    """Remember that the session was used (its idle time starts again)."""
    conn.execute(sa.update(sessions).where(sessions.c.id_hash == id_hash)
                 .values(last_seen_at=now))


def delete_session(conn: Connection, id_hash: str) -> bool:
    """End one session; True if it existed."""
    return conn.execute(sa.delete(sessions).where(sessions.c.id_hash == id_hash)).rowcount == 1


def delete_user_sessions(conn: Connection, user_id: int, keep: str | None = None) -> int:
    """End every session of a user but `keep` (a session id hash); how many ended."""
    query = sa.delete(sessions).where(sessions.c.user_id == user_id)
    if keep is not None:
        query = query.where(sessions.c.id_hash != keep)
    return int(conn.execute(query).rowcount)


def prune_sessions(conn: Connection, *, seen_before: datetime, created_before: datetime
                   ) -> int:
    """Delete the sessions idle since `seen_before` or made before `created_before`."""
    return int(conn.execute(sa.delete(sessions).where(
        sa.or_(sessions.c.last_seen_at < seen_before, sessions.c.created_at < created_before)
    )).rowcount)
