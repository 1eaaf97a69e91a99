"""The queue of notifications: one row per message and channel, queued in the transaction
that ended the task (so none is lost or told twice), sent later by engine/notify.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.domain.notify import Event, Reason, reason_of, task_event
from syncbeat.domain.task import Task
from syncbeat.store.settings import RuntimeSettings, load_settings
from syncbeat.store.tables import notifications, tasks

CHANNELS = ("webhook", "email")
CLAIM = timedelta(minutes=2)  # a sender that died mid-send leaves its rows to others after this


@dataclass(frozen=True, kw_only=True)
class Queued:
    """A queued notification."""

    id: int
    channel: str
    reason: Reason
    profile_id: int | None
    event: Event
    attempts: int
    next_attempt_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Queued:
        """Build from a row of the notifications table."""
        m = row._mapping
        return cls(id=m["id"], channel=m["channel"], reason=Reason(m["reason"]),
                   profile_id=m["profile_id"], event=Event.from_dict(m["body"]),
                   attempts=m["attempts"], next_attempt_at=m["next_attempt_at"])

    @property
    def group(self) -> tuple[str, int | None, Reason]:
        """At most one message an hour per group."""
        return (self.channel, self.profile_id, self.reason)


def channels_on(settings: RuntimeSettings) -> list[str]:
    """The channels the settings set up."""
    return [c for c, on in zip(CHANNELS, (settings.webhook_on, settings.email_on), strict=True)
            if on]


def queue_event(conn: Connection, event: Event, now: datetime,
                channels: Sequence[str]) -> int:
    """Queue the event once per channel; the number of rows queued."""
    for channel in channels:
        conn.execute(sa.insert(notifications).values(
            channel=channel, reason=str(event.reason), profile_id=event.profile_id,
            task_id=event.task_id, status="pending", body=event.as_dict(), created_at=now,
            next_attempt_at=now, attempts=0))
    return len(channels)


def queue_task_end(conn: Connection, task_id: int, now: datetime) -> None:
    """Queue what the end of this task tells, if anything (called where a task's status
    became final, in that same transaction)."""
    settings = load_settings(conn)
    channels = channels_on(settings)
    if not channels:
        return
    row = conn.execute(sa.select(tasks).where(tasks.c.id == task_id)).first()
    if row is None:
        return
    task = Task.from_row(row)
    reason = reason_of(task, settings.notify_item_errors_percent)
    if reason is not None:
        queue_event(conn, task_event(task, reason, now, settings.admin_url), now, channels)


def due(conn: Connection, now: datetime, limit: int = 200) -> list[Queued]:
    """Pending rows whose time has come, oldest first."""
    rows = conn.execute(
        sa.select(notifications)
        .where(notifications.c.status == "pending", notifications.c.next_attempt_at <= now)
        .order_by(notifications.c.id).limit(limit)
    ).all()
    return [Queued.from_row(r) for r in rows]


def last_sent(conn: Connection, group: tuple[str, int | None, Reason]) -> datetime | None:
    """When the group's last message went."""
    channel, profile_id, reason = group
    profile = (notifications.c.profile_id.is_(None) if profile_id is None
               else notifications.c.profile_id == profile_id)
    found: datetime | None = conn.execute(
        sa.select(sa.func.max(notifications.c.sent_at))
        .where(notifications.c.channel == channel, notifications.c.reason == str(reason),
               profile, notifications.c.status == "sent")
    ).scalar()
    return found


def claim(conn: Connection, rows: Sequence[Queued], now: datetime) -> bool:
    """Take the rows for this sender (their next attempt moves past the claim); False if
    another sender took one of them first."""
    for row in rows:
        taken = conn.execute(
            sa.update(notifications)
            .where(notifications.c.id == row.id, notifications.c.status == "pending",
                   notifications.c.next_attempt_at <= now)
            .values(next_attempt_at=now + CLAIM)
        ).rowcount
        if taken != 1:
            return False
    return True


def mark_sent(conn: Connection, newest: Queued, folded: Sequence[Queued], now: datetime) -> None:
    """The newest row went (it holds the message); the held-back ones went folded into it."""
    conn.execute(sa.update(notifications).where(notifications.c.id == newest.id)
                 .values(status="sent", sent_at=now, attempts=newest.attempts + 1,
                         last_error=None))
    if folded:
        conn.execute(sa.update(notifications)
                     .where(notifications.c.id.in_([q.id for q in folded]))
                     .values(status="folded", sent_at=now))


def mark_failed(conn: Connection, rows: Sequence[Queued], error: str,
                retry: datetime | None) -> None:
    """A failed attempt: try again at `retry`, or give up (status failed)."""
    for row in rows:
        values: dict[str, Any] = {"attempts": row.attempts + 1, "last_error": error[:2000]}
        if retry is None:
            values["status"] = "failed"
        else:
            values["next_attempt_at"] = retry
        conn.execute(sa.update(notifications).where(notifications.c.id == row.id)
                     .values(**values))


def delete_old(conn: Connection, before: datetime) -> int:
    """Forget sent, folded and failed notifications older than `before`."""
    return conn.execute(sa.delete(notifications).where(
        notifications.c.status != "pending", notifications.c.created_at < before)).rowcount


def pending_of(conn: Connection, channel: str, reason: Reason) -> bool:
    """Is a message of this channel and reason (no profile) still waiting?"""
    return conn.execute(
        sa.select(notifications.c.id)
        .where(notifications.c.channel == channel, notifications.c.reason == str(reason),
               notifications.c.profile_id.is_(None), notifications.c.status == "pending")
        .limit(1)
    ).first() is not None
