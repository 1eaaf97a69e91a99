"""Throttling failed sign-ins, per user name and per client address, across every process.

The first LIMIT failures are free; then each attempt waits after the last failure, one
minute, doubling with every further failure up to LONGEST_WAIT. A count with no failure for
FORGET starts again; a successful sign-in clears the user name's count (not the address's:
signing in to one's own account must not buy guesses at others'). Attempts being checked
count too: when they could use up the free failures, the next one waits for them, so a
burst of parallel attempts cannot slip past the limit."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection, Engine

from syncbeat.engine.passwords import WAIT_SECONDS, PasswordsBusy
from syncbeat.store.db import write_tx
from syncbeat.store.signins import (
    SigninCount,
    add_pending,
    locked_counts,
    settle_failure,
    settle_success,
)

LIMIT = 5  # failures without a wait
FIRST_WAIT = timedelta(minutes=1)  # after the LIMIT-th failure; doubles with each one more
LONGEST_WAIT = timedelta(minutes=30)
FORGET = timedelta(hours=1)  # a count with no failure this long starts again
IN_FLIGHT = timedelta(minutes=1)  # a check begun longer ago was of a process that died
POLL_SECONDS = 0.05


def wait_after(failures: int, last_failure_at: datetime | None, now: datetime) -> timedelta:
    """How long the next attempt must still wait after `failures` failed ones, the last at
    `last_failure_at`: nothing under LIMIT failures."""
    if failures < LIMIT or last_failure_at is None or now - last_failure_at >= FORGET:
        return timedelta()
    wait = min(FIRST_WAIT * (1 << min(failures - LIMIT, 16)), LONGEST_WAIT)
    return max(last_failure_at + wait - now, timedelta())


def crowded(count: SigninCount, now: datetime) -> bool:
    """Could the attempts being checked, should they all fail, use up the free failures?"""
    live = count.pending if count.pending_at and now - count.pending_at < IN_FLIGHT else 0
    recent = count.last_failure_at is not None and now - count.last_failure_at < FORGET
    return live > 0 and (count.failures if recent else 0) + live >= LIMIT


def in_words(wait: timedelta) -> str:
    """"40 seconds", "1 minute", "4 minutes" (rounded up: never sooner than it says)."""
    seconds = math.ceil(wait.total_seconds())
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@dataclass(frozen=True)
class Attempt:
    """One sign-in: the user name typed and the address it came from."""

    username: str
    address: str

    @property
    def user_key(self) -> str:
        return "user:" + self.username[:150]

    @property
    def address_key(self) -> str:
        return "address:" + self.address[:150]

    @property
    def keys(self) -> tuple[str, ...]:
        """Both keys, always in the same order: rows locked in one order never deadlock."""
        return tuple(sorted((self.user_key, self.address_key)))

    def who(self, key: str) -> str:
        """The key in words, for the message."""
        return f"for {self.username}" if key == self.user_key else f"from {self.address}"


class Throttled(Exception):
    """Too many failed sign-ins: str() says for whom and when to try again."""

    def __init__(self, who: str, wait: timedelta) -> None:
        super().__init__(f"too many failed sign-ins {who}: try again in {in_words(wait)}")
        self.wait = wait

    @property
    def retry_after(self) -> int:
        """Seconds, for the Retry-After header."""
        return max(math.ceil(self.wait.total_seconds()), 1)


def reserve(db: Engine, attempt: Attempt, now: datetime) -> None:
    """Let the attempt check its password, counted as being checked until it settles;
    Throttled if it must wait, PasswordsBusy if the attempts ahead did not settle in time."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        with write_tx(db) as conn:
            counts = locked_counts(conn, attempt.keys)
            waits = [(wait_after(c.failures, c.last_failure_at, now), key)
                     for key, c in counts.items()]
            wait, key = max(waits, default=(timedelta(), ""))
            if wait > timedelta():
                raise Throttled(attempt.who(key), wait)
            if not any(crowded(c, now) for c in counts.values()):
                add_pending(conn, attempt.keys, now, now - IN_FLIGHT)
                return
        if time.monotonic() > deadline:
            raise PasswordsBusy("busy checking other sign-ins: try again in a moment")
        time.sleep(POLL_SECONDS)


def failed(db: Engine, attempt: Attempt, now: datetime) -> None:
    """The password was wrong: a failure more for the user name and for the address."""
    with write_tx(db) as conn:
        for key in attempt.keys:
            settle_failure(conn, key, now, now - FORGET)


def succeeded(conn: Connection, attempt: Attempt) -> None:
    """The password was right: the user name's failures are forgotten."""
    for key in attempt.keys:
        settle_success(conn, key, forget=key == attempt.user_key)


def withdraw(db: Engine, attempt: Attempt) -> None:
    """The attempt never checked a password (the server was busy): nothing to count."""
    with write_tx(db) as conn:
        for key in attempt.keys:
            settle_success(conn, key, forget=False)
