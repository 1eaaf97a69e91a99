"""Heartbeat step 2: start pending tasks whose time has come, or settle them as missed or error."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from syncbeat.domain.profile import Profile, feed_fields, field_problems, resolved_batch_size
from syncbeat.domain.statuses import TaskKind, TaskStatus
from syncbeat.domain.task import Task
from syncbeat.engine.context import Context
from syncbeat.engine.rerun import RERUN_OF, reuse_snapshot
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

# An export's spec: the change mark it started from (`Catalog.change_mark`), the mark of the
# profile's last completed export it lists the changes after (None: every product), and that
# export's task (whose remembered stamps it skips).
MARK, SINCE, SINCE_TASK = "_mark", "_since", "_since_task"
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
        # Taken before the export lists anything: every change it may miss is after it.
        mark = (ctx.catalog.change_mark(conn, now)
                if profile and profile.kind is TaskKind.EXPORT else None)
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
    spec: dict[str, Any] = profile.to_dict()
    spec["id"] = profile.id
    # What the task was created with ("run anyway", "re-run what failed") stays with it.
    spec.update({k: v for k, v in (task.spec or {}).items() if k.startswith("_")})
    spec["_run"] = uuid.uuid4().hex  # this run: what a catalog keeps is keyed by it
    spec["_catalog"] = ctx.catalog.location.shown  # every batch works on this catalog
    # The task keeps the number it started with, whatever the default becomes meanwhile.
    spec["batch_size"] = resolved_batch_size(profile, default_batch_size)
    first_line: str
    if profile.kind is TaskKind.IMPORT:
        try:
            if spec.get(RERUN_OF):
                spec["_snapshot"], first_line = reuse_snapshot(ctx, task, spec)
                _check_opens(ctx, task, spec)
            else:
                spec["_snapshot"], first_line = _open_source(ctx, task, profile)
            first_line += f", batch size {_batch_words(profile, spec['batch_size'])}"
        except FeedError as exc:
            return _fail(ctx, task, now, TaskStatus.ERROR, naming_profile(str(exc), profile.id))
        except Exception as exc:  # a reader's own fault must not leave the task pending forever
            log.error("task %s: opening its feed failed", task.id, exc_info=exc)
            reason = (str(exc) or exc.__class__.__name__).splitlines()[0]
            return _fail(
                ctx, task, now, TaskStatus.ERROR, f"the feed could not be opened: {reason}"
            )
    else:
        spec.update(export_marks(since_task, mark, spec["_catalog"]))
        first_line = (f"started: export of {export_scope(profile.filter_active)}"
                      f"{_since_words(since_task, spec)}"
                      f", batch size {_batch_words(profile, spec['batch_size'])}")
    with write_tx(ctx.db) as conn:
        # The profile may have started another task since we looked: never two at once.
        # Its row lock makes two workers starting two of its tasks take turns (PostgreSQL).
        lock_profile(conn, profile_id)
        if active_of_profile(conn, profile_id, TaskStatus.RUNNING):
            won = False
        else:
            won = move_task(conn, task.id, TaskStatus.RUNNING, now=now, spec=spec)
        if won:
            add_log(conn, task.id, now, first_line)
    if not won:
        snap = spec.get("_snapshot")
        if snap:
            (ctx.task_dir(task.id) / snap).unlink(missing_ok=True)
        return f"task {task.id} ({task.profile_name}) was taken by another worker or killed"
    return f"task {task.id} ({task.profile_name}) started"


def feed_spec(profile_spec: dict[str, Any]) -> FeedSpec:
    """The feed settings of an import profile's spec."""
    src = profile_spec["source"]
    return FeedSpec(
        format=src["format"], delimiter=src.get("delimiter", ","),
        quotechar=src.get("quotechar", '"'), encoding=src.get("encoding", "utf-8"),
        header=src.get("header", True), item=src.get("item"), sheet=src.get("sheet"),
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
        with open_feed(folder / name, feed_spec(profile.to_dict()), profile.feed_fields):
            pass
    except BaseException:
        (folder / name).unlink(missing_ok=True)
        raise
    line = (
        f"started: read {shown_url(profile.source.location)} ({_size(size)}, "
        f"{profile.source.format})"
    )
    return name, line


def _check_opens(ctx: Context, task: Task, spec: dict[str, Any]) -> None:
    path = ctx.task_dir(task.id) / spec["_snapshot"]
    try:
        with open_feed(path, feed_spec(spec), feed_fields(spec["match"]["feed"], spec["mapping"])):
            pass
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def export_marks(since_task: Task | None, mark: str | None, catalog: str) -> dict[str, Any]:
    """An export's spec keys: its own mark, and what it lists after. The last export's mark
    counts only when that export worked on the same catalog (marks are the catalog's own)."""
    last = dict(since_task.spec or {}) if since_task else {}
    usable = since_task is not None and last.get(MARK) is not None \
        and last.get("_catalog") == catalog
    return {MARK: mark, SINCE: last[MARK] if usable else None,
            SINCE_TASK: since_task.id if since_task and usable else None}


def _since_words(since_task: Task | None, spec: dict[str, Any]) -> str:
    if since_task is None:
        return ""
    if spec[SINCE] is None:  # an export of an older syncbeat, or of another catalog
        return (f" (not only those changed: the last export, task {since_task.id}, has no "
                "change mark for this catalog)")
    return f" changed since the last export (task {since_task.id})"


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
