"""Who holds a task's lease, and whether that worker is known to be gone.

A lease owner reads `host:pid:tag:pidspace` (tag: random, so a reused pid is another owner;
pidspace: the kernel's id of the process's pid namespace, because two containers may share a
host name and a pid). A worker that finds a lease held on its own machine and pid namespace by
a process that no longer exists may take the task over at once instead of waiting the lease
out; anything it cannot be sure of (another machine, an old owner name, a pid in use) waits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Machine:
    """Where a worker runs, as far as its pids mean anything."""

    host: str
    pid_space: str  # "" where unknown: then no lease is ever judged gone


def owner_name(machine: Machine, pid: int, tag: str) -> str:
    """The lease owner of a worker process."""
    return f"{machine.host}:{pid}:{tag}:{machine.pid_space}"


def gone_here(owner: str, here: Machine, alive: Callable[[int], bool]) -> bool:
    """Is `owner` a process of this machine and pid namespace that no longer exists?"""
    parts = owner.split(":")
    if len(parts) != 4 or not here.pid_space:
        return False
    host, pid, _tag, space = parts
    if host != here.host or space != here.pid_space or not pid.isascii() or not pid.isdigit():
        return False
    return not alive(int(pid))
