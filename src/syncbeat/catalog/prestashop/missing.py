"""The PrestaShop catalog's products missing from a feed: the shop's products a [scope] holds,
and their stock set to 0 or their product made inactive, written by the catalog's own `apply`
(so the shop stores them as it stores any import's). Deleting a shop's product is not done
here: PrestaShop keeps a product in many tables (images, carts, orders refer to it); disable
it instead."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from syncbeat.catalog.base import MissingError, Product
from syncbeat.catalog.prestashop.fields import SHOP_FIELDS, is_combination_match
from syncbeat.domain.missing import Scope

if TYPE_CHECKING:
    from syncbeat.catalog.prestashop.catalog import PrestashopCatalog

WRITES: dict[str, dict[str, Any]] = {"zero_stock": {"quantity": 0}, "disable": {"active": False}}


def _column(name: str, what: str) -> str:
    field = SHOP_FIELDS.get(name)
    if field is None or field.product == "NULL" or is_combination_match(name):
        raise MissingError(f"{what}: the PrestaShop catalog cannot test '{name}' of a product")
    return field.product


def scope_products(
    catalog: PrestashopCatalog, *, match: str, scope: Scope | None, fields: Sequence[str],
    after_id: int, limit: int,
) -> list[Product]:
    """See `Catalog.scope_products`."""
    from syncbeat.catalog.prestashop.catalog import _value

    key = _column(match, "match.catalog")
    names = [match, *[name for name in fields if name != match]]
    exprs = [_column(name, "options.missing") for name in names]
    where = ["p.id_product > %s", f"{key} IS NOT NULL", f"{key} <> ''"]
    params: list[Any] = [after_id]
    if scope is not None:
        column = _column(scope.field, "scope.field")
        if scope.prefix is not None:
            where.append(f"LEFT({column}, %s) = %s")
            params += [len(scope.prefix), scope.prefix]
        else:
            where.append(f"{column} = %s")
            params.append(scope.equals)
    with catalog.transaction() as shop_conn:
        s = catalog.shop(shop_conn)
        sql = (f"SELECT p.id_product, {', '.join(exprs)} {catalog._from(False)} "
               f"WHERE {' AND '.join(where)} ORDER BY p.id_product LIMIT %s")
        rows = shop_conn.exec_driver_sql(sql, (*catalog._joins(s), *params, limit))
        return [Product(int(row[0]), {n: _value(n, v, s)
                                      for n, v in zip(names, row[1:], strict=True)})
                for row in rows]


def apply_missing(
    catalog: PrestashopCatalog, conn: Connection, mode: str, ids: Sequence[int], now: datetime
) -> dict[int, str]:
    """See `Catalog.apply_missing`: the products the shop refuses (a stock kept by its
    combinations) are left, each with why."""
    if mode not in WRITES:
        raise MissingError(f"options.missing: '{mode}' is not done on a PrestaShop shop (its "
                           "orders and carts refer to its products): use disable")
    if not ids:
        return {}
    write = WRITES[mode]
    fields = list(write)
    updates = {product_id: dict(write) for product_id in ids}
    with catalog.transaction():
        refused = catalog.refusals(conn, fields, updates, [])
        for product_id in refused.updates:
            updates.pop(product_id, None)
        catalog.apply(conn, fields, updates, [], now)
    return dict(refused.updates)
