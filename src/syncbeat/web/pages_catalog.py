"""The Catalog page: products searchable by reference and name; a product's history."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from syncbeat.domain.ids import MAX_ID
from syncbeat.web.api_catalog import product_history, product_page
from syncbeat.web.auth import Principal, context, page_user
from syncbeat.web.templating import page

router = APIRouter(include_in_schema=False)
User = Annotated[Principal, Depends(page_user)]
PER_PAGE = 50


@router.get("/catalog", response_class=HTMLResponse)
def catalog(request: Request, who: User, q: str = "",
            page_no: Annotated[int, Query(alias="page", ge=1, le=MAX_ID)] = 1) -> HTMLResponse:
    """Products by reference, 50 a page."""
    found, total = product_page(context(request), q.strip() or None, PER_PAGE,
                                (page_no - 1) * PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    return page(request, who, "catalog.html", active="catalog", products=found, total=total,
                q=q, page_no=page_no, pages=pages,
                link=lambda n: "/catalog?" + urlencode({"q": q, "page": n} if q else {"page": n}))


@router.get("/catalog/{key:path}", response_class=HTMLResponse)
def product(request: Request, who: User, key: str) -> HTMLResponse:
    """A product and the tasks that changed it."""
    found, changes = product_history(context(request), key)
    return page(request, who, "product.html", active="catalog", product=found, changes=changes)
