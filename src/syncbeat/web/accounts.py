"""Users of the web admin: the first admin, adding, removing, passwords, signing in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy.engine import Engine

from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.users import (
    User,
    UserExists,
    add_user,
    count_users,
    delete_user,
    get_user_by_name,
    list_users,
    record_login,
    set_password_hash,
)
from syncbeat.web.passwords import (
    generate_password,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)

ADMIN = "admin"
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")


@cache
def _dummy_hash() -> str:
    # Checked when the user does not exist, so a wrong name costs as long as a wrong password.
    return hash_password("syncbeat-not-a-user")


class AccountError(ValueError):
    """A user operation that cannot be done; str() says why."""


@dataclass(frozen=True)
class FirstAdmin:
    username: str
    generated_password: str | None  # shown once when syncbeat made it up


def ensure_admin(db: Engine, password: str | None, now: datetime) -> FirstAdmin | None:
    """Create the user "admin" if there is no user at all; None if users exist already."""
    with read_tx(db) as conn:
        if count_users(conn):
            return None
    generated = None
    if not password:
        password = generated = generate_password()
    problem = password_problem(password)
    if problem:
        raise AccountError(f"SYNCBEAT_ADMIN_PASSWORD {problem}")
    with write_tx(db) as conn:
        if count_users(conn):
            return None
        add_user(conn, ADMIN, hash_password(password), now)
    return FirstAdmin(ADMIN, generated)


def create_account(db: Engine, username: str, password: str, now: datetime) -> User:
    """Add a user; AccountError if the name or the password is refused."""
    if not _NAME.match(username):
        raise AccountError("a user name is 1 to 100 letters, digits or . _ @ -")
    problem = password_problem(password)
    if problem:
        raise AccountError(f"the password {problem}")
    try:
        with write_tx(db) as conn:
            return add_user(conn, username, hash_password(password), now)
    except UserExists as exc:
        raise AccountError(str(exc)) from None


def change_password(db: Engine, username: str, password: str, now: datetime) -> None:
    """Set a user's password; the user's open sessions end."""
    problem = password_problem(password)
    if problem:
        raise AccountError(f"the password {problem}")
    new_hash = hash_password(password)
    with write_tx(db) as conn:
        user = get_user_by_name(conn, username)
        if user is None:
            raise AccountError(f"no user '{username}'")
        set_password_hash(conn, user.id, new_hash, now)


def remove_account(db: Engine, username: str) -> None:
    """Remove a user, unless it is the last one (nobody could sign in any more)."""
    with write_tx(db) as conn:
        user = get_user_by_name(conn, username)
        if user is None:
            raise AccountError(f"no user '{username}'")
        if count_users(conn) == 1:
            raise AccountError(f"'{username}' is the only user: add another one first")
        delete_user(conn, user.id)


def accounts(db: Engine) -> list[User]:
    """Every user, by name."""
    with read_tx(db) as conn:
        return list_users(conn)


def authenticate(db: Engine, username: str, password: str, now: datetime) -> User | None:
    """The user if the password is right; None otherwise (in about the same time)."""
    with read_tx(db) as conn:
        user = get_user_by_name(conn, username)
    if user is None:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    with write_tx(db) as conn:
        if needs_rehash(user.password_hash):
            set_password_hash(conn, user.id, hash_password(password), user.password_changed_at)
        record_login(conn, user.id, now)
    return user
