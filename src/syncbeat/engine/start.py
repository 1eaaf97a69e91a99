"""Heartbeat step 2: start pending tasks whose time has come, or settle them as missed or error."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from syncbeat.domain.profile import Profile, SourceSpec, field_problems, resolved_batch_size
from syncbeat.domain.statuses import TaskKind, TaskStatus
from syncbeat.domain.task import Task
from syncbeat.domain.taskspec import TaskSpec
from syncbeat.engine.context import Context
from syncbeat.engine.rerun import reuse_snapshot
from syncbeat.engine.secrets import missing_secrets
from syncbeat.feeds import FeedError, FeedSpec, open_feed, snapshot
from syncbeat.feeds.archives import Unpacking
from syncbeat.feeds.sftp import naming_profile
from syncbeat.feeds.urls import shown_url
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.logs import add_log
from syncbeat.store.profiles import get_profile, lock_profile
from syncbeat.store.settings import load_settings
from syncbeat.store.tasks import active_of_profile, due_pending, last_completed_export, move_task

SINCE_MARGIN = timedelta(minutes=5)
log = logging.getLogger(__name__)


def start_due(ctx: Context, now: datetime) -> list[str]:
    """Start (or settle) every pending task whose Scheduled At has come."""
    with read_tx(ctx.db) as conn:
        due = due_pending(conn, now)
    return [start_task(ctx, task, now) for task in due]


def _fail(ctx: Context, task: Task, now: datetime, status: TaskStatus, reason: str) -> str:
    with write_tx(ctx.db) as conn:
        if move_task(conn, task.id, status, now=now, message=reason):
            add_log(conn, task.id, now, f"{status}: {reason}", "error"
                    if status is TaskStatus.ERROR else "warning")
    return f"task {task.id} ({task.profile_name}) {status}: {reason}"


def start_task(ctx: Context, task: Task, now: datetime) -> str:
    """Open the task's source and make it running; missed or error when it cannot run."""
    profile_id = task.profile_id
    if profile_id is None:
        return _fail(ctx, task, now, TaskStatus.ERROR, "its profile was deleted")
    with read_tx(ctx.db) as conn:
        profile = get_profile(conn, profile_id)
        default_batch_size = load_settings(conn).default_batch_size
        running = active_of_profile(conn, profile_id, TaskStatus.RUNNING)
        since_task = (
            last_completed_export(conn, profile_id)
            if profile and profile.kind is TaskKind.EXPORT and profile.changed_since_last_export
            else None
        )
    if profile is None:
        return _fail(ctx, task, now, TaskStatus.ERROR, "its profile was deleted")
    if running:
        return _fail(
            ctx, task, now, TaskStatus.MISSED,
            f"task {running[0].id} of this profile was still running",
        )
    problems = field_problems(profile, ctx.catalog.known)
    if problems:  # saved for another catalog than the one syncbeat works on now
        said = "; ".join(f"{name}: {message}" for name, message in problems)
        return _fail(ctx, task, now, TaskStatus.ERROR,
                     f"the profile does not fit the catalog {ctx.catalog.location.shown}: "
                     f"{said}")
    missing = missing_secrets(ctx, profile)
    if missing:  # before anything is read or exported: it could not be delivered
        return _fail(ctx, task, now, TaskStatus.ERROR, "; ".join(missing))
    # What the task was created with ("run anyway", "re-run what failed") stays with it.
    spec = TaskSpec(
        profile=profile,
        # The task keeps the number it started with, whatever the default becomes meanwhile.
        batch_size=resolved_batch_size(profile, default_batch_size),
        run=replace(task.run, token=uuid.uuid4().hex,  # what a catalog keeps is keyed by it
                    catalog=ctx.catalog.location.shown),  # every batch works on this catalog
    )
    first_line: str
    if profile.kind is TaskKind.IMPORT:
        try:
            if spec.run.rerun_of:
                spec, first_line = reuse_snapshot(ctx, task, spec)
                _check_opens(ctx, task, spec)
            else:
                snapshot, first_line = _open_source(ctx, task, profile)
                spec = spec.with_run(snapshot=snapshot)
            first_line += f", batch size {_batch_words(profile, spec.batch_size)}"
        except FeedError as exc:
            return _fail(ctx, task, now, TaskStatus.ERROR, naming_profile(str(exc), profile.id))
        except Exception as exc:  # a reader's own fault must not leave the task pending forever
            log.error("task %s: opening its feed failed", task.id, exc_info=exc)
            reason = (str(exc) or exc.__class__.__name__).splitlines()[0]
            return _fail(
                ctx, task, now, TaskStatus.ERROR, f"the feed could not be opened: {reason}"
            )
    else:
        # A margin before the last export's start: a batch that began before it but committed
        # after it read the catalog stamps its products earlier. Re-sending one is harmless.
        started = since_task.started_at if since_task else None
        since = started - SINCE_MARGIN if started else None
        spec = spec.with_run(since=since)
        first_line = f"started: export of {export_scope(profile.filter_active)}" + (
            f" changed since {since.isoformat()} (task {since_task.id})"
            if since and since_task else ""
        ) + f", batch size {_batch_words(profile, spec.batch_size)}"
    with write_tx(ctx.db) as conn:
        # The profile may have started another task since we looked: never two at once.
        # Its row lock makes two workers starting two of its tasks take turns (PostgreSQL).
        lock_profile(conn, profile_id)
        if active_of_profile(conn, profile_id, TaskStatus.RUNNING):
            won = False
        else:
            won = move_task(conn, task.id, TaskStatus.RUNNING, now=now, spec=spec.to_json())
        if won:
            add_log(conn, task.id, now, first_line)
    if not won:
        if spec.run.snapshot:
            (ctx.task_dir(task.id) / spec.run.snapshot).unlink(missing_ok=True)
        return f"task {task.id} ({task.profile_name}) was taken by another worker or killed"
    return f"task {task.id} ({task.profile_name}) started"


