"""`syncbeat tasks` and `syncbeat task ...`: list tasks; show, kill, re-run or delete one;
get its log, report or export file."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from syncbeat.cli.common import AS_JSON, fail, os_user, print_json, table, when, write_out
from syncbeat.cli.state import State, pass_state
from syncbeat.cli.watch import created
from syncbeat.domain.ids import parse_id
from syncbeat.domain.statuses import TaskStatus
from syncbeat.domain.task import Task
from syncbeat.engine.actions import delete_task, kill_task
from syncbeat.engine.artifacts import log_lines, report_lines
from syncbeat.engine.context import Context
from syncbeat.engine.finish import export_path
from syncbeat.engine.rerun import rerun_failed
from syncbeat.store.db import read_tx
from syncbeat.store.tasks import TaskFilter, get_task, list_tasks

# A use case's refusal (kill a task that ended, re-run an export, ...) is an ActionError,
# answered by the root group in its own words.


@click.command()
@click.option("--status", multiple=True, type=click.Choice([s.value for s in TaskStatus]),
              help="Only tasks in this status; repeat for several.")
@click.option("--profile", "profile_ref", help="Only the tasks of this profile (id or name).")
@click.option("--kind", type=click.Choice(["import", "export"]),
              help="Only imports or only exports.")
@click.option("--limit", type=int, default=50, show_default=True,
              help="At most this many tasks, newest first.")
@AS_JSON
@pass_state
def tasks(state: State, status: tuple[str, ...], profile_ref: str | None, kind: str | None,
          limit: int, as_json: bool) -> None:
    """List tasks, newest first."""
    ctx = state.ctx()
    with read_tx(ctx.db) as conn:
        found = list_tasks(conn, TaskFilter(status=status, profile=profile_ref, kind=kind),
                           limit=limit)
    if as_json:
        print_json([t.as_dict() for t in found])
        return
    rows = [(t.id, t.profile_name, t.kind, t.status,
             t.progress.summary(), when(t.scheduled_at),
             when(t.started_at), when(t.finished_at), t.message or "") for t in found]
    table(("id", "profile", "kind", "status", "progress", "scheduled", "started",
           "finished", "message"), rows)


@click.group()
def task() -> None:
    """Show, kill or delete a task; get its log, report or export file."""


class TaskIdType(click.ParamType):  # type: ignore[type-arg]  # generic since click 8.2
    """A task id: ASCII digits in the id column's range. Anything else names no task, and
    says so in one line (not click's usage text: the command was typed right)."""

    name = "task_id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> int:
        if isinstance(value, int):
            return value
        found = parse_id(str(value))
        if found is None:
            fail(f"no task '{value}': a task's id is a whole number (see `syncbeat tasks`)")
        return found


TASK_ID = TaskIdType()
OUTPUT = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                      help="Write to this file instead of standard output.")


def _task_or_fail(ctx: Context, task_id: int) -> Task:
    with read_tx(ctx.db) as conn:
        found = get_task(conn, task_id)
    if found is None:
        fail(f"no task {task_id} (see `syncbeat tasks`)")
    return found


@task.command("show")
@click.argument("task_id", type=TASK_ID)
@AS_JSON
@pass_state
def task_show(state: State, task_id: int, as_json: bool) -> None:
    """Show a task's status, counters and times."""
    found = _task_or_fail(state.ctx(), task_id)
    data = found.as_dict()
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        if key == "progress":
            value = f"{found.progress.summary()} (" + ", ".join(
                f"{k} {v:,}" for k, v in value.items() if k != "total") + ")"
        click.echo(f"{key}: {'' if value is None else value}")


@task.command("kill")
@click.argument("task_id", type=TASK_ID)
@pass_state
def task_kill(state: State, task_id: int) -> None:
    """Kill a pending or running task; its pending items are cancelled."""
    result = kill_task(state.ctx(), task_id, by=f"{os_user()} on the command line")
    click.echo(f"task {task_id} killed; {result.cancelled:,} pending items cancelled")


@task.command("rerun")
@click.argument("task_id", type=TASK_ID)
@click.option("--errors", "errors_only", is_flag=True,
              help="Only the items in error, not the cancelled ones.")
@click.option("--wait", is_flag=True,
              help="Work the new task here and show its progress until it ends.")
@pass_state
def task_rerun(state: State, task_id: int, errors_only: bool, wait: bool) -> None:
    """Re-run the items of an ended import that ended in error or were cancelled, from the
    same copy of its feed, as a new task of its profile."""
    ctx = state.ctx()
    new_id = rerun_failed(ctx, task_id, errors_only=errors_only)
    if not wait:
        click.echo(f"task {new_id} created: it re-runs what failed in task {task_id}; the "
                   "heartbeat (worker or serve) starts it")
        return
    created(ctx, new_id, wait)


@task.command("delete")
@click.argument("task_id", type=TASK_ID)
@pass_state
def task_delete(state: State, task_id: int) -> None:
    """Delete a task with its items, log and files (killing it first if active)."""
    delete_task(state.ctx(), task_id)
    click.echo(f"task {task_id} deleted")


@task.command("log")
@click.argument("task_id", type=TASK_ID)
@OUTPUT
@pass_state
def task_log(state: State, task_id: int, output: Path | None) -> None:
    """The task's actions log, as text."""
    ctx = state.ctx()
    write_out(output, log_lines(ctx.db, _task_or_fail(ctx, task_id)))


@task.command("report")
@click.argument("task_id", type=TASK_ID)
@OUTPUT
@pass_state
def task_report(state: State, task_id: int, output: Path | None) -> None:
    """The task's report: a CSV row per queued product."""
    ctx = state.ctx()
    write_out(output, report_lines(ctx.db, _task_or_fail(ctx, task_id)))


@task.command("export-file")
@click.argument("task_id", type=TASK_ID)
@OUTPUT
@pass_state
def task_export_file(state: State, task_id: int, output: Path | None) -> None:
    """The file (JSON, CSV or XML) an export task produced."""
    ctx = state.ctx()
    found = _task_or_fail(ctx, task_id)
    path = export_path(ctx, found)
    if found.kind != "export":
        fail(f"task {task_id} is an import: only exports have an export file")
    if not path.exists():
        fail(f"task {task_id} is {found.status} and has no export file yet")
    write_out(output, _file_chunks(path))


def _file_chunks(path: Path, size: int = 1 << 20) -> Iterable[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(size):
            yield chunk
