"""What the pages and the API both show, from the same store queries: task lists, tasks,
profiles with their next runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Path

from syncbeat.domain.ids import MAX_ID, parse_id
from syncbeat.domain.profile import Profile
from syncbeat.domain.schedule import (
    ScheduleError,
    describe,
    in_zone,
    occurrences,
    shown_in_zone,
)
from syncbeat.domain.statuses import TaskKind, TaskStatus
from syncbeat.domain.task import Task
from syncbeat.engine.context import Context
from syncbeat.engine.errors import NotFound
from syncbeat.engine.profiles import find_profile, shown_settings
from syncbeat.store.db import read_tx
from syncbeat.store.profiles import list_profiles
from syncbeat.store.settings import load_settings
from syncbeat.store.tasks import SORTABLE, TaskFilter, count_tasks, get_task, list_tasks
from syncbeat.store.tasks import last_task_of_profiles as _last_tasks
from syncbeat.web.errors import ApiError

MAX_PAGE = 500


def id_path(description: str) -> Any:
    """A row id in a URL: documented as an integer, taken as text so that anything else
    (abc, ¹, 0, 10**30) is a 404 like any unknown id, never a 400 or a 500."""
    return Path(description=description, examples=[1],
                json_schema_extra={"type": "integer", "minimum": 1, "maximum": MAX_ID})


TaskId = Annotated[str, id_path("A task's id")]


def profile_id_in_path(profile_id: str) -> int:
    """The profile id of a page's address (/profiles/ID/...); a 404 if it cannot be one."""
    found = parse_id(profile_id)
    if found is None:
        raise ApiError(404, f"no profile '{profile_id}': a profile's id is a whole number")
    return found


ProfileId = Annotated[int, Depends(profile_id_in_path)]


@dataclass(frozen=True, kw_only=True)
class TaskPage:
    tasks: list[Task]
    total: int
    limit: int
    offset: int


def admin_zone(ctx: Context) -> ZoneInfo:
    """The time zone of the Configure tab: dates typed in filters are days there."""
    with read_tx(ctx.db) as conn:
        return ZoneInfo(load_settings(conn).timezone)


def parse_day(text: str | None, field: str, tz: ZoneInfo, *, end: bool = False
              ) -> datetime | None:
    """"2026-11-02" (a day in the admin's zone; its end if `end`) or an ISO time, in UTC."""
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text) + (timedelta(days=1) if end else timedelta())
            return datetime.combine(day, time(), tzinfo=tz)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, f"{field}: '{text}' is neither a day (2026-11-02) nor a time "
                            "(2026-11-02T09:00:00+00:00)", field) from None
    except OverflowError:  # the day after 9999-12-31
        raise ApiError(400, f"{field}: '{text}' is past the last day syncbeat can count "
                            "(9999-12-30)", field) from None
    return value if value.tzinfo else value.replace(tzinfo=tz)


def task_filter(*, status: Sequence[str], profile: str | None, kind: str | None,
                since: datetime | None, until: datetime | None) -> TaskFilter:
    """A TaskFilter from request parameters; ApiError(400) names a bad one."""
    statuses = [s for s in status if s]
    for word in statuses:
        if word not in {str(s) for s in TaskStatus}:
            raise ApiError(400, f"status: '{word}' is not one of "
                                f"{', '.join(str(s) for s in TaskStatus)}", "status")
    if kind and kind not in {str(k) for k in TaskKind}:
        raise ApiError(400, f"kind: '{kind}' is neither import nor export", "kind")
    return TaskFilter(status=tuple(statuses), profile=profile or None, kind=kind or None,
                      since=since, until=until)


def task_page(ctx: Context, filt: TaskFilter, *, limit: int, offset: int, sort: str,
              descending: bool) -> TaskPage:
    """A page of tasks and how many match; counters come from the task rows."""
    if sort not in SORTABLE:
        raise ApiError(400, f"sort: '{sort}' is not one of {', '.join(SORTABLE)}", "sort")
    limit = max(1, min(limit, MAX_PAGE))
    with read_tx(ctx.db) as conn:
        found = list_tasks(conn, filt, limit=limit, offset=max(offset, 0), sort=sort,
                           descending=descending)
        total = count_tasks(conn, filt)
    return TaskPage(tasks=found, total=total, limit=limit, offset=offset)


