"""Password hashing with argon2id (slow on purpose, and about 64 MB each: at most a few at a
time), and passwords generated for people."""

from __future__ import annotations

import secrets
import string
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
AT_ONCE = 2  # hashes computed at the same time in one process (each takes ~64 MB)
WAIT_SECONDS = 5.0  # how long a request waits for its turn before it is told to retry
_hasher = PasswordHasher()
_slots = threading.BoundedSemaphore(AT_ONCE)
_ALPHABET = string.ascii_letters + string.digits


class PasswordsBusy(RuntimeError):
    """Too many passwords are being checked at once: try again in a moment."""


@contextmanager
def _turn() -> Iterator[None]:
    # A flood of sign-ins waits here (a thread each) instead of taking 64 MB each.
    if not _slots.acquire(timeout=WAIT_SECONDS):
        raise PasswordsBusy("busy checking other passwords: try again in a moment")
    try:
        yield
    finally:
        _slots.release()


def hash_password(password: str) -> str:
    """An argon2id hash of `password`, with its own salt; PasswordsBusy if none can start."""
    with _turn():
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Does `password` match the hash? Never raises for a wrong or malformed one, only
    PasswordsBusy when it could not get its turn."""
    with _turn():
        try:
            return _hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash: str) -> bool:
    """Was the hash made with weaker parameters than today's?"""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def generate_password(length: int = 20) -> str:
    """A random password of letters and digits (about 119 bits for 20 characters)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters long"
    if password.strip() != password:
        return "must not start or end with a space"
    return None
