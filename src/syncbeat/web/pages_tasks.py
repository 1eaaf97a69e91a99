"""The Task Manager tab: the grid of tasks, a page per task, and the actions on them."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from syncbeat.domain.ids import MAX_ID, parse_id
from syncbeat.domain.profile import Profile
from syncbeat.domain.statuses import ACTIVE_STATUSES, ItemOutcome, TaskKind, TaskStatus
from syncbeat.domain.task import Task
from syncbeat.domain.taskspec import TaskSpec
from syncbeat.engine.actions import ActionError, delete_task, kill_task, run_now
from syncbeat.engine.codec import decode
from syncbeat.engine.context import Context
from syncbeat.engine.rerun import rerun_failed
from syncbeat.engine.wording import read_items
from syncbeat.store.db import read_tx
from syncbeat.store.logs import tail_log
from syncbeat.store.profiles import list_profiles
from syncbeat.store.tasks import SORTABLE
from syncbeat.web.auth import Principal, context, page_user
from syncbeat.web.csrf import checked_form
from syncbeat.web.downloads import export_download, log_download, report_download
from syncbeat.web.errors import ApiError
from syncbeat.web.loglines import shown_lines
from syncbeat.web.templating import go, page
from syncbeat.web.views import (
    admin_zone,
    live_seconds,
    parse_day,
    task_filter,
    task_id_or_404,
    task_or_404,
    task_page,
)

router = APIRouter(include_in_schema=False)
User = Annotated[Principal, Depends(page_user)]
Form = Annotated[FormData, Depends(checked_form)]
PER_PAGE = (25, 50, 100, 200)
ITEMS_PER_PAGE = 50
COLUMNS = [("id", "ID"), ("profile_name", "Profile"), (None, "Kind"), ("status", "Status"),
           (None, "Progress"), ("scheduled_at", "Scheduled At"), ("started_at", "Started At"),
           ("finished_at", "Finished At"), (None, "Duration")]


@router.get("/tasks", response_class=HTMLResponse)
def grid(
    request: Request, who: User,
    status: Annotated[list[str], Query()] = [],  # noqa: B006
    profile: str = "", kind: str = "", date_from: str = "", date_to: str = "",
    sort: str = "id", order: str = "desc",
    page_no: Annotated[int, Query(alias="page", ge=1, le=MAX_ID)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> HTMLResponse:
    """Tasks newest first, filtered, sorted and paged on the server."""
    ctx = context(request)
    tz = admin_zone(ctx)
    filt = task_filter(status=status, profile=profile, kind=kind,
                       since=parse_day(date_from, "date_from", tz),
                       until=parse_day(date_to, "date_to", tz, end=True))
    sort = sort if sort in SORTABLE else "id"
    found = task_page(ctx, filt, limit=per_page, offset=(page_no - 1) * per_page, sort=sort,
                      descending=order != "asc")
    params = {"status": [s for s in status if s], "profile": profile, "kind": kind,
              "date_from": date_from, "date_to": date_to, "sort": sort, "order": order,
              "per_page": per_page}
    pages = max(1, -(-found.total // per_page))
    return page(request, who, "tasks.html", active="tasks", tasks=found.tasks,
                total=found.total, page_no=page_no, pages=pages, params=params,
                link=lambda **change: _link(params, change), columns=COLUMNS,
                statuses=[str(s) for s in TaskStatus], profiles=_profiles(ctx),
                per_page_choices=PER_PAGE, here=str(request.url.path) + _query(request),
                live_seconds=lambda t: live_seconds(t, ctx.clock()), is_active=_is_active)


def _profiles(ctx: Context) -> list[Profile]:
    """The profiles' ids and names for the filters (no next runs, no last tasks)."""
    with read_tx(ctx.db) as conn:
        return list_profiles(conn)


def _query(request: Request) -> str:
    return f"?{request.url.query}" if request.url.query else ""


def _link(params: dict[str, Any], change: dict[str, Any]) -> str:
    merged = {**params, **change}
    return "/tasks?" + urlencode({k: v for k, v in merged.items() if v not in ("", None, [])},
                                 doseq=True)


def _is_active(task: Task) -> bool:
    return task.status in ACTIVE_STATUSES


@router.post("/tasks/{task_id}/kill")
def kill(request: Request, who: User, form: Form, task_id: str) -> Response:
    """Kill a pending or running task."""
    back = _back(form, f"/tasks/{task_id}")
    try:
        result = kill_task(context(request), task_id_or_404(task_id), by=who.name)
    except ActionError as exc:
        return go(request, back, str(exc))
    return go(request, back, f"task {task_id} killed; {result.cancelled:,} pending items "
                             "cancelled")