def feed_spec(source: SourceSpec | None) -> FeedSpec:
    """How an import profile's feed is read (its `source`)."""
    assert source is not None, "an import profile has a source"
    return FeedSpec(
        format=source.format, delimiter=source.delimiter, quotechar=source.quotechar,
        encoding=source.encoding, header=source.header, item=source.item, sheet=source.sheet,
    )


def _open_source(ctx: Context, task: Task, profile: Profile) -> tuple[str, str]:
    assert profile.source is not None
    # A name of its own per attempt: two workers starting the same task never share a file.
    name = f"source-{uuid.uuid4().hex[:8]}.{profile.source.format}"
    folder = ctx.task_dir(task.id)
    folder.mkdir(parents=True, exist_ok=True)
    # The reach is checked again here: a profile saved before the check existed, or a link
    # that changed since it was saved.
    size = snapshot(profile.source.location, folder / name, reach=ctx.reach,
                    secrets=ctx.secrets, headers=profile.source.headers,
                    unpacking=Unpacking(member=profile.source.archive_member,
                                        format=profile.source.format))
    try:
        with open_feed(folder / name, feed_spec(profile.source), profile.feed_fields):
            pass
    except BaseException:
        (folder / name).unlink(missing_ok=True)
        raise
    line = (
        f"started: read {shown_url(profile.source.location)} ({_size(size)}, "
        f"{profile.source.format})"
    )
    return name, line


def _check_opens(ctx: Context, task: Task, spec: TaskSpec) -> None:
    assert spec.run.snapshot is not None
    path = ctx.task_dir(task.id) / spec.run.snapshot
    try:
        with open_feed(path, feed_spec(spec.profile.source), spec.profile.feed_fields):
            pass
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def export_scope(filter_active: bool | None) -> str:
    """What an export's filter keeps, in words: "active products", "every product"."""
    if filter_active is None:
        return "every product"
    return "active products" if filter_active else "inactive products"


def _batch_words(profile: Profile, size: int) -> str:
    return f"{size:,}" + (" (the default)" if profile.batch_size is None else "")


def _size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} bytes"
