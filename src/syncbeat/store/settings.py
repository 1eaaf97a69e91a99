"""Settings an operator changes at run time (the Configure tab), kept in the database."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.domain.schedule import ScheduleError, zone
from syncbeat.store.db import insert_on_conflict
from syncbeat.store.tables import settings


@dataclass(frozen=True, kw_only=True)
class RuntimeSettings:
    default_batch_size: int = 1000  # items per batch for profiles that do not say
    time_budget_seconds: float = 5.0  # how long one tick may work before it yields
    tick_interval_seconds: float = 5.0  # pause between ticks of an idle worker
    timezone: str = "UTC"  # default time zone of new profiles
    retention_days: int = 30  # final tasks older than this are deleted with their files
    start_window_minutes: int = 10  # a late occurrence older than this is missed, not started
    lease_seconds: int = 120  # a worker silent for this long loses its tasks to another

    def validated(self) -> RuntimeSettings:
        """Raise ValueError naming the setting that is out of range."""
        limits = {
            "default_batch_size": (1, 100_000),
            "time_budget_seconds": (0.1, 600),
            "tick_interval_seconds": (0.05, 3600),
            "retention_days": (1, 3650),
            "start_window_minutes": (0, 7 * 24 * 60),
            "lease_seconds": (1, 86_400),
        }
        for name, (low, high) in limits.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise ValueError(f"{name}: must be between {low} and {high}, not {value}")
        try:
            zone(self.timezone)
        except ScheduleError as exc:
            raise ValueError(f"timezone: {exc}") from None
        return self


SETTING_NAMES = tuple(f.name for f in fields(RuntimeSettings))
_HEARTBEAT_KEY = "heartbeat.last_tick"


def coerce(name: str, value: Any) -> Any:
    """Read a setting given as text (a form, a flag) as its type."""
    default = getattr(RuntimeSettings(), name)
    try:
        if isinstance(default, int):
            return int(str(value).strip())
        if isinstance(default, float):
            return float(str(value).strip())
    except ValueError:
        raise ValueError(f"{name}: '{value}' is not a number") from None
    return str(value).strip()


def load_settings(conn: Connection) -> RuntimeSettings:
    """The settings in force: stored values over the defaults."""
    stored = dict(conn.execute(sa.select(settings.c.key, settings.c.value)).all())
    known = {k: coerce(k, v) for k, v in stored.items() if k in SETTING_NAMES}
    return replace(RuntimeSettings(), **known)


def save_settings(conn: Connection, changes: dict[str, Any]) -> RuntimeSettings:
    """Validate and store changed settings; ValueError names a bad one."""
    for name in changes:
        if name not in SETTING_NAMES:
            raise ValueError(f"{name}: no such setting (use one of {', '.join(SETTING_NAMES)})")
    merged = replace(load_settings(conn), **{k: coerce(k, v) for k, v in changes.items()})
    merged.validated()
    for name, value in asdict(merged).items():
        _put(conn, name, value)
    return merged


def _put(conn: Connection, key: str, value: Any) -> None:
    # One upsert: workers starting together on a fresh database all write the heartbeat key.
    statement = insert_on_conflict(conn, settings).values(key=key, value=value)
    conn.execute(statement.on_conflict_do_update(
        index_elements=[settings.c.key], set_={"value": statement.excluded.value}))


def record_heartbeat(conn: Connection, at: datetime, summary: dict[str, Any]) -> None:
    """Remember when the last tick ran and what it did (for health and the Configure tab)."""
    _put(conn, _HEARTBEAT_KEY, {"at": at.isoformat(), **summary})


def last_heartbeat(conn: Connection) -> dict[str, Any] | None:
    """When the last tick ran, and what it did; None if never."""
    value = conn.execute(
        sa.select(settings.c.value).where(settings.c.key == _HEARTBEAT_KEY)
    ).scalar()
    return dict(value) if value else None

