"""The products of a batch a PrestaShop shop cannot take, found before anything is written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from syncbeat.catalog.base import Refusals, Values
from syncbeat.catalog.prestashop.fields import (
    COMBINATION,
    COMBINATION_IDS,
    COMBINATION_WRITES,
    READ_ONLY,
    SHOP_FIELDS,
    combination_key,
    is_combination_id,
)
from syncbeat.catalog.prestashop.limits import problems

if TYPE_CHECKING:
    from syncbeat.catalog.prestashop.catalog import PrestashopCatalog


def find_refusals(
    catalog: PrestashopCatalog, conn: Connection, fields: list[str],
    updates: Mapping[int, Values], creates: Sequence[Values], category: int | None = None,
) -> Refusals:
    """Each refused product with why (`base.Refusals`); new ones go in `category` (None:
    the catalog's)."""
    refused = Refusals({}, {})
    unknown = [f for f in fields if f not in SHOP_FIELDS]
    if unknown:
        why = f"{unknown[0]}: not a field of a PrestaShop shop"
        return Refusals(dict.fromkeys(updates, why), dict.fromkeys(range(len(creates)), why))
    written = [f for f in fields if f != "id"]
    for product_id, values in updates.items():
        found = _update_problems(written, values, is_combination_id(product_id))
        if found:
            refused.updates[product_id] = "; ".join(found)
    simple = [i for i in updates if not is_combination_id(i)]
    if "quantity" in written and simple:
        for product_id in _with_combinations(catalog, conn, simple):
            refused.updates.setdefault(
                product_id, "quantity: this product's stock is the sum of its combinations' "
                "in PrestaShop: match by combination.reference to change their stock")
    _create_refusals(catalog, conn, written, creates, refused)
    if creates and category is not None and not _in_shop(catalog, conn, category):
        shop = catalog.shop(conn).shop
        for at in range(len(creates)):
            refused.creates.setdefault(
                at, f"category {category} is not a category of the shop {shop} "
                f"({catalog.location.table('category_shop')}): check [options] category")
    return refused


def _in_shop(catalog: PrestashopCatalog, conn: Connection, category: int) -> bool:
    return conn.exec_driver_sql(
        f"SELECT 1 FROM {catalog.table('category_shop')} WHERE id_category = %s "
        "AND id_shop = %s", (category, catalog.shop(conn).shop)).first() is not None


def _update_problems(written: list[str], values: Values, combination: bool) -> list[str]:
    found: list[str] = []
    for name in written:
        if name in READ_ONLY:
            found.append(f"{name}: read only (syncbeat sets date_upd to the time of the change)")
        elif combination and name not in (*COMBINATION_WRITES, *COMBINATION_IDS):
            found.append(f"{name}: a product's field; matching by a combination field writes "
                         f"only {', '.join((*COMBINATION_WRITES, *COMBINATION_IDS))}")
        elif not combination and name.startswith(COMBINATION):
            found.append(f"{name}: a combination's field: match by a combination field "
                         "to write it")
    return found + problems(values, written, combination=combination)


def _create_refusals(
    catalog: PrestashopCatalog, conn: Connection, written: list[str],
    creates: Sequence[Values], refused: Refusals,
) -> None:
    seen: dict[str, int] = {}
    for at, values in enumerate(creates):
        matched = combination_key(values)
        reference = values.get("reference")
        if matched is not None:
            why = [f"{matched} '{values[matched]}' is not in the shop, and syncbeat creates "
                   "simple products only, not combinations"]
        elif not reference:
            why = ["reference: a new product needs one"]
        else:
            why = [f"{n}: read only" for n in written if n in READ_ONLY]
            # Every value a new product carries is written: check them all.
            why += problems(values, list(dict.fromkeys(["reference", *written, *values])))
            if str(reference).casefold() in seen:
                why.append(f"reference: '{reference}' is created twice in this batch")
            seen.setdefault(str(reference).casefold(), at)
        if why:
            refused.creates[at] = "; ".join(why)
    taken = _taken(catalog, conn, list(seen))
    for reference in taken:
        at = seen[reference]
        refused.creates.setdefault(
            at, f"reference: another product has '{creates[at]['reference']}' already")


def _with_combinations(catalog: PrestashopCatalog, conn: Connection, ids: list[int]
                       ) -> list[int]:
    marks = ", ".join(["%s"] * len(ids))
    return [int(r[0]) for r in conn.exec_driver_sql(
        f"SELECT DISTINCT id_product FROM {catalog.table('product_attribute')} "
        f"WHERE id_product IN ({marks})", tuple(ids))]


def _taken(catalog: PrestashopCatalog, conn: Connection, references: list[str]) -> set[str]:
    """The references (casefolded) some product of the database has already, in any shop."""
    if not references:
        return set()
    marks = ", ".join(["%s"] * len(references))
    return {str(r[0]).casefold() for r in conn.exec_driver_sql(
        f"SELECT reference FROM {catalog.table('product')} WHERE reference IN ({marks})",
        tuple(references))}
