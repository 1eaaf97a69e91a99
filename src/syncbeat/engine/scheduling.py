"""Heartbeat step 1: every enabled scheduled profile has its next occurrence as a pending task."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from syncbeat.domain.profile import Profile
from syncbeat.domain.schedule import next_occurrence, plan_due
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.context import Context
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.logs import add_log
from syncbeat.store.profiles import list_profiles
from syncbeat.store.tasks import (
    active_of_profile,
    create_task,
    move_task,
    scheduled_placeholders,
)

NOT_RUNNING = "the heartbeat was not running at its time"


def schedule(ctx: Context, now: datetime, window: timedelta) -> list[str]:
    """Create next occurrences; settle occurrences that came while no heartbeat ran."""
    done: list[str] = []
    with read_tx(ctx.db) as conn:
        profiles = list_profiles(conn, scheduled_only=True)
        waiting = scheduled_placeholders(conn)
    for profile in profiles:
        assert profile.id is not None
        times = waiting.get(profile.id, [])
        if times and all(at > now for at in times):
            continue  # the usual case: the next occurrence waits, nothing to write
        with write_tx(ctx.db) as conn:
            done.extend(_schedule_one(conn, profile, now, window))
    return done


def _schedule_one(
    conn: Connection, profile: Profile, now: datetime, window: timedelta
) -> list[str]:
    assert profile.id is not None and profile.schedule
    said: list[str] = []
    placeholders = [
        t for t in active_of_profile(conn, profile.id, TaskStatus.PENDING)
        if t.trigger == "schedule"
    ]
    overdue = [t for t in placeholders if t.scheduled_at <= now]
    has_next = any(t.scheduled_at > now for t in placeholders)
    for task in overdue:
        plan = plan_due(
            profile.schedule, profile.timezone, pending_at=task.scheduled_at, now=now,
            window=window,
        )
        if task.scheduled_at in plan.missed:
            reason = NOT_RUNNING
            if plan.skipped:
                reason += f" ({plan.skipped} later occurrences were skipped too)"
            if move_task(conn, task.id, TaskStatus.MISSED, now=now, message=reason):
                add_log(conn, task.id, now, f"missed: {reason}", "warning")
                said.append(f"task {task.id} ({profile.name}) missed: {reason}")
        for at in plan.missed:
            if at != task.scheduled_at:
                _missed_occurrence(conn, profile, at, now, said)
        if plan.start is not None and plan.start != task.scheduled_at:
            new_id = create_task(
                conn, profile, scheduled_at=plan.start, trigger="schedule", now=now
            )
            if new_id is not None:
                said.append(f"task {new_id} ({profile.name}) scheduled for {plan.start:%H:%M}")
        if not has_next:
            has_next = create_task(conn, profile, scheduled_at=plan.next_at,
                                   trigger="schedule", now=now) is not None
    if not overdue and not has_next:
        at = next_occurrence(profile.schedule, profile.timezone, now)
        if create_task(conn, profile, scheduled_at=at, trigger="schedule", now=now):
            said.append(f"{profile.name}: next run at {at.isoformat()}")
    return said


def _missed_occurrence(
    conn: Connection, profile: Profile, at: datetime, now: datetime, said: list[str]
) -> None:
    task_id = create_task(conn, profile, scheduled_at=at, trigger="schedule", now=now)
    if task_id is None:
        return
    reason = NOT_RUNNING + " (it came too long ago to start late)"
    move_task(conn, task_id, TaskStatus.MISSED, now=now, message=reason)
    add_log(conn, task_id, now, f"missed: {reason}", "warning")
    said.append(f"task {task_id} ({profile.name}) missed: {reason}")
