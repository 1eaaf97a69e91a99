"""When a lease's worker is surely gone: only on this machine and pid namespace, only for a
pid that no longer exists; anything unsure waits the lease out."""

from __future__ import annotations

import pytest

from syncbeat.domain.lease import Machine, gone_here, owner_name

HERE = Machine(host="shop-1", pid_space="4026531836")


def dead(pid: int) -> bool:
    return False


def alive(pid: int) -> bool:
    return True


def test_a_dead_process_of_this_machine_is_gone() -> None:
    assert gone_here(owner_name(HERE, 4242, "a1b2c3"), HERE, dead)


def test_a_live_process_is_not() -> None:
    assert not gone_here(owner_name(HERE, 4242, "a1b2c3"), HERE, alive)


@pytest.mark.parametrize("owner", [
    "shop-2:4242:a1b2c3:4026531836",   # another machine
    "shop-1:4242:a1b2c3:4026532000",   # another container with the same host name
    "shop-1:4242:a1b2c3",              # a worker from before pid namespaces were noted
    "shop-1:42x2:a1b2c3:4026531836",   # not a pid
    "shop-1:٤٢:a1b2c3:4026531836",     # digits, but not ASCII ones
    "",
])
def test_anything_unsure_is_not_gone(owner: str) -> None:
    assert not gone_here(owner, HERE, dead)


def test_where_the_namespace_is_unknown_nothing_is_gone() -> None:
    unknown = Machine(host="shop-1", pid_space="")
    assert not gone_here(owner_name(unknown, 4242, "a1b2c3"), unknown, dead)


def test_only_a_database_out_of_reach_is_an_outage() -> None:
    import sqlite3

    import psycopg
    import sqlalchemy as sa
    from psycopg import errors

    from syncbeat.store.db import is_outage

    def wrapped(orig: Exception) -> sa.exc.DBAPIError:
        return sa.exc.OperationalError("SELECT 1", {}, orig)

    # Out of reach, wrapped by SQLAlchemy or bare from a driver's own cursor (the fast paths).
    for orig in (sqlite3.OperationalError("database or disk is full"),
                 psycopg.OperationalError("the connection is lost"),
                 errors.AdminShutdown("terminating connection"), errors.DiskFull("no space")):
        assert is_outage(orig) and is_outage(wrapped(orig)), orig
    # The work's own failures: counted against the task, never waited out forever.
    for orig in (sqlite3.OperationalError("no such table: x"),
                 errors.QueryCanceled("statement timeout"), errors.DeadlockDetected("deadlock"),
                 errors.ProgramLimitExceeded("too big"), ValueError("not a database error")):
        assert not is_outage(orig) and not is_outage(wrapped(orig)), orig
