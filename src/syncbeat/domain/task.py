"""Values read from the store: a task and its progress, an item, a log line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from syncbeat.domain.statuses import FINAL_STATUSES, ItemOutcome, TaskKind, TaskStatus
from syncbeat.domain.taskspec import TaskRun, TaskSpec, is_started


@dataclass(frozen=True, kw_only=True, slots=True)
class Progress:
    total: int
    pending: int
    processed: int
    skipped: int
    cancelled: int
    errors: int

    def as_dict(self) -> dict[str, int]:
        """The counters under the names users see."""
        return {
            "total": self.total,
            "pending": self.pending,
            "processed": self.processed,
            "skipped": self.skipped,
            "cancelled": self.cancelled,
            "error": self.errors,
        }

    @property
    def done(self) -> int:
        """Items that have an outcome."""
        return self.total - self.pending

    @property
    def worked(self) -> int:
        """Items that were worked: processed, skipped or error (not cancelled)."""
        return self.processed + self.skipped + self.errors

    def summary(self) -> str:
        """"523 of 523", or for a killed task "7,650 of 40,000 worked, 32,350 cancelled"."""
        text = f"{self.worked:,} of {self.total:,}"
        if self.cancelled:
            text += f" worked, {self.cancelled:,} cancelled"
        return text


@dataclass(frozen=True, kw_only=True, slots=True)
class Task:
    id: int
    profile_id: int | None
    profile_name: str
    kind: TaskKind
    status: TaskStatus
    trigger: str
    scheduled_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    message: str | None
    progress: Progress
    queue_done: bool
    cursor: int  # every item up to it is worked
    export_size: int
    batches: int
    work_seconds: float
    spec: Mapping[str, Any] | None  # as stored: read it with `run` and `started_spec()`
    queue_seconds: float = 0.0  # part of work_seconds
    unread: int = 0  # feed rows given an error while queueing (part of progress.errors)
    lease_owner: str | None = None
    lease_until: datetime | None = None
    claimed: int = 0  # items up to it are worked, or in a batch in flight

    @classmethod
    def from_row(cls, row: Any) -> Task:
        """Build from a row of the tasks table."""
        m = row._mapping
        return cls(
            id=m["id"], profile_id=m["profile_id"], profile_name=m["profile_name"],
            kind=TaskKind(m["kind"]), status=TaskStatus(m["status"]), trigger=m["trigger"],
            scheduled_at=m["scheduled_at"], started_at=m["started_at"],
            finished_at=m["finished_at"], message=m["message"],
            progress=Progress(
                total=m["total"], pending=m["pending"], processed=m["processed"],
                skipped=m["skipped"], cancelled=m["cancelled"], errors=m["errors"],
            ),
            queue_done=bool(m["queue_done"]), cursor=m["cursor"], export_size=m["export_size"],
            batches=m["batches"], work_seconds=m["work_seconds"], spec=m["spec"],
            queue_seconds=m["queue_seconds"], unread=m["unread"],
            lease_owner=m["lease_owner"], lease_until=m["lease_until"],
            claimed=m["claimed"],
        )

    def held_by_another(self, owner: str, now: datetime) -> bool:
        """Does a live worker other than `owner` hold the task's lease (queueing it, or
        finishing it)?"""
        return (self.lease_owner is not None and self.lease_owner != owner
                and self.lease_until is not None and self.lease_until >= now)

    @property
    def is_final(self) -> bool:
        """Missed, killed, error or completed: nothing will change it any more."""
        return self.status in FINAL_STATUSES

    @property
    def duration(self) -> timedelta | None:
        """From Started At to Finished At (or to now, for a running task: None)."""
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    def as_dict(self) -> dict[str, Any]:
        """The task as the JSON faces show it."""
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        duration = self.duration
        run = self.run
        return {
            "id": self.id,
            "profile": self.profile_name,
            "profile_id": self.profile_id,
            "kind": str(self.kind),
            "status": str(self.status),
            "trigger": self.trigger,
            "progress": self.progress.as_dict(),
            "scheduled_at": iso(self.scheduled_at),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "duration_seconds": round(duration.total_seconds(), 3) if duration else None,
            "message": self.message,
            "rerun_of": run.rerun_of,
            "failed_limit": run.failed_limit,
        }

    @property
    def run(self) -> TaskRun:
        """What its run keeps (what it was created with, for a pending task): a few keys of
        its stored spec, read at each call."""
        return TaskRun.from_json(self.spec)

    def started_spec(self) -> TaskSpec | None:
        """The spec it started with, read from the stored JSON (its profile parsed, so read
        it once a step and pass it on); None for a task that never started."""
        return TaskSpec.from_json(self.spec) if is_started(self.spec) else None

    @property
    def rerun_of(self) -> int | None:
        """The task whose failed items this task re-runs, if it is a re-run."""
        return self.run.rerun_of

    @property
    def failed_limit(self) -> bool:
        """Did it end in error on a safety limit (so it may be run anyway)?"""
        return self.run.failed_limit


@dataclass(frozen=True, kw_only=True, slots=True)
class Item:
    task_id: int
    seq: int
    key: str | None
    input: str | None
    outcome: ItemOutcome
    detail: str | None


def shown_outcome(stored: int, task_status: TaskStatus) -> ItemOutcome:
    """An item still pending in a task that ended was cancelled by the kill (or the failure).

    Kill changes the task's counters in one short transaction instead of rewriting a million
    item rows; this rule gives every reader the same cancelled items.
    """
    outcome = ItemOutcome(stored)
    if outcome is ItemOutcome.PENDING and task_status in FINAL_STATUSES:
        return ItemOutcome.CANCELLED
    return outcome
