"""A task's files as downloads, streamed: a million-item report never sits in memory."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import FileResponse, StreamingResponse

from syncbeat.domain.statuses import TaskKind
from syncbeat.domain.task import Task
from syncbeat.engine.artifacts import log_lines, report_lines
from syncbeat.engine.context import Context
from syncbeat.engine.finish import export_format, export_path
from syncbeat.feeds.export_formats import CONTENT_TYPES
from syncbeat.web.errors import ApiError


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename=\"{name}\"; "
                                   f"filename*=UTF-8''{quote(name)}"}


def log_download(ctx: Context, task: Task) -> StreamingResponse:
    """The actions log as a text file."""
    return StreamingResponse(log_lines(ctx.db, task), media_type="text/plain; charset=utf-8",
                             headers=_attachment(f"syncbeat-task-{task.id}-log.txt"))


def report_download(ctx: Context, task: Task) -> StreamingResponse:
    """The report as a CSV file."""
    return StreamingResponse(report_lines(ctx.db, task), media_type="text/csv; charset=utf-8",
                             headers=_attachment(f"syncbeat-task-{task.id}-report.csv"))


def export_download(ctx: Context, task: Task) -> FileResponse:
    """The file (JSON, CSV or XML) an export wrote; 404 for an import, 409 while it is not
    written yet."""
    if task.kind is not TaskKind.EXPORT:
        raise ApiError(404, f"task {task.id} is an import: only exports have an export file")
    how = export_format(task)
    path = export_path(ctx, task, how)
    if not path.is_file():
        raise ApiError(409, f"task {task.id} is {task.status} and has no export file yet")
    fmt = how.format
    return FileResponse(path, media_type=CONTENT_TYPES[fmt],
                        filename=f"syncbeat-task-{task.id}-export.{fmt}")
