"""Password hashing with argon2id (slow on purpose), and passwords generated for people."""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
_hasher = PasswordHasher()
_ALPHABET = string.ascii_letters + string.digits


def hash_password(password: str) -> str:
    """An argon2id hash of `password`, with its own salt."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Does `password` match the hash? Never raises for a wrong or malformed one."""
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
