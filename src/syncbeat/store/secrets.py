"""Named operations on the secrets table; only ciphertext passes here (store/vault.py
encrypts and decrypts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.store.tables import secrets


@dataclass(frozen=True, kw_only=True)
class SecretInfo:
    """A secret as faces list it: its name and dates, never its value."""

    name: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> SecretInfo:
        """Build from a row of the secrets table."""
        m = row._mapping
        return cls(name=m["name"], created_at=m["created_at"], updated_at=m["updated_at"])

    def as_dict(self) -> dict[str, Any]:
        """The secret as the API lists it."""
        return {"name": self.name, "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat()}


def put_secret(conn: Connection, name: str, ciphertext: str, now: datetime) -> bool:
    """Store or replace a secret's ciphertext; True if it is new."""
    found = conn.execute(
        sa.update(secrets).where(secrets.c.name == name)
        .values(ciphertext=ciphertext, updated_at=now)
    ).rowcount
    if found:
        return False
    conn.execute(sa.insert(secrets).values(name=name, ciphertext=ciphertext, created_at=now,
                                           updated_at=now))
    return True


def secret_ciphertext(conn: Connection, name: str) -> str | None:
    """The ciphertext of the secret `name`, or None if there is none."""
    return conn.execute(
        sa.select(secrets.c.ciphertext).where(secrets.c.name == name)
    ).scalar_one_or_none()


def list_secrets(conn: Connection) -> list[SecretInfo]:
    """Every secret, by name."""
    query = sa.select(secrets.c.name, secrets.c.created_at, secrets.c.updated_at)
    return [SecretInfo.from_row(r) for r in conn.execute(query.order_by(secrets.c.name))]


def secret_names(conn: Connection) -> set[str]:
    """The names of the secrets that are set."""
    return set(conn.execute(sa.select(secrets.c.name)).scalars())


def delete_secret(conn: Connection, name: str) -> bool:
    """Delete a secret; False if there was none of that name."""
    return bool(conn.execute(sa.delete(secrets).where(secrets.c.name == name)).rowcount)
