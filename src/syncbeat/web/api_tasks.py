"""/api/tasks: list with filters, show, kill, delete, log, report, export file, items."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from syncbeat.domain.statuses import ItemOutcome
from syncbeat.engine.actions import delete_task, kill_task
from syncbeat.store.db import read_tx
from syncbeat.store.items import list_items
from syncbeat.store.tasks import SORTABLE
from syncbeat.web.auth import api_user, context
from syncbeat.web.downloads import export_download, log_download, report_download
from syncbeat.web.errors import ApiError
from syncbeat.web.views import (
    admin_zone,
    parse_day,
    task_filter,
    task_json,
    task_or_404,
    task_page,
    tasks_by_ids,
)

router = APIRouter(prefix="/api/tasks", tags=["tasks"], dependencies=[Depends(api_user)])
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such task"}, 409: {"description": "Not in a status that allows it"},
}


@router.get("", summary="List tasks, newest first")
def list_(
    request: Request,
    status: Annotated[list[str], Query(description="pending, missed, killed, running, "
                                                   "error, completed; repeat for several")] = [],  # noqa: B006
    profile: Annotated[str | None, Query(description="A profile's id or name")] = None,
    kind: Annotated[str | None, Query(description="import or export")] = None,
    since: Annotated[str | None, Query(description="Scheduled at or after: a day or a time")]
    = None,
    until: Annotated[str | None, Query(description="Scheduled before the end of this day, or "
                                                   "before this time")] = None,
    sort: Annotated[str, Query(description=", ".join(SORTABLE))] = "id",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Filters as on the Task Manager tab; counters come from the task rows, never counted."""
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


@router.get("/live", summary="The current state of some tasks (the pages' live refresh)")
def live(request: Request, ids: Annotated[str, Query(description="Task ids: 1,2,3")] = ""
         ) -> dict[str, Any]:
    """Small and cheap: one primary-key read per task."""
    try:
        wanted = [int(part) for part in ids.split(",") if part.strip()]
    except ValueError:
        raise ApiError(400, "ids: give task ids separated by commas", "ids") from None
    ctx = context(request)
    now = ctx.clock()
    return {"tasks": [task_json(t, now) for t in tasks_by_ids(ctx, wanted)]}


@router.get("/{task_id}", summary="Show a task", responses=ERRORS)
def show(request: Request, task_id: int) -> dict[str, Any]:
    """Its status, counters, times and the addresses of its files."""
    ctx = context(request)
    return task_json(task_or_404(ctx, task_id), ctx.clock())


@router.post("/{task_id}/kill", summary="Kill a pending or running task", responses=ERRORS)
def kill(request: Request, task_id: int) -> dict[str, Any]:
    """Killed at once; its pending items become cancelled. 409 if it has ended."""
    ctx = context(request)
    result = kill_task(ctx, task_id, by="a user (API)")
    return {"task": task_json(task_or_404(ctx, task_id), ctx.clock()),
            "cancelled": result.cancelled}


@router.delete("/{task_id}", status_code=204, summary="Delete a task", responses=ERRORS)
def delete(request: Request, task_id: int) -> Response:
    """With its items, log and files; a pending or running task is killed first."""
    delete_task(context(request), task_id)
    return Response(status_code=204)


@router.get("/{task_id}/log", summary="The actions log (text)", responses=ERRORS,
            response_class=Response)
def log(request: Request, task_id: int) -> Response:
    """Streamed as text/plain."""
    ctx = context(request)
    return log_download(ctx, task_or_404(ctx, task_id))


@router.get("/{task_id}/report", summary="The report (CSV)", responses=ERRORS,
            response_class=Response)
def report(request: Request, task_id: int) -> Response:
    """One row per queued product: item, key, outcome, detail. Streamed as text/csv."""
    ctx = context(request)
    return report_download(ctx, task_or_404(ctx, task_id))


@router.get("/{task_id}/export-file", summary="The export file (JSON)", responses=ERRORS,
            response_class=Response)
def export_file(request: Request, task_id: int) -> Response:
    """Exports only (404 for an import); 409 until the export has written it."""
    ctx = context(request)
    return export_download(ctx, task_or_404(ctx, task_id))


@router.get("/{task_id}/items", summary="A task's items, in feed order", responses=ERRORS)
def items(
    request: Request, task_id: int,
    outcome: Annotated[str | None, Query(description="pending, processed, skipped, "
                                                     "cancelled or error")] = None,
    after: Annotated[int, Query(ge=0, description="Items after this number (the next page "
                                                  "starts after the last one shown)")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Paginated by item number: pass the last `seq` as `after` for the next page."""
    ctx = context(request)
    task = task_or_404(ctx, task_id)
    wanted = _outcome(outcome)
    with read_tx(ctx.db) as conn:
        found = list_items(conn, task.id, task.status, outcome=wanted, after=after, limit=limit)
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
