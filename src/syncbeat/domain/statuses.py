"""Task statuses, item outcomes, and the one function that says which moves are allowed."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class TaskStatus(StrEnum):
    PENDING = "pending"  # scheduled, waits for its Scheduled At
    MISSED = "missed"  # its time came while another task of the profile ran; never started
    KILLED = "killed"  # stopped by a user while pending or running
    RUNNING = "running"  # items queued; every heartbeat works through one batch
    ERROR = "error"  # a fatal error: could not start, or could not finish
    COMPLETED = "completed"  # every item has an outcome; an export's file is delivered


FINAL_STATUSES = frozenset(
    {TaskStatus.MISSED, TaskStatus.KILLED, TaskStatus.ERROR, TaskStatus.COMPLETED}
)
ACTIVE_STATUSES = frozenset({TaskStatus.PENDING, TaskStatus.RUNNING})

_MOVES: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.PENDING: frozenset(
        {TaskStatus.MISSED, TaskStatus.KILLED, TaskStatus.RUNNING, TaskStatus.ERROR}
    ),
    TaskStatus.RUNNING: frozenset({TaskStatus.KILLED, TaskStatus.ERROR, TaskStatus.COMPLETED}),
}


def sources_of(target: TaskStatus) -> frozenset[TaskStatus]:
    """The statuses a task may be in to move to `target` (for conditional updates)."""
    return frozenset(src for src, targets in _MOVES.items() if target in targets)


def can_move(current: TaskStatus, target: TaskStatus) -> bool:
    """May a task in `current` move to `target`?"""
    return target in _MOVES.get(current, frozenset())


class ItemOutcome(IntEnum):
    """Stored as a small integer: items are many, and an int compares and indexes cheaply."""

    PENDING = 0  # queued, not yet worked
    PROCESSED = 1  # applied: what changed, or "created"
    SKIPPED = 2  # deliberately not applied: why
    CANCELLED = 3  # its task was killed (or failed) before it was worked
    ERROR = 4  # could not be applied: the error in words

    @property
    def label(self) -> str:
        """The lower-case word shown to users."""
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> ItemOutcome:
        """Parse a user's word ("processed") into an outcome."""
        try:
            return cls[label.strip().upper()]
        except KeyError:
            words = ", ".join(o.label for o in cls)
            raise ValueError(f"'{label}' is not an outcome; use one of {words}") from None


class TaskKind(StrEnum):
    IMPORT = "import"  # reads a feed and changes the catalog
    EXPORT = "export"  # reads the catalog and writes a feed