@router.post("/tasks/{task_id}/delete")
def delete(request: Request, who: User, form: Form, task_id: str) -> Response:
    """Delete a task with its items, log and files."""
    delete_task(context(request), task_id_or_404(task_id))
    back = _back(form, "/tasks")
    return go(request, "/tasks" if back.startswith(f"/tasks/{task_id}") else back,
              f"task {task_id} deleted")


@router.post("/tasks/delete")
def delete_many(request: Request, who: User, form: Form) -> Response:
    """Delete the selected tasks."""
    ctx = context(request)
    found = [parse_id(v) for v in form.getlist("ids") if isinstance(v, str)]
    ids = [task_id for task_id in found if task_id is not None]
    if not ids:
        return go(request, _back(form, "/tasks"), "select the tasks to delete first")
    gone = 0
    for task_id in ids:
        try:
            delete_task(ctx, task_id)
            gone += 1
        except ActionError:
            pass  # deleted meanwhile by someone else
    return go(request, _back(form, "/tasks"), f"{gone} task{'s' if gone != 1 else ''} deleted")


@router.post("/tasks/{task_id}/rerun")
def rerun(request: Request, who: User, form: Form, task_id: str) -> Response:
    """Re-run the items of an ended import that failed (errors only, if asked)."""
    back = _back(form, f"/tasks/{task_id}")
    try:
        new_id = rerun_failed(context(request), task_id_or_404(task_id),
                              errors_only=form.get("errors_only") == "1")
    except ActionError as exc:
        return go(request, back, str(exc))
    return go(request, f"/tasks/{new_id}", f"task {new_id} created: it re-runs what failed in "
                                           f"task {task_id}, from the next heartbeat")


@router.post("/run")
def run(request: Request, who: User, form: Form) -> Response:
    """Run a profile now (from the Task Manager or the Profiles tab); "Run anyway" on a task
    refused by a safety limit posts force=1."""
    ref = str(form.get("profile") or "")
    if not ref:
        return go(request, _back(form, "/tasks"), "choose a profile to run")
    try:
        task_id = run_now(context(request), ref, force=form.get("force") == "1")
    except ActionError as exc:
        return go(request, _back(form, "/tasks"), str(exc))
    return go(request, _back(form, "/tasks"), f"task {task_id} created: it starts at the "
                                               "next heartbeat")


def _back(form: FormData, default: str) -> str:
    value = form.get("next")
    return value if isinstance(value, str) and value else default


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
def detail(
    request: Request, who: User, task_id: str, outcome: str = "",
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> HTMLResponse:
    """A task's fields, the tail of its log, and its items."""
    ctx = context(request)
    task = task_or_404(ctx, task_id)
    wanted = None
    if outcome:
        try:
            wanted = ItemOutcome.from_label(outcome)
        except ValueError as exc:
            raise ApiError(400, str(exc), "outcome") from None
    with read_tx(ctx.db) as conn:
        log = shown_lines(tail_log(conn, task.id, 30))
        items = read_items(conn, task, outcome=wanted, after=after, limit=ITEMS_PER_PAGE)
    spec = task.started_spec()
    columns = _input_columns(spec)
    return page(
        request, who, "task.html", active="tasks", task=task, log=log, items=items,
        outcome=outcome, after=after, columns=columns,
        next_after=items[-1].seq if len(items) == ITEMS_PER_PAGE else None,
        outcomes=[o.label for o in ItemOutcome], inputs=lambda raw: _inputs(columns, raw),
        duration=live_seconds(task, ctx.clock()), is_active=_is_active(task),
        key_links=spec is not None and spec.profile.match_catalog == "reference",
        here=f"/tasks/{task.id}",
    )


def _input_columns(spec: TaskSpec | None) -> list[str]:
    if spec is not None and spec.kind is TaskKind.IMPORT:
        return spec.profile.feed_fields
    return ["product id"]


def _inputs(columns: list[str], raw: str | None) -> list[tuple[str, str]]:
    if raw is None:
        return []
    try:
        values = decode(raw)
    except ValueError:
        return [(columns[0], raw)]
    return [(name, "" if v is None else str(v)) for name, v in zip(columns, values, strict=False)]


@router.get("/tasks/{task_id}/log")
def log(request: Request, who: User, task_id: str) -> Response:
    """Download the actions log."""
    ctx = context(request)
    return log_download(ctx, task_or_404(ctx, task_id))


@router.get("/tasks/{task_id}/report")
def report(request: Request, who: User, task_id: str) -> Response:
    """Download the report."""
    ctx = context(request)
    return report_download(ctx, task_or_404(ctx, task_id))


@router.get("/tasks/{task_id}/export-file")
def export_file(request: Request, who: User, task_id: str) -> Response:
    """Download the export file."""
    ctx = context(request)
    return export_download(ctx, task_or_404(ctx, task_id))
