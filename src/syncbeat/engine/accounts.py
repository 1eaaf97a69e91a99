"""Users of the web admin: the first admin, adding, removing, passwords, signing in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy.engine import Engine

from syncbeat.engine.passwords import (
    PasswordsBusy,
    generate_password,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from syncbeat.engine.throttle import Attempt, failed, reserve, succeeded, withdraw
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.sessions import delete_user_sessions
from syncbeat.store.signins import clear_failures
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


def change_password(db: Engine, username: str, password: str, now: datetime, *,
                    keep_session: str | None = None) -> None:
    """Set a user's password; the user's sessions end, all but `keep_session` (the id hash
    of the session that changed it), and so does a count of failed sign-ins."""
    problem = password_problem(password)
    if problem:
        raise AccountError(f"the password {problem}")
    new_hash = hash_password(password)
    with write_tx(db) as conn:
        user = get_user_by_name(conn, username)
        if user is None:
            raise AccountError(f"no user '{username}'")
        set_password_hash(conn, user.id, new_hash, now)
        delete_user_sessions(conn, user.id, keep=keep_session)
        clear_failures(conn, Attempt(username, "").user_key)


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


def authenticate(db: Engine, username: str, password: str, now: datetime, *,
                 address: str = "local") -> User | None:
    """The user if the password is right; None otherwise (in about the same time).
    Throttled after too many failures for the user name or from the address (no password is
    hashed then); PasswordsBusy when too many are being checked at once."""
    attempt = Attempt(username, address)
    reserve(db, attempt, now)
    try:
        user = _check(db, username, password)
    except PasswordsBusy:
        withdraw(db, attempt)
        raise
    if user is None:
        failed(db, attempt, now)
        return None
    try:
        rehashed = hash_password(password) if needs_rehash(user.password_hash) else None
    except PasswordsBusy:
        rehashed = None  # the next sign-in makes the stronger hash
    with write_tx(db) as conn:
        if rehashed:
            set_password_hash(conn, user.id, rehashed, user.password_changed_at)
        record_login(conn, user.id, now)
        succeeded(conn, attempt)
    return user


def _check(db: Engine, username: str, password: str) -> User | None:
    with read_tx(db) as conn:
        user = get_user_by_name(conn, username)
    if user is None:
        verify_password(_dummy_hash(), password)
        return None
    return user if verify_password(user.password_hash, password) else None
