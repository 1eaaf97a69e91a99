"""Read queries on the built-in catalog for the faces (lists, a product, counts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.domain.ids import parse_id
from syncbeat.store.catalog_changes import next_change
from syncbeat.store.tables import products


def _as_dict(row: Any) -> dict[str, Any]:
    m = dict(row._mapping)
    m.pop("change_seq", None)  # the catalog's own bookkeeping, not the product's
    m["price"] = format(m["price"], "f")
    m["active"] = bool(m["active"])
    if isinstance(m.get("updated_at"), datetime):
        m["updated_at"] = m["updated_at"].isoformat()
    return m


def _search(query: Any, search: str | None) -> Any:
    if search:  # `%` and `_` in what people type are themselves, not wildcards
        text = search.strip()
        query = query.where(sa.or_(products.c.reference.icontains(text, autoescape=True),
                                   products.c.name.icontains(text, autoescape=True)))
    return query


def list_products(
    conn: Connection, *, search: str | None = None, limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    """Products by reference, optionally those whose reference or name contains `search`."""
    query = _search(sa.select(products), search)
    query = query.order_by(products.c.reference).limit(limit).offset(offset)
    return [_as_dict(row) for row in conn.execute(query)]


def count_products(conn: Connection, *, search: str | None = None) -> int:
    """How many products (match `search`)."""
    query = _search(sa.select(sa.func.count()).select_from(products), search)
    return int(conn.execute(query).scalar_one())


def get_product(conn: Connection, key: str) -> dict[str, Any] | None:
    """A product by reference, or by id when `key` is a number and no reference matches."""
    row = conn.execute(sa.select(products).where(products.c.reference == key)).first()
    product_id = parse_id(key) if row is None else None
    if product_id is not None:
        row = conn.execute(sa.select(products).where(products.c.id == product_id)).first()
    return _as_dict(row) if row else None


def insert_products(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Add products in one statement (the demo and the benchmark build catalogs with it)."""
    if rows:
        change = next_change(conn)
        conn.execute(sa.insert(products), [{**row, "change_seq": change} for row in rows])
