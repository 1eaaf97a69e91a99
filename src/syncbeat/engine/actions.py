"""What users do to tasks: run a profile now, kill a task, delete it."""

from __future__ import annotations

from dataclasses import dataclass

from syncbeat.domain.statuses import ACTIVE_STATUSES, TaskStatus
from syncbeat.domain.taskspec import TaskRun
from syncbeat.engine.context import Context
from syncbeat.engine.errors import ActionError as ActionError  # the faces' name for it
from syncbeat.engine.errors import NotFound
from syncbeat.engine.recording import record_kept
from syncbeat.engine.tidy import remove_task
from syncbeat.store.db import write_tx
from syncbeat.store.logs import add_log
from syncbeat.store.profiles import get_profile
from syncbeat.store.tasks import create_task, get_task, move_task


def run_now(ctx: Context, profile_ref: int | str, *, force: bool = False) -> int:
    """A pending task of the profile, due now; the heartbeat starts it. `force` runs it
    whatever its safety limits say ("run anyway")."""
    now = ctx.clock()
    with write_tx(ctx.db) as conn:
        profile = get_profile(conn, profile_ref)
        if profile is None:
            raise NotFound(f"no profile '{profile_ref}'")
        task_id = create_task(conn, profile, scheduled_at=now, trigger="manual", now=now,
                              flags=TaskRun.created_with(force=force))
        if task_id is None:
            raise ActionError("a task of this profile was just created; try again", 409)
        add_log(conn, task_id, now, "run now: queued by a user" + (
            ", to run anyway whatever its safety limits say" if force else ""))
    return task_id


@dataclass(frozen=True)
class KillResult:
    task_id: int
    cancelled: int


def kill_task(ctx: Context, task_id: int, by: str = "a user") -> KillResult:
    """Killed, with its pending items cancelled, in one transaction; no batch starts after."""
    with write_tx(ctx.db) as conn:
        # The row lock (PostgreSQL) or the write lock (SQLite) waits for a batch in flight.
        task = get_task(conn, task_id, for_update=True)
        now = ctx.clock()  # after the wait: never earlier than that batch's own times
        if task is None:
            raise NotFound(f"no task {task_id}")
        if task.status not in ACTIVE_STATUSES:
            raise ActionError(f"task {task_id} is {task.status}: only a pending or running "
                              "task can be killed", 409)
        if record_kept(ctx, conn, task, now, "when the task was killed"):
            task = get_task(conn, task_id)  # its pending count went down
            assert task is not None
        if not move_task(conn, task_id, TaskStatus.KILLED, now=now, message=f"killed by {by}"):
            raise ActionError(f"task {task_id} ended before it could be killed", 409)
        pending = task.progress.pending
        add_log(conn, task_id, now, f"killed by {by}: {pending:,} pending items cancelled",
                "warning")
    held = ctx.readers.pop(task_id, None)
    if held is not None:
        held.close()
    return KillResult(task_id=task_id, cancelled=pending)


def delete_task(ctx: Context, task_id: int) -> None:
    """Remove a task with its items, log and files; an active task is killed first."""
    with write_tx(ctx.db) as conn:
        task = get_task(conn, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    if task.status in ACTIVE_STATUSES:
        try:
            kill_task(ctx, task_id, by="deletion")
        except ActionError:
            pass  # it ended meanwhile: delete it all the same
    remove_task(ctx, task_id)
