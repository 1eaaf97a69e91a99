"""Settings an operator changes at run time (the Configure tab), kept in the database."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.domain.schedule import ScheduleError, zone
from syncbeat.store.db import insert_on_conflict
from syncbeat.store.tables import settings


@dataclass(frozen=True, kw_only=True)
class RuntimeSettings:
    default_batch_size: int = 5000  # the most items a batch takes, for profiles that do not say
    time_budget_seconds: float = 5.0  # how long one tick may work before it yields
    tick_interval_seconds: float = 5.0  # pause between ticks of an idle worker
    timezone: str = "UTC"  # default time zone of new profiles
    retention_days: int = 30  # final tasks older than this are deleted with their files
    start_window_minutes: int = 10  # a late occurrence older than this is missed, not started
    lease_seconds: int = 120  # a worker silent for this long loses its tasks to another
    # A database that answers but will not take the work (a full disk) for this long: the
    # tasks its worker was working end in error with the reason (engine/outage.py).
    outage_limit_seconds: int = 3600
    # Being told (docs/monitoring.md): a webhook and/or e-mail; "" leaves a channel off.
    admin_url: str = ""  # the admin's address as people reach it, for links in messages
    notify_webhook_url: str = ""
    notify_smtp_host: str = ""
    notify_smtp_port: int = 587
    notify_smtp_starttls: bool = True
    notify_smtp_user: str = ""
    notify_smtp_password: str = ""  # write-only: never shown back (WRITE_ONLY)
    notify_email_from: str = ""
    notify_email_to: str = ""  # addresses, comma-separated
    notify_item_errors_percent: float = 10.0  # a completed task with more item errors tells
    notify_stale_minutes: int = 15  # no tick this long tells (0: never)

    @property
    def webhook_on(self) -> bool:
        """Is a webhook set?"""
        return bool(self.notify_webhook_url)

    @property
    def email_on(self) -> bool:
        """Is e-mail set (a server and someone to write to)?"""
        return bool(self.notify_smtp_host and self.notify_email_to)

    def shown(self) -> dict[str, Any]:
        """The settings by name as every face shows them: a write-only one set is '***'."""
        values = asdict(self)
        for name in WRITE_ONLY:
            values[name] = MASK if values[name] else ""
        return values

    def validated(self) -> RuntimeSettings:
        """Raise ValueError naming the setting that is out of range."""
        limits = {
            "default_batch_size": (1, 100_000),
            "time_budget_seconds": (0.1, 600),
            "tick_interval_seconds": (0.05, 3600),
            "retention_days": (1, 3650),
            "start_window_minutes": (0, 7 * 24 * 60),
            "lease_seconds": (1, 86_400),
            "outage_limit_seconds": (1, 30 * 86_400),
            "notify_smtp_port": (1, 65_535),
            "notify_item_errors_percent": (0, 100),
            "notify_stale_minutes": (0, 7 * 24 * 60),
        }
        for name, (low, high) in limits.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise ValueError(f"{name}: must be between {low} and {high}, not {value}")
        try:
            zone(self.timezone)
        except ScheduleError as exc:
            raise ValueError(f"timezone: {exc}") from None
        for name in ("admin_url", "notify_webhook_url"):
            value = getattr(self, name)
            if value and not value.startswith(("http://", "https://")):
                raise ValueError(f"{name}: write an address starting with http:// or https://, "
                                 f"not '{value}'")
            try:
                password = urlsplit(value).password
            except ValueError:
                raise ValueError(f"{name}: '{value}' is not an address") from None
            if password and not password.startswith("{secret:"):
                raise ValueError(f"{name}: a password written into the address would show "
                                 "wherever the setting is shown: set it as a secret "
                                 "(syncbeat secret set NAME) and write {secret:NAME} in "
                                 "its place")
        for name in ("notify_email_from", "notify_email_to"):
            bad = [a for a in _addresses(getattr(self, name)) if "@" not in a]
            if bad:
                raise ValueError(f"{name}: '{bad[0]}' is not an e-mail address")
        if self.notify_email_to and not self.notify_smtp_host:
            raise ValueError("notify_smtp_host: set the SMTP server that sends to "
                             f"{self.notify_email_to}")
        return self

    @property
    def email_recipients(self) -> list[str]:
        """The addresses of notify_email_to."""
        return _addresses(self.notify_email_to)


def _addresses(text: str) -> list[str]:
    return [a.strip() for a in text.replace(";", ",").split(",") if a.strip()]


SETTING_NAMES = tuple(f.name for f in fields(RuntimeSettings))
WRITE_ONLY = frozenset({"notify_smtp_password"})
MASK = "***"  # a write-only setting that is set; sent back, it leaves the value as it is
_HEARTBEAT_KEY = "heartbeat.last_tick"


def coerce(name: str, value: Any) -> Any:
    """Read a setting given as text (a form, a flag) as its type."""
    default = getattr(RuntimeSettings(), name)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in ("true", "yes", "on", "1"):
            return True
        if word in ("false", "no", "off", "0", ""):
            return False
        raise ValueError(f"{name}: write true or false, not '{value}'")
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
    changes = {k: v for k, v in changes.items() if not (k in WRITE_ONLY and v == MASK)}
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

