"""When a lease's worker is surely gone: only on this boot of this machine and pid namespace,
only for a pid that no longer exists; anything unsure waits the lease out."""

from __future__ import annotations

import pytest

from syncbeat.domain.lease import OWNER_WIDTH, Machine, boot_hash, gone_here, owner_name

HERE = Machine(host="shop-1", pid_space="4026531836", boot="5f1c09ab")


def dead(pid: int) -> bool:
    return False


def alive(pid: int) -> bool:
    return True


def test_a_dead_process_of_this_machine_is_gone() -> None:
    assert gone_here(owner_name(HERE, 4242, "a1b2c3"), HERE, dead)


def test_a_live_process_is_not() -> None:
    assert not gone_here(owner_name(HERE, 4242, "a1b2c3"), HERE, alive)


@pytest.mark.parametrize("owner", [
    "shop-2:4242:a1b2c3:4026531836:5f1c09ab",   # another machine
    "shop-1:4242:a1b2c3:4026532000:5f1c09ab",   # another container with the same host name
    # Another machine (or this one before a reboot) with the same host name and the same
    # id of its first pid namespace: only the boot tells them apart.
    "shop-1:4242:a1b2c3:4026531836:0badf00d",
    "shop-1:4242:a1b2c3:4026531836",   # an older syncbeat's owner: no boot part, never local
    "shop-1:4242:a1b2c3",              # a worker from before pid namespaces were noted
    "shop-1:42x2:a1b2c3:4026531836:5f1c09ab",   # not a pid
    "shop-1:٤٢:a1b2c3:4026531836:5f1c09ab",     # digits, but not ASCII ones
    "shop:4242:a1b2c3:4026531836:5f1c09ab",     # a host whose name begins like this one's
    "",
])
def test_anything_unsure_is_not_gone(owner: str) -> None:
    assert not gone_here(owner, HERE, dead)


@pytest.mark.parametrize("unknown", [
    Machine(host="shop-1", pid_space="", boot="5f1c09ab"),
    Machine(host="shop-1", pid_space="4026531836", boot=""),
])
def test_where_the_namespace_or_boot_is_unknown_nothing_is_gone(unknown: Machine) -> None:
    assert not gone_here(owner_name(unknown, 4242, "a1b2c3"), unknown, dead)


def test_an_owner_fits_its_column_whatever_the_host_name() -> None:
    widest = Machine(host="h" * 60, pid_space="4294967295", boot=boot_hash("x"))
    owner = owner_name(widest, 4_194_304, "a1b2c3")
    assert len(owner) <= OWNER_WIDTH
    assert owner.endswith(f":4294967295:{boot_hash('x')}")
    longer = Machine(host="h" * 200, pid_space="4294967295", boot=boot_hash("x"))
    assert len(owner_name(longer, 4_194_304, "a1b2c3")) == OWNER_WIDTH
    assert gone_here(owner_name(longer, 4_194_304, "a1b2c3"), longer, dead)


def test_the_boot_id_is_kept_short_and_stable() -> None:
    boot = boot_hash("1f6e3a52-8d0c-4c3e-9a51-1b2c3d4e5f60\n")
    assert boot == boot_hash("1f6e3a52-8d0c-4c3e-9a51-1b2c3d4e5f60")
    assert len(boot) == 8 and int(boot, 16) >= 0
    assert boot_hash("") == ""


def test_this_machine_knows_its_boot() -> None:
    from pathlib import Path

    from syncbeat.engine.context import BOOT_ID, this_machine, worker_name

    if not Path(BOOT_ID).exists():
        pytest.skip("no /proc/sys/kernel/random/boot_id here (not Linux)")
    here = this_machine()
    assert here.boot == boot_hash(Path(BOOT_ID).read_text())
    assert worker_name().endswith(f":{here.pid_space}:{here.boot}")


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
