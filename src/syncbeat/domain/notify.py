"""Being told: which ends of a task send a message, how often, and what it says."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from syncbeat.domain.statuses import TaskStatus
from syncbeat.domain.task import Task

HOLD = timedelta(hours=1)  # at most one message per channel, profile and reason in this time
MAX_ATTEMPTS = 6  # then the message is given up, with its last error kept and logged
FIRST_RETRY = timedelta(minutes=1)  # doubled after each failure, at most an hour


class Reason(StrEnum):
    ERROR = "error"  # a task ended in error
    MISSED = "missed"  # a task was missed
    ITEM_ERRORS = "item errors"  # a completed task had more item errors than the setting
    HEARTBEAT = "heartbeat"  # no tick for longer than the setting
    TEST = "test"  # the "Send a test" button


@dataclass(frozen=True, kw_only=True)
class Event:
    """What happened, as a message tells it."""

    reason: Reason
    at: datetime
    message: str
    task_id: int | None = None
    profile_id: int | None = None
    profile: str | None = None
    status: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    link: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The event as the webhook's JSON (and the queue's row) holds it."""
        return {"reason": str(self.reason), "at": self.at.isoformat(), "task": self.task_id,
                "profile": self.profile, "profile_id": self.profile_id, "status": self.status,
                "message": self.message, "counts": dict(self.counts), "link": self.link}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """Read back what as_dict() wrote."""
        return cls(reason=Reason(data["reason"]), at=datetime.fromisoformat(data["at"]),
                   message=data["message"], task_id=data.get("task"),
                   profile_id=data.get("profile_id"), profile=data.get("profile"),
                   status=data.get("status"), counts=data.get("counts") or {},
                   link=data.get("link"))

    def line(self) -> str:
        """One line: 'task 12 (Supplier stock) error: the feed is missing'."""
        if self.task_id is None:
            return self.message
        return f"task {self.task_id} ({self.profile}) {self.status}: {self.message}"


def reason_of(task: Task, item_errors_percent: float) -> Reason | None:
    """Does this task's end send a message, and why?"""
    if task.status is TaskStatus.ERROR:
        return Reason.ERROR
    if task.status is TaskStatus.MISSED:
        return Reason.MISSED
    total, errors = task.progress.total, task.progress.errors
    if task.status is TaskStatus.COMPLETED and total and errors * 100 > item_errors_percent * total:
        return Reason.ITEM_ERRORS
    return None


def task_event(task: Task, reason: Reason, at: datetime, admin_url: str) -> Event:
    """The event of a task's end, with the link to its page."""
    counts = task.progress.as_dict()
    message = task.message or ""
    if reason is Reason.ITEM_ERRORS:
        message = (f"{counts['error']:,} of {counts['total']:,} items in error"
                   + (f"; {message}" if message else ""))
    link = f"{admin_url.rstrip('/')}/tasks/{task.id}" if admin_url else f"/tasks/{task.id}"
    return Event(reason=reason, at=at, message=message or str(task.status), task_id=task.id,
                 profile_id=task.profile_id, profile=task.profile_name,
                 status=str(task.status), counts=counts, link=link)


def may_send_at(last_sent: datetime | None) -> datetime | None:
    """From when a message of a group may go, given when the last one went (None: now)."""
    return None if last_sent is None else last_sent + HOLD


def retry_at(attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failures; None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + min(FIRST_RETRY * (1 << max(attempts - 1, 0)), timedelta(hours=1))


@dataclass(frozen=True, kw_only=True)
class Message:
    """One message sent: the newest event, and a summary of those held back before it."""

    subject: str
    text: str
    payload: dict[str, Any]


def compose(events: Sequence[Event]) -> Message:
    """The message for a group's events (oldest first): the newest told in full, the others
    summed up ('and 3 more since 10:02: ...')."""
    newest, held = events[-1], list(events[:-1])
    subject = f"syncbeat: {newest.line()}"[:200]
    lines = [newest.line()]
    if newest.counts:
        lines.append(", ".join(f"{k} {v:,}" for k, v in newest.counts.items()))
    if newest.link:
        lines.append(newest.link)
    payload = newest.as_dict()
    payload["held_back"] = [e.as_dict() for e in held]
    if held:
        since = held[0].at.strftime("%Y-%m-%d %H:%M UTC")
        summary = f"{len(held)} more held back since {since} (one message an hour):"
        payload["summary"] = summary
        lines += ["", summary, *(f"- {e.at:%H:%M} {e.line()}" for e in held)]
    return Message(subject=subject, text="\n".join(lines) + "\n", payload=payload)
