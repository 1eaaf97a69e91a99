"""API tokens: made here, shown once, stored as a SHA-256 hash (they are random, not chosen)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.tokens import (
    SCOPES,
    ApiToken,
    delete_token,
    find_token,
    insert_token,
    list_tokens,
    touch_token,
)

PREFIX = "sb_"
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenRefused(ValueError):
    """A token that cannot be made as asked; `field` is the setting at fault (name, scope)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def issue_token(db: Engine, *, name: str, scope: str, by: str | None, now: datetime
                ) -> tuple[ApiToken, str]:
    """A new token: its row, and the secret to show once; TokenRefused names a bad name or
    scope."""
    if scope not in SCOPES:
        raise TokenRefused(f"scope: '{scope}' is not one of {', '.join(SCOPES)}", "scope")
    name = name.strip()
    if not name or len(name) > 100:
        raise TokenRefused("name: give the token a name of 1 to 100 characters", "name")
    secret = PREFIX + secrets.token_urlsafe(32)
    with write_tx(db) as conn:
        row = insert_token(conn, name=name, scope=scope, token_hash=token_hash(secret),
                           prefix=secret[:10], created_by=by, now=now)
    return row, secret


def check_token(db: Engine, secret: str, now: datetime) -> ApiToken | None:
    """The token `secret` stands for; None if it is unknown or revoked."""
    if not secret.startswith(PREFIX):
        return None
    with read_tx(db) as conn:
        token = find_token(conn, token_hash(secret))
    if token is not None and (token.last_used_at is None
                              or now - token.last_used_at > TOUCH_EVERY):
        with write_tx(db) as conn:
            touch_token(conn, token.id, now)
    return token


def tokens(db: Engine) -> list[ApiToken]:
    """Every API token (never its secret: only a hash is kept)."""
    with read_tx(db) as conn:
        return list_tokens(conn)


def revoke_token(db: Engine, token_id: int) -> bool:
    """Revoke a token: it stops working at once. False if it was gone already."""
    with write_tx(db) as conn:
        return delete_token(conn, token_id)
