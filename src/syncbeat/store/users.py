"""Named operations on the users of the web admin (their passwords arrive already hashed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.store.tables import sessions, users


@dataclass(frozen=True, kw_only=True)
class User:
    id: int
    username: str
    password_hash: str
    created_at: datetime
    password_changed_at: datetime
    last_login_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> User:
        """Build from a row of the users table."""
        m = row._mapping
        return cls(
            id=m["id"], username=m["username"], password_hash=m["password_hash"],
            created_at=m["created_at"], password_changed_at=m["password_changed_at"],
            last_login_at=m["last_login_at"],
        )


class UserExists(ValueError):
    """A user of that name exists already."""


def count_users(conn: Connection) -> int:
    """How many users there are."""
    return int(conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one())


def add_user(conn: Connection, username: str, password_hash: str, now: datetime) -> User:
    """A new user; UserExists if the name is taken."""
    if get_user_by_name(conn, username) is not None:
        raise UserExists(f"a user named '{username}' exists already")
    new_id = conn.execute(
        sa.insert(users)
        .values(username=username, password_hash=password_hash, created_at=now,
                password_changed_at=now)
        .returning(users.c.id)
    ).scalar_one()
    found = get_user(conn, int(new_id))
    assert found is not None
    return found


def get_user(conn: Connection, user_id: int) -> User | None:
    """A user by id."""
    row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
    return User.from_row(row) if row else None


def get_user_by_name(conn: Connection, username: str) -> User | None:
    """A user by name."""
    row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    return User.from_row(row) if row else None


def list_users(conn: Connection) -> list[User]:
    """Every user, by name."""
    return [User.from_row(r) for r in conn.execute(sa.select(users).order_by(users.c.username))]


def set_password_hash(conn: Connection, user_id: int, password_hash: str, now: datetime) -> bool:
    """Replace a user's password hash; True if found."""
    result = conn.execute(
        sa.update(users).where(users.c.id == user_id)
        .values(password_hash=password_hash, password_changed_at=now)
    )
    return result.rowcount == 1


def record_login(conn: Connection, user_id: int, now: datetime) -> None:
    """Remember when a user last signed in."""
    conn.execute(sa.update(users).where(users.c.id == user_id).values(last_login_at=now))


def delete_user(conn: Connection, user_id: int) -> bool:
    """Remove a user and its sessions; True if found."""
    conn.execute(sa.delete(sessions).where(sessions.c.user_id == user_id))
    return conn.execute(sa.delete(users).where(users.c.id == user_id)).rowcount == 1
