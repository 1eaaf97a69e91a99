"""Is the heartbeat alive? Shown on the Configure tab (its warning on every page) and by GET
/api/health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from syncbeat.engine.context import Context
from syncbeat.engine.outage import WAITING, Waiting
from syncbeat.store.db import read_tx
from syncbeat.store.settings import RuntimeSettings, last_heartbeat, load_settings
from syncbeat.web.words import ago

MIN_SILENCE = timedelta(minutes=3)  # a heartbeat from cron once a minute is not late at 2 min
INTERVALS = 3  # "a few intervals" of the worker's tick


@dataclass(frozen=True, kw_only=True)
class Health:
    settings: RuntimeSettings
    last_at: datetime | None
    worker: str | None
    age: timedelta | None
    late_after: timedelta
    waiting: Waiting | None = None  # this process's worker waits for the database

    @property
    def alive(self) -> bool:
        """Did a heartbeat run recently enough?"""
        return self.age is not None and self.age <= self.late_after

    @property
    def warning(self) -> str | None:
        """The operator's warning when tasks will not start, or wait for the database."""
        if self.waiting is not None:
            return self.waiting.line()
        if self.age is None:
            return "no heartbeat has ever run: no task will start"
        if not self.alive:
            return f"no heartbeat for {ago(self.age)}: no task will start"
        return None

    def as_dict(self) -> dict[str, Any]:
        """The heartbeat part of GET /api/health."""
        return {
            "last_heartbeat": self.last_at.isoformat() if self.last_at else None,
            "heartbeat_age_seconds": round(self.age.total_seconds(), 1) if self.age else None,
            "heartbeat_ok": self.alive,
            "worker": self.worker,
            "warning": self.warning,
            "waiting_for_database": waiting_dict(self.waiting),
        }


def waiting_dict(waiting: Waiting | None) -> dict[str, str] | None:
    """Since when and why this process's worker waits for the database, for GET /api/health."""
    if waiting is None:
        return None
    return {"since": waiting.since.isoformat(), "reason": waiting.reason,
            "message": waiting.line()}


def heartbeat_health(ctx: Context) -> Health:
    """When the last tick ran, and whether that is too long ago."""
    with read_tx(ctx.db) as conn:
        settings = load_settings(conn)
        last = last_heartbeat(conn)
    late_after = max(MIN_SILENCE, timedelta(seconds=INTERVALS * settings.tick_interval_seconds))
    at = datetime.fromisoformat(last["at"]) if last and last.get("at") else None
    age = max(ctx.clock() - at, timedelta()) if at else None
    return Health(settings=settings, last_at=at, worker=(last or {}).get("worker"), age=age,
                  late_after=late_after, waiting=WAITING.oldest())
