"""Named operations on API tokens; only a hash of each token is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.store.tables import api_tokens

# api:read: GET and HEAD of every API route; api:write: every route (it reads too);
# heartbeat: only the heartbeat URL; metrics: only GET /metrics.
SCOPES = ("api:read", "api:write", "heartbeat", "metrics")


@dataclass(frozen=True, kw_only=True)
class ApiToken:
    id: int
    name: str
    scope: str  # one of SCOPES
    prefix: str
    created_by: str | None
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> ApiToken:
        """Build from a row of the api_tokens table."""
        m = row._mapping
        return cls(
            id=m["id"], name=m["name"], scope=m["scope"], prefix=m["prefix"],
            created_by=m["created_by"], created_at=m["created_at"],
            last_used_at=m["last_used_at"],
        )

    def as_dict(self) -> dict[str, Any]:
        """The token as the API lists it (never the secret: it is not stored)."""
        return {
            "id": self.id, "name": self.name, "scope": self.scope, "prefix": self.prefix,
            "created_by": self.created_by, "created_at": self.created_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
        }


def insert_token(
    conn: Connection, *, name: str, scope: str, token_hash: str, prefix: str,
    created_by: str | None, now: datetime,
) -> ApiToken:
    """Store a new token's hash."""
    if scope not in SCOPES:
        raise ValueError(f"scope: '{scope}' is not one of {', '.join(SCOPES)}")
    new_id = conn.execute(
        sa.insert(api_tokens)
        .values(name=name, scope=scope, token_hash=token_hash, prefix=prefix,
                created_by=created_by, created_at=now)
        .returning(api_tokens.c.id)
    ).scalar_one()
    row = conn.execute(sa.select(api_tokens).where(api_tokens.c.id == new_id)).one()
    return ApiToken.from_row(row)


def find_token(conn: Connection, token_hash: str) -> ApiToken | None:
    """The token with this hash, if it was not revoked."""
    row = conn.execute(
        sa.select(api_tokens).where(api_tokens.c.token_hash == token_hash)
    ).first()
    return ApiToken.from_row(row) if row else None


def list_tokens(conn: Connection) -> list[ApiToken]:
    """Every token, newest first."""
    query = sa.select(api_tokens).order_by(api_tokens.c.id.desc())
    return [ApiToken.from_row(r) for r in conn.execute(query)]


def touch_token(conn: Connection, token_id: int, now: datetime) -> None:
    """Remember when a token was last used."""
    conn.execute(
        sa.update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=now)
    )


def delete_token(conn: Connection, token_id: int) -> bool:
    """Revoke a token; True if it existed."""
    return conn.execute(sa.delete(api_tokens).where(api_tokens.c.id == token_id)).rowcount == 1
