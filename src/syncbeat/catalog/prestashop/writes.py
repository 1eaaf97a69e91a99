"""How the PrestaShop catalog writes a batch: a few multi-row statements a table, never a
statement a field a product. Products are updated with `UPDATE ... JOIN (rows)`, stock with
`INSERT ... ON DUPLICATE KEY UPDATE` on stock_available's unique key, as PrestaShop keeps it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from syncbeat.catalog.base import Values
from syncbeat.catalog.prestashop.fields import (
    COMBINATION_COLUMNS,
    COMBINATION_ID,
    COMBINATION_IDS,
    LANG_COLUMNS,
    PRODUCT_COLUMNS,
    READ_ONLY,
    SHOP_COLUMNS,
    is_combination_id,
)
from syncbeat.catalog.prestashop.shop import Shop

if TYPE_CHECKING:
    from syncbeat.catalog.prestashop.catalog import PrestashopCatalog

ROWS = 500  # rows a statement
SLUG_LENGTH = 128  # product_lang.link_rewrite


def apply(
    catalog: PrestashopCatalog, conn: Connection, fields: list[str],
    updates: Mapping[int, Values], creates: Sequence[Values], now: datetime,
    category: int | None = None,
) -> None:
    """Write a batch `refusals` let through, in the transaction of `conn`; new products go
    in `category` (None: the catalog's)."""
    w = _Writer(catalog, conn, catalog.shop(conn), catalog.shop(conn).local(now))
    w.category = category or w.s.category
    written = [f for f in fields if f not in READ_ONLY]
    products = {i: v for i, v in updates.items() if not is_combination_id(i)}
    combinations = {i - COMBINATION_ID: v for i, v in updates.items() if is_combination_id(i)}
    if products:
        w.products(written, products)
    if combinations:
        w.combinations(written, combinations)
    if creates:
        w.create(written, creates)


class _Writer:
    def __init__(self, catalog: PrestashopCatalog, conn: Connection, shop: Shop,
                 stamp: datetime) -> None:
        self.t = catalog.table
        self.conn = conn
        self.s = shop
        self.stamp = stamp
        self.category = shop.category  # where created products go

    def products(self, written: list[str], updates: Mapping[int, Values]) -> None:
        ids = list(updates)
        lang = [f for f in LANG_COLUMNS if f in written]
        renamed = self._renamed(lang, updates) if lang else set()
        if renamed:
            sets = ", ".join(f"pl.{c} = COALESCE(v.c{n}, pl.{c})" if c == "name" else
                             f"pl.{c} = v.c{n}" for n, c in enumerate(lang, start=1))
            self._join_update(
                f"{self.t('product_lang')} pl", "pl.id_product = v.c0 AND pl.id_shop = %s "
                "AND pl.id_lang = %s", sets, [[i, *(updates[i].get(c) for c in lang)]
                                              for i in ids if i in renamed],
                (self.s.shop, self.s.lang))
        for table, alias, columns, on, extra in (
                ("product", "p", PRODUCT_COLUMNS, "p.id_product = v.c0", ()),
                ("product_shop", "ps", SHOP_COLUMNS,
                 "ps.id_product = v.c0 AND ps.id_shop = %s", (self.s.shop,))):
            cols = [c for c in columns if c in written]
            assign = [f"{alias}.{c} = {_kept(alias, c, n)}" for n, c in enumerate(cols, start=2)]
            assign += [f"{alias}.date_upd = %s",
                       f"{alias}.indexed = IF(v.c1, 0, {alias}.indexed)"]
            rows = [[i, int(i in renamed), *(updates[i].get(c) for c in cols)] for i in ids]
            self._join_update(f"{self.t(table)} {alias}", on, ", ".join(assign), rows, extra,
                              (self.stamp,))
        if "quantity" in written:
            self._stock([(i, 0, updates[i]["quantity"]) for i in ids
                         if updates[i].get("quantity") is not None])

    def _renamed(self, lang: list[str], updates: Mapping[int, Values]) -> set[int]:
        """The products whose name or descriptions in the catalog's language change."""
        ids = list(updates)
        current = {int(r[0]): r[1:] for r in self.conn.exec_driver_sql(
            f"SELECT id_product, {', '.join(lang)} FROM {self.t('product_lang')} "
            f"WHERE id_shop = %s AND id_lang = %s AND id_product IN ({_marks(ids)})",
            (self.s.shop, self.s.lang, *ids))}
        return {i for i in ids if i in current and any(
            (updates[i].get(c) or "") != (old or "") and not (c == "name" and not
                                                             updates[i].get(c))
            for c, old in zip(lang, current[i], strict=True))}

    def combinations(self, written: list[str], updates: Mapping[int, Values]) -> None:
        ids = list(updates)
        parent = {int(r[0]): int(r[1]) for r in self.conn.exec_driver_sql(
            f"SELECT id_product_attribute, id_product FROM {self.t('product_attribute')} "
            f"WHERE id_product_attribute IN ({_marks(ids)})", tuple(ids))}
        prices = [c for c in COMBINATION_COLUMNS if c in written]
        names = [c for c in COMBINATION_IDS if c in written]
        columns = prices + [c.partition(".")[2] for c in names]
        if columns:
            sets = ", ".join(f"pa.{c} = {_kept('pa', c, n)}"
                             for n, c in enumerate(columns, start=1))
            self._join_update(f"{self.t('product_attribute')} pa",
                              "pa.id_product_attribute = v.c0", sets,
                              [[i, *(updates[i].get(c) for c in prices + names)] for i in ids])
        if prices:
            sets = ", ".join(f"pas.{c} = {_kept('pas', c, n)}"
                             for n, c in enumerate(prices, start=1))
            self._join_update(f"{self.t('product_attribute_shop')} pas",
                              "pas.id_product_attribute = v.c0 AND pas.id_shop = %s", sets,
                              [[i, *(updates[i].get(c) for c in prices)] for i in ids],
                              (self.s.shop,))
        parents = sorted({parent[i] for i in ids if i in parent})
        if "quantity" in written:
            self._stock([(parent[i], i, updates[i]["quantity"]) for i in ids
                         if i in parent and updates[i].get("quantity") is not None])
            self._sum_stock(parents)
        if parents:
            for table, on in (("product", ""), ("product_shop", f"id_shop = {self.s.shop} AND ")):
                self.conn.exec_driver_sql(
                    f"UPDATE {self.t(table)} SET date_upd = %s WHERE {on}id_product IN "
                    f"({_marks(parents)})", (self.stamp, *parents))

    def _stock(self, rows: list[tuple[int, int, int]]) -> None:
        """Set stock rows (product, combination or 0, quantity): physical is quantity plus
        what orders reserve, as PrestaShop keeps it; a missing row is made."""
        s = self.s
        for start in range(0, len(rows), ROWS):
            part = rows[start:start + ROWS]
            self.conn.exec_driver_sql(
                f"INSERT INTO {self.t('stock_available')} (id_product, id_product_attribute, "
                "id_shop, id_shop_group, quantity, physical_quantity, reserved_quantity, "
                "out_of_stock) VALUES " + ", ".join(["(%s, %s, %s, %s, %s, %s, 0, 2)"] * len(part))
                + _STOCK_UPSERT,
                tuple(v for p, a, q in part for v in (p, a, s.stock_shop, s.stock_group, q, q)))

    def _sum_stock(self, parents: list[int]) -> None:
        """The products' own stock rows become the sum of their combinations' (PrestaShop's
        StockAvailable::updateQuantity does the same)."""
        if not parents:
            return
        s, table = self.s, self.t("stock_available")
        self.conn.exec_driver_sql(
            f"INSERT INTO {table} (id_product, id_product_attribute, id_shop, id_shop_group, "
            "quantity, physical_quantity, reserved_quantity, out_of_stock) "
            "SELECT id_product, 0, %s, %s, total, total, 0, 2 FROM (SELECT c.id_product, "
            f"SUM(c.quantity) AS total FROM {table} c WHERE c.id_product_attribute > 0 "
            f"AND c.id_shop = %s AND c.id_shop_group = %s AND c.id_product IN "
            f"({_marks(parents)}) GROUP BY c.id_product) AS sums" + _STOCK_UPSERT,
            (s.stock_shop, s.stock_group, s.stock_shop, s.stock_group, *parents))

    def create(self, written: list[str], creates: Sequence[Values]) -> None:
        """Simple products with every row PrestaShop needs to show them: product,
        product_shop, product_lang in each of the shop's languages, category_product, stock;
        inactive unless `active` is given."""
        s, stamp = self.s, self.stamp
        made = [dict(v) for v in creates]
        product_cols = [c for c in PRODUCT_COLUMNS if c != "active"]
        kind = ["standard"] if s.product_type else []  # PrestaShop 8's product page reads it
        rows = [[self.category, s.shop, *(_create_value(v, c) for c in product_cols),
                 bool(v.get("active")), stamp, stamp, *kind] for v in made]
        names = ["id_category_default", "id_shop_default", *product_cols, "active", "date_add",
                 "date_upd", *(["product_type"] if kind else [])]
        first = self._insert("product", names, rows, extra="id_tax_rules_group, indexed",
                             extra_values="0, 0")
        references = [str(v["reference"]) for v in made]
        ids = {str(r[1]).casefold(): int(r[0]) for r in self.conn.exec_driver_sql(
            f"SELECT id_product, reference FROM {self.t('product')} WHERE id_product >= %s "
            f"AND reference IN ({_marks(references)})", (first, *references))}
        made_ids = [ids[r.casefold()] for r in references]
        self._insert("product_shop", [
            "id_product", "id_shop", "id_category_default", "price", "wholesale_price",
            "active", "date_add", "date_upd"],
            [[i, s.shop, self.category, _create_value(v, "price"),
              _create_value(v, "wholesale_price"), bool(v.get("active")), stamp, stamp]
             for i, v in zip(made_ids, made, strict=True)],
            extra="id_tax_rules_group, indexed", extra_values="0, 0")
        lang_rows = []
        for i, v in zip(made_ids, made, strict=True):
            name = str(v.get("name") or v["reference"])
            for lang in s.langs:
                lang_rows.append([i, s.shop, lang, name, v.get("description"),
                                  v.get("description_short"), slug(name)])
        self._insert("product_lang", ["id_product", "id_shop", "id_lang", "name", "description",
                                      "description_short", "link_rewrite"], lang_rows)
        position = self.conn.exec_driver_sql(
            f"SELECT COALESCE(MAX(position) + 1, 0) FROM {self.t('category_product')} "
            "WHERE id_category = %s", (self.category,)).scalar_one()
        self._insert("category_product", ["id_category", "id_product", "position"],
                     [[self.category, i, int(position) + n] for n, i in enumerate(made_ids)])
        self._stock([(i, 0, int(v.get("quantity") or 0)) for i, v in
                     zip(made_ids, made, strict=True)])

    def _insert(self, table: str, names: list[str], rows: list[list[Any]], *,
                extra: str = "", extra_values: str = "") -> int:
        """Insert rows a few hundred a statement; the first new auto-increment id."""
        first = 0
        head = ", ".join([*names, *([extra] if extra else [])])
        one = "(" + ", ".join(["%s"] * len(names) + ([extra_values] if extra else [])) + ")"
        for start in range(0, len(rows), ROWS):
            part = rows[start:start + ROWS]
            result = self.conn.exec_driver_sql(
                f"INSERT INTO {self.t(table)} ({head}) VALUES {', '.join([one] * len(part))}",
                tuple(_sql(v) for row in part for v in row))
            first = first or int(result.lastrowid or 0)
        return first

    def _join_update(self, target: str, on: str, sets: str, rows: list[list[Any]],
                     on_params: tuple[Any, ...] = (), set_params: tuple[Any, ...] = ()) -> None:
        """UPDATE target JOIN (the rows, columns c0, c1...) v ON ... SET ...: one statement
        for a few hundred products."""
        for start in range(0, len(rows), ROWS):
            part = rows[start:start + ROWS]
            width = len(part[0])
            head = "SELECT " + ", ".join(f"%s AS c{n}" for n in range(width))
            tail = " UNION ALL SELECT " + ", ".join(["%s"] * width)
            self.conn.exec_driver_sql(
                f"UPDATE {target} JOIN ({head}{tail * (len(part) - 1)}) v ON {on} SET {sets}",
                (*(_sql(v) for row in part for v in row), *on_params, *set_params))


_STOCK_UPSERT = (" ON DUPLICATE KEY UPDATE physical_quantity = VALUES(quantity) + "
                 "reserved_quantity, quantity = VALUES(quantity)")


def _kept(alias: str, column: str, at: int) -> str:
    """The new value of a column; a NOT NULL one given none keeps its own."""
    if column in _NOT_NULL:
        return f"COALESCE(v.c{at}, {alias}.{column})"
    return f"v.c{at}"


_NOT_NULL = ("price", "wholesale_price", "weight", "active")


def _create_value(values: Values, column: str) -> Any:
    value = values.get(column)
    if value is None and column in ("price", "wholesale_price", "weight"):
        return Decimal(0)
    return value


def _sql(value: Any) -> Any:
    """A value as the driver sends it: a Decimal as its plain digits (never 1E+1)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return int(value)
    return value


def _marks(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def slug(name: str) -> str:
    """A link_rewrite made from a name: lower-case ASCII words joined by dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return words[:SLUG_LENGTH].rstrip("-") or "product"
