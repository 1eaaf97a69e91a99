"""The built-in catalog's products missing from a feed: the products a [scope] holds, those no
item of a task lists (one anti-join with the items), and what `[options] missing` does to them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.catalog.base import MissingError, Product
from syncbeat.domain.catalog_fields import ATTRIBUTE_PREFIX
from syncbeat.domain.missing import Scope
from syncbeat.store.catalog_changes import next_change
from syncbeat.store.tables import items, products

TEXT_COLUMNS = ("reference", "ean13", "name")  # the columns a scope may test


def _scope_clause(scope: Scope | None) -> Any:
    if scope is None:
        return sa.true()
    if scope.field in TEXT_COLUMNS:
        column: Any = products.c[scope.field]
    elif scope.field.startswith(ATTRIBUTE_PREFIX):
        column = products.c.attributes[scope.field.removeprefix(ATTRIBUTE_PREFIX)].as_string()
    else:
        raise MissingError(f"scope.field: the built-in catalog tests only {', '.join(TEXT_COLUMNS)}"
                         f" or attributes.NAME, not '{scope.field}'")
    if scope.prefix is not None:
        # substr, not LIKE: SQLite's LIKE ignores case, and a prefix may hold % or _.
        return sa.func.substr(column, 1, len(scope.prefix)) == scope.prefix
    return column == scope.equals


def _query(match: str, scope: Scope | None, fields: Sequence[str]) -> Any:
    key = products.c[match]
    wanted = [products.c[name] for name in fields if name != match]
    return (
        sa.select(products.c.id, key, *wanted)
        .where(_scope_clause(scope), key.is_not(None), key != "")
        .order_by(products.c.id)
    )


def _products(conn: Connection, query: Any, match: str, fields: Sequence[str]) -> list[Product]:
    names = [match, *[name for name in fields if name != match]]
    found = []
    for row in conn.execute(query):
        values = dict(zip(names, row[1:], strict=True))
        if "active" in values:
            values["active"] = bool(values["active"])
        found.append(Product(int(row[0]), values))
    return found


def scope_products(
    conn: Connection, *, match: str, scope: Scope | None, fields: Sequence[str], after_id: int,
    limit: int,
) -> list[Product]:
    """See `Catalog.scope_products`."""
    query = _query(match, scope, fields).where(products.c.id > after_id).limit(limit)
    return _products(conn, query, match, fields)


def unlisted_products(
    conn: Connection, task_id: int, *, match: str, scope: Scope | None, fields: Sequence[str],
    limit: int,
) -> list[Product]:
    """See `Catalog.unlisted_products`."""
    key = products.c[match]
    if conn.dialect.name == "postgresql":
        # A hash anti-join: NOT IN would test each product against every key once its
        # subquery outgrows work_mem.
        listed = sa.exists().where(items.c.task_id == task_id, items.c.key == key)
        clause = ~listed
    else:
        # SQLite builds an index of the subquery once: NOT EXISTS would scan the items for
        # every product (the items have no index on their key).
        keys = sa.select(items.c.key).where(items.c.task_id == task_id,
                                            items.c.key.is_not(None))
        clause = key.not_in(keys)
    query = _query(match, scope, fields).where(clause).limit(limit)
    return _products(conn, query, match, fields)


def apply_missing(conn: Connection, mode: str, ids: Sequence[int], now: datetime) -> None:
    """See `Catalog.apply_missing`."""
    if not ids:
        return
    chosen = products.c.id.in_(list(ids))
    if mode == "delete":
        conn.execute(sa.delete(products).where(chosen))
    elif mode == "zero_stock":
        conn.execute(sa.update(products).where(chosen, products.c.quantity != 0)
                     .values(quantity=0, updated_at=now, change_seq=next_change(conn)))
    elif mode == "disable":
        conn.execute(sa.update(products).where(chosen, products.c.active.is_(True))
                     .values(active=False, updated_at=now, change_seq=next_change(conn)))
    else:
        raise ValueError(f"no products are acted on when missing is {mode!r}")
