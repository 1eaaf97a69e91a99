"""Is another worker working on this database? Asked by `syncbeat serve` before it starts
the worker inside the server, so a second server (or a server beside `syncbeat worker`)
says it will share the tasks rather than surprising its operator later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from syncbeat.domain.lease import gone_here
from syncbeat.engine.context import Context, process_alive, this_machine
from syncbeat.store.db import read_tx
from syncbeat.store.settings import last_heartbeat, load_settings

# A worker records its tick at most once a second while busy, and once a tick when idle.
SLACK = timedelta(seconds=3)


@dataclass(frozen=True, slots=True)
class OtherWorker:
    """The worker whose tick is the last one recorded on the database."""

    host: str
    pid: str
    seconds_ago: float
    sqlite: bool  # the database is SQLite: the workers take turns at its write lock

    def line(self) -> str:
        """The notice `serve` prints, in one line."""
        shared = (" (on SQLite they take turns at the database's write lock)"
                  if self.sqlite else "")
        return (f"another worker (pid {self.pid} on {self.host}) ticked on this database "
                f"{self.seconds_ago:.0f} s ago: this server's worker shares the tasks with "
                f"it{shared}; --no-worker serves the admin only")


def other_worker(ctx: Context, now: datetime) -> OtherWorker | None:
    """The worker that ticked on this database within two idle ticks of `now`, unless it is
    this process or a process of this machine that no longer exists; None if there is none."""
    with read_tx(ctx.db) as conn:
        last = last_heartbeat(conn)
        interval = load_settings(conn).tick_interval_seconds
    if not last or not isinstance(last.get("worker"), str) or not last.get("at"):
        return None
    owner: str = last["worker"]
    try:
        at = datetime.fromisoformat(last["at"])
    except ValueError:
        return None
    ago = now - at
    if ago > 2 * timedelta(seconds=interval) + SLACK or owner == ctx.owner:
        return None
    if gone_here(owner, this_machine(), process_alive):
        return None
    host, _, rest = owner.partition(":")
    return OtherWorker(host=host, pid=rest.partition(":")[0], seconds_ago=max(
        ago.total_seconds(), 0.0), sqlite=ctx.db.dialect.name == "sqlite")