def task_id_or_404(text: str) -> int:
    """A task id from a URL or a form; a 404 if it cannot be one."""
    found = parse_id(text)
    if found is None:
        raise ApiError(404, f"no task '{text}': a task's id is a whole number")
    return found


def task_or_404(ctx: Context, task_id: int | str) -> Task:
    """The task, or a 404."""
    wanted = task_id_or_404(task_id) if isinstance(task_id, str) else task_id
    with read_tx(ctx.db) as conn:
        found = get_task(conn, wanted)
    if found is None:
        raise ApiError(404, f"no task {wanted}")
    return found


def tasks_by_ids(ctx: Context, ids: Sequence[int]) -> list[Task]:
    """The tasks among `ids` that still exist (the live refresh of a page)."""
    with read_tx(ctx.db) as conn:
        found = [get_task(conn, task_id) for task_id in ids[:MAX_PAGE]]
    return [t for t in found if t is not None]


def live_seconds(task: Task, now: datetime) -> float | None:
    """Its duration; for a running task, how long it has run so far."""
    if task.duration is not None:
        return task.duration.total_seconds()
    if task.started_at and task.status is TaskStatus.RUNNING:
        return max((now - task.started_at).total_seconds(), 0.0)
    return None


def task_json(task: Task, now: datetime) -> dict[str, Any]:
    """A task as the API returns it, with the addresses of its files."""
    data = task.as_dict()
    data["duration_seconds"] = live_seconds(task, now)
    base = f"/api/tasks/{task.id}"
    data["links"] = {"log": f"{base}/log", "report": f"{base}/report", "items": f"{base}/items"}
    if task.kind is TaskKind.EXPORT:
        data["links"]["export_file"] = f"{base}/export-file"
    return data


def profile_or_404(ctx: Context, ref: str) -> Profile:
    """A profile by id or name, or a 404."""
    try:
        return find_profile(ctx, ref)
    except NotFound as exc:
        raise ApiError(404, str(exc)) from None


def next_runs(profile: Profile, now: datetime, count: int = 5) -> list[datetime]:
    """The next occurrences of an enabled profile's schedule."""
    if not profile.schedule or not profile.enabled:
        return []
    try:
        return occurrences(profile.schedule, profile.timezone, now, count)
    except ScheduleError:
        return []


@dataclass(frozen=True, kw_only=True)
class ProfileRow:
    profile: Profile
    next_run: datetime | None
    last_task: Task | None

    @property
    def next_run_local(self) -> str:
        """The next run as the profile's own zone reads it, with the offset."""
        return shown_in_zone(self.next_run, self.profile.timezone, "%Y-%m-%d %H:%M") \
            if self.next_run else ""

    @property
    def schedule_words(self) -> str:
        """The schedule in words, or how it runs without one."""
        return describe(self.profile.schedule) if self.profile.schedule else "By hand only"


def profile_rows(ctx: Context) -> list[ProfileRow]:
    """Every profile with its next run and its last task."""
    now = ctx.clock()
    with read_tx(ctx.db) as conn:
        found = list_profiles(conn)
        last = _last_tasks(conn)
    return [
        ProfileRow(profile=p, next_run=next((at for at in next_runs(p, now, 1)), None),
                   last_task=last.get(p.id or 0))
        for p in found
    ]


def profile_json(profile: Profile, now: datetime, last_task: Task | None = None
                 ) -> dict[str, Any]:
    """A profile as the API returns it: its settings, its schedule in words, its next runs."""
    data: dict[str, Any] = {"id": profile.id, **shown_settings(profile)}
    data["schedule_words"] = describe(profile.schedule) if profile.schedule else None
    data["next_runs"] = [in_zone(at, profile.timezone).isoformat()
                         for at in next_runs(profile, now)]
    data["last_task"] = (
        {"id": last_task.id, "status": str(last_task.status)} if last_task else None
    )
    return data
