"""/api/tasks: list with filters, show, kill, delete, log, report, export file, items."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from syncbeat.domain.ids import MAX_ID, parse_id
from syncbeat.domain.statuses import ItemOutcome, TaskKind, TaskStatus
from syncbeat.engine.actions import delete_task, kill_task
from syncbeat.engine.rerun import rerun_failed
from syncbeat.engine.wording import read_items
from syncbeat.store.db import read_tx
from syncbeat.store.tasks import SORTABLE
from syncbeat.web.auth import Principal, api_user, context
from syncbeat.web.downloads import export_download, log_download, report_download
from syncbeat.web.errors import ApiError, responses
from syncbeat.web.views import (
    TaskId,
    admin_zone,
    parse_day,
    task_filter,
    task_id_or_404,
    task_json,
    task_or_404,
    task_page,
    tasks_by_ids,
)

router = APIRouter(prefix="/api/tasks", tags=["tasks"], dependencies=[Depends(api_user)],
                   responses=responses(401, 403))
ERRORS = responses(404, _404="No such task")
CHANGE_ERRORS = responses(404, 409, _404="No such task",
                          _409="Not in a status that allows it")
OUTCOMES = {"enum": [o.label for o in ItemOutcome]}


def _file(media_type: str, what: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": what, "content": {media_type: {"schema": {"type": "string"}}}},
            **ERRORS}


@router.get("", summary="List tasks, newest first", responses=responses(400))
def list_(
    request: Request,
    status: Annotated[list[TaskStatus], Query(description="Repeat for several")] = [],  # noqa: B006
    profile: Annotated[str | None, Query(description="A profile's id or name")] = None,
    kind: Annotated[TaskKind | None, Query()] = None,
    since: Annotated[str | None, Query(description="Scheduled at or after: a day or a time")]
    = None,
    until: Annotated[str | None, Query(description="Scheduled before the end of this day, or "
                                                   "before this time")] = None,
    sort: Annotated[str, Query(json_schema_extra={"enum": list(SORTABLE)})] = "id",
    order: Annotated[str, Query(json_schema_extra={"enum": ["asc", "desc"]})] = "desc",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> dict[str, Any]:
    """Filters as on the Task Manager tab; counters come from the task rows, never counted."""
    if order not in ("asc", "desc"):
        raise ApiError(400, f"order: '{order}' is neither asc nor desc", "order")
    ctx = context(request)
    tz = admin_zone(ctx)
    filt = task_filter(status=status, profile=profile, kind=kind,
                       since=parse_day(since, "since", tz),
                       until=parse_day(until, "until", tz, end=True))
    found = task_page(ctx, filt, limit=limit, offset=offset, sort=sort,
                      descending=order == "desc")
    now = ctx.clock()
    return {"tasks": [task_json(t, now) for t in found.tasks], "total": found.total,
            "limit": found.limit, "offset": found.offset}


@router.get("/live", summary="The current state of some tasks (the pages' live refresh)",
            responses=responses(400))
def live(request: Request, ids: Annotated[str, Query(description="Task ids: 1,2,3")] = ""
         ) -> dict[str, Any]:
    """Small and cheap: one primary-key read per task; ids that no task has are left out."""
    wanted = [parse_id(part.strip()) for part in ids.split(",") if part.strip()]
    if None in wanted:
        raise ApiError(400, "ids: give task ids (whole numbers) separated by commas", "ids")
    ctx = context(request)
    now = ctx.clock()
    return {"tasks": [task_json(t, now) for t in tasks_by_ids(ctx, [i for i in wanted if i])]}


@router.get("/{task_id}", summary="Show a task", responses=ERRORS)
def show(request: Request, task_id: TaskId) -> dict[str, Any]:
    """Its status, counters, times and the addresses of its files."""
    ctx = context(request)
    return task_json(task_or_404(ctx, task_id), ctx.clock())


@router.post("/{task_id}/kill", summary="Kill a pending or running task",
             responses=CHANGE_ERRORS)
def kill(request: Request, task_id: TaskId,
         who: Annotated[Principal, Depends(api_user)]) -> dict[str, Any]:
    """Killed at once; its pending items become cancelled. 409 if it has ended."""
    ctx = context(request)
    result = kill_task(ctx, task_id_or_404(task_id), by=f"{who.name} (API)")
    return {"task": task_json(task_or_404(ctx, task_id), ctx.clock()),
            "cancelled": result.cancelled}


@router.post("/{task_id}/rerun", status_code=201,
             summary="Re-run the items of an ended import that failed", responses=CHANGE_ERRORS)
def rerun(
    request: Request, task_id: TaskId,
    errors_only: Annotated[bool, Query(description="Only the items in error, not the "
                                                   "cancelled ones")] = False,
) -> dict[str, Any]:
    """A new task of the same profile, working only the items of this task that ended in
    error (or were cancelled), read again from the same copy of the feed; its `rerun_of`
    names this task. 409 if this task is active, has no such items, or kept no feed."""
    ctx = context(request)
    new_id = rerun_failed(ctx, task_id_or_404(task_id), errors_only=errors_only)
    return {"task": task_json(task_or_404(ctx, new_id), ctx.clock())}


@router.delete("/{task_id}", status_code=204, summary="Delete a task",
               responses=CHANGE_ERRORS)
def delete(request: Request, task_id: TaskId) -> Response:
    """With its items, log and files; a pending or running task is killed first."""
    delete_task(context(request), task_id_or_404(task_id))
    return Response(status_code=204)


@router.get("/{task_id}/log", summary="The actions log (text)",
            responses=_file("text/plain", "The actions log, one line per action"),
            response_class=Response)
def log(request: Request, task_id: TaskId) -> Response:
    """Streamed as text/plain."""
    ctx = context(request)
    return log_download(ctx, task_or_404(ctx, task_id))


@router.get("/{task_id}/report", summary="The report (CSV)",
            responses=_file("text/csv", "One row per queued product"),
            response_class=Response)
def report(request: Request, task_id: TaskId) -> Response:
    """One row per queued product: item, key, outcome, detail. Streamed as text/csv."""
    ctx = context(request)
    return report_download(ctx, task_or_404(ctx, task_id))


@router.get("/{task_id}/export-file", summary="The export file (JSON, CSV or XML)",
            responses={**_file("application/json", "The JSON document the export wrote "
                               "(text/csv or application/xml for a CSV or XML export)"),
                       **CHANGE_ERRORS},
            response_class=Response)
def export_file(request: Request, task_id: TaskId) -> Response:
    """Exports only (404 for an import); 409 until the export has written it."""
    ctx = context(request)
    return export_download(ctx, task_or_404(ctx, task_id))


@router.get("/{task_id}/items", summary="A task's items, in feed order",
            responses={**ERRORS, **responses(400)})
def items(
    request: Request, task_id: TaskId,
    outcome: Annotated[str | None, Query(json_schema_extra=OUTCOMES)] = None,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="Items after this number (the "
                                                             "next page starts after the last "
                                                             "one shown)")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Paginated by item number: pass the last `seq` as `after` for the next page."""
    ctx = context(request)
    task = task_or_404(ctx, task_id)
    wanted = _outcome(outcome)
    with read_tx(ctx.db) as conn:
        found = read_items(conn, task, outcome=wanted, after=after, limit=limit)
    return {
        "task_id": task.id,
        "items": [{"seq": i.seq, "key": i.key, "input": i.input, "outcome": i.outcome.label,
                   "detail": i.detail} for i in found],
        "next_after": found[-1].seq if len(found) == limit else None,
    }


def _outcome(word: str | None) -> ItemOutcome | None:
    if not word:
        return None
    try:
        return ItemOutcome.from_label(word)
    except ValueError as exc:
        raise ApiError(400, f"outcome: {exc}", "outcome") from None
