"""Who holds a task's lease, and whether that worker is known to be gone.

A lease owner reads `host:pid:tag:pidspace:boot` (tag: random, so a reused pid is another
owner; pidspace: the kernel's id of the process's pid namespace, because two containers may
share a host name and a pid; boot: a short hash of the kernel's boot id, because two
machines, or one machine before and after a reboot, may share both a host name and the id of
their first pid namespace). A worker that finds a lease held on this boot of its own machine,
in its own pid namespace, by a process that no longer exists may take the task over at once
instead of waiting the lease out; anything it cannot be sure of (another machine, another
boot, an owner name of an older syncbeat, a pid in use) waits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

OWNER_WIDTH = 100  # characters: the lease_owner column's width
BOOT_HASH_LENGTH = 8  # hex digits of the boot id's hash kept in an owner
_PARTS = 5


@dataclass(frozen=True, slots=True)
class Machine:
    """Where a worker runs, as far as its pids mean anything."""

    host: str
    pid_space: str  # "" where unknown: then no lease is ever judged gone
    boot: str = ""  # a hash of this boot's id; "" where unknown: then no lease is judged gone

    @property
    def known(self) -> bool:
        """Can this machine's pids be told from another machine's at all?"""
        return bool(self.pid_space and self.boot)


def boot_hash(boot_id: str) -> str:
    """A short, stable stand-in for the kernel's boot id (the id itself is 36 characters,
    too wide beside a long host name in the owner column); "" for an unknown id."""
    boot_id = boot_id.strip()
    if not boot_id:
        return ""
    return hashlib.sha256(boot_id.encode()).hexdigest()[:BOOT_HASH_LENGTH]


def owner_name(machine: Machine, pid: int, tag: str) -> str:
    """The lease owner of a worker process; the host name is cut so it fits the column."""
    rest = f":{pid}:{tag}:{machine.pid_space}:{machine.boot}"
    return machine.host[: OWNER_WIDTH - len(rest)] + rest


def gone_here(owner: str, here: Machine, alive: Callable[[int], bool]) -> bool:
    """Is `owner` a process of this boot of this machine and pid namespace that no longer
    exists? An owner written without a boot part (an older syncbeat) never is."""
    parts = owner.split(":")
    if len(parts) != _PARTS or not here.known:
        return False
    pid, tag = parts[1], parts[2]
    if not pid.isascii() or not pid.isdigit() or owner != owner_name(here, int(pid), tag):
        return False  # another host, pid namespace or boot; or not a pid at all
    return not alive(int(pid))
