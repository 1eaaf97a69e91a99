"""What every step of the heartbeat needs: the database, the catalog, files, a clock."""

from __future__ import annotations

import functools
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import Engine

from syncbeat.catalog.base import Catalog
from syncbeat.catalog.builtin import BuiltinCatalog
from syncbeat.domain.lease import Machine, boot_hash, owner_name
from syncbeat.domain.pace import BatchPace, batch_items
from syncbeat.feeds.reach import Reach
from syncbeat.feeds.secretrefs import SecretLookup
from syncbeat.store.claims import Claim
from syncbeat.store.vault import Vault


def utcnow() -> datetime:
    """The real clock; tests pass their own."""
    return datetime.now(UTC)


BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@functools.cache
def this_machine() -> Machine:
    """This process's host name, pid namespace and boot (Linux; elsewhere the namespace and
    the boot are unknown, and no lease is ever taken over early)."""
    try:
        space = os.readlink("/proc/self/ns/pid").partition("[")[2].rstrip("]")
    except OSError:
        space = ""
    try:
        boot = boot_hash(BOOT_ID.read_text())
    except OSError:
        boot = ""
    return Machine(host=socket.gethostname()[:60].replace(":", "-"), pid_space=space,
                   boot=boot)


def worker_name() -> str:
    """host:pid:random:pidspace:boot, unique per process, readable in a lease column."""
    return owner_name(this_machine(), os.getpid(), uuid.uuid4().hex[:6])


def process_alive(pid: int) -> bool:
    """Does process `pid` exist here (a zombie, killed but not yet reaped, does not)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def sqlite_file(db: Engine) -> Path | None:
    """The database file of a SQLite engine (out of reach of feeds), or None."""
    name = db.url.database
    if db.url.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    return Path(name)


class HeldFeed(Protocol):
    """A feed (or catalog walk) a task is queueing from, kept open across ticks
    (`engine.queueing` makes them)."""

    position: int  # items queued from it so far

    def close(self) -> None:
        """Close the file or connection it reads."""


@dataclass
class Context:
    db: Engine
    data_dir: Path
    clock: Callable[[], datetime] = utcnow
    catalog: Catalog = field(default_factory=BuiltinCatalog)
    owner: str = field(default_factory=worker_name)
    # Open feed readers of tasks this process is queueing, so a big feed is read once,
    # across ticks, instead of reopened and skipped every tick.
    readers: dict[int, HeldFeed] = field(default_factory=dict)
    # The range of an import this process took for its next batch of it (`store.claims`),
    # by task: taken as its last batch of the task recorded.
    ranges: dict[int, Claim] = field(default_factory=dict)
    # How long this process's last batch of each task took (`domain.pace`): what the next
    # batch of the task may take.
    paces: dict[int, BatchPace] = field(default_factory=dict)
    # The files and hosts feeds may touch; by default the data folder only, public hosts only.
    reach: Reach = None  # type: ignore[assignment]  # set by __post_init__
    # SYNCBEAT_SECRET_KEY; None: the key file in the data folder (store/vault.py)
    secret_key: str | None = None

    def __post_init__(self) -> None:
        if self.reach is None:
            self.reach = Reach.create(data_dir=self.data_dir, database=sqlite_file(self.db))

    @property
    def vault(self) -> Vault:
        """What encrypts and decrypts the secrets."""
        return Vault(self.data_dir, self.secret_key)

    @property
    def secrets(self) -> SecretLookup:
        """The values of {secret:NAME}, read when a task connects."""
        from syncbeat.engine.secrets import StoredSecrets

        return StoredSecrets(self.db, self.vault)

    def batch_items(self, task_id: int, batch_size: int) -> int:
        """How many items this process's next batch of the task takes (`domain.pace`)."""
        return batch_items(batch_size, self.paces.get(task_id))

    def paced(self, task_id: int, items: int, seconds: float) -> None:
        """Note how long a batch of the task took, for its next batch's size."""
        self.paces[task_id] = BatchPace(items, seconds)

    def task_dir(self, task_id: int) -> Path:
        """The folder of a task's files."""
        return self.data_dir / "tasks" / str(task_id)

    def close(self) -> None:
        """Close the feeds this process holds open (the catalog stays open: its opener
        closes it)."""
        for reader in self.readers.values():
            reader.close()
        self.readers.clear()
