"""/api/products: the catalog (built-in or a shop's), searchable; a product with the tasks
that changed it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from syncbeat.domain.ids import MAX_ID
from syncbeat.engine.context import Context
from syncbeat.engine.wording import worded_changes
from syncbeat.store.db import read_tx
from syncbeat.store.history import Change, tasks_that_changed
from syncbeat.web.auth import api_user, context
from syncbeat.web.errors import ApiError, responses

router = APIRouter(prefix="/api/products", tags=["catalog"], dependencies=[Depends(api_user)],
                   responses=responses(401, 403))


def product_page(ctx: Context, search: str | None, limit: int, offset: int
                 ) -> tuple[list[dict[str, Any]], int]:
    """A page of products by reference, and how many match."""
    with read_tx(ctx.db) as conn:
        found = ctx.catalog.browse(conn, search=search, limit=limit, offset=offset)
    return found.products, found.total


def product_history(ctx: Context, key: str) -> tuple[dict[str, Any], list[Change]]:
    """A product and the recent tasks that changed it; 404 if there is no such product."""
    with read_tx(ctx.db) as conn:
        found = None if "\x00" in key else ctx.catalog.show(conn, key)  # PostgreSQL refuses NUL
        if found is None:
            raise ApiError(404, f"no product '{key}'")
        return found, worded_changes(tasks_that_changed(conn, found))


@router.get("", summary="List products")
def list_(
    request: Request,
    search: Annotated[str | None, Query(description="Part of a reference or a name")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> dict[str, Any]:
    """By reference."""
    found, total = product_page(context(request), search, limit, offset)
    return {"products": found, "total": total, "limit": limit, "offset": offset}


@router.get("/{key:path}", summary="Show a product",
            responses=responses(404, _404="No such product"))
def show(request: Request, key: Annotated[str, Path(description="Its reference, or its id",
                                                    examples=["P1"])]) -> dict[str, Any]:
    """By reference (or id), with the recent import tasks that changed it."""
    found, changes = product_history(context(request), key)
    return {
        "product": found,
        "changed_by": [
            {"task_id": c.task.id, "profile": c.task.profile_name, "status": str(c.task.status),
             "scheduled_at": c.task.scheduled_at.isoformat(), "item": c.seq,
             "detail": c.detail}
            for c in changes
        ],
    }
