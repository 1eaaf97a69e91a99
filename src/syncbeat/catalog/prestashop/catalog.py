"""The PrestaShop catalog: a shop's products, read and written in the shop's own MySQL/MariaDB
database the way PrestaShop stores them (see docs/design.md, "The PrestaShop catalog").

It implements `catalog.base.Catalog` without the fast paths (`PlainCatalog`): the shop is not
the store's database, so the store's `conn` is ignored and every call works in a transaction
on the shop's database: its own short one, or the one `transaction()` holds open.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from syncbeat.catalog.base import (
    AMBIGUOUS,
    BatchMark,
    BatchUnit,
    CatalogUnusable,
    Listed,
    Page,
    PlainCatalog,
    Product,
    Refusals,
    Refused,
    Shown,
    Values,
)
from syncbeat.catalog.location import PrestashopLocation
from syncbeat.catalog.prestashop import batches, missing, writes
from syncbeat.catalog.prestashop.check import ShopUnreachable, connect_problem
from syncbeat.catalog.prestashop.fields import (
    COMBINATION_EXPORT,
    COMBINATION_ID,
    SHOP_FIELDS,
    SHOP_KNOWN,
    is_combination_match,
)
from syncbeat.catalog.prestashop.refusals import find_refusals
from syncbeat.catalog.prestashop.shop import Shop, read_shop
from syncbeat.domain.catalog_fields import KnownFields
from syncbeat.domain.convert import canonical_decimal
from syncbeat.domain.missing import Scope

CHUNK = 1_000  # keys or ids in one IN (...)
# An incremental export lists the products whose date_upd is at most this long before the last
# export's start: a change stamped before that start and committed after its listing (a batch
# of syncbeat's, or a clock of the shop's server behind syncbeat's) is not missed.
OVERLAP = timedelta(minutes=5)
# A product listed with a date_upd at least this long before the export started is remembered
# with it, and the next export skips it while its date_upd is the same. date_upd counts whole
# seconds: a change in the same second as the listed one, committed after the listing, would
# keep the stamp; one second for that change and one for its commit keep it out.
SETTLE = timedelta(seconds=2)
_NO_TABLE = 1146  # MySQL: the table does not exist


class PrestashopCatalog(PlainCatalog):
    """A PrestaShop shop's products (`location`: the catalog URL); `category`: where created
    products go (default: the shop's PS_HOME_CATEGORY). A combination found by a
    `combination.` field has the id `fields.COMBINATION_ID` + its id_product_attribute."""

    known: KnownFields = SHOP_KNOWN

    def __init__(self, location: PrestashopLocation, *, engine: Engine | None = None,
                 category: int | None = None) -> None:
        self.location = location
        self.engine = engine or sa.create_engine(location.sqlalchemy_url(), pool_pre_ping=True)
        self._category = category
        self._shop: Shop | None = None
        self._local = threading.local()  # the shop transaction held open, per thread
        self._batches_ready = False  # is the batch record table known to be there?

    def close(self) -> None:
        """Close the connections to the shop's database."""
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction on the shop's database for every call made inside: committed at
        the end, rolled back on an exception."""
        bound: Connection | None = getattr(self._local, "conn", None)
        if bound is not None:
            yield bound
            return
        try:
            opened = self.engine.connect()
        except sa.exc.DBAPIError as exc:  # in words, without the password; an outage still
            raise ShopUnreachable(connect_problem(self.location, exc)) from exc
        with opened as conn, conn.begin():
            self._local.conn = conn
            try:
                yield conn
            except sa.exc.ProgrammingError as exc:
                args = getattr(exc.orig, "args", ())
                if not args or args[0] != _NO_TABLE:
                    raise
                raise CatalogUnusable(
                    f"the shop's database lacks a table syncbeat uses ({args[1]}): check the "
                    "prefix in the catalog URL, and run `syncbeat catalog check`") from exc
            finally:
                self._local.conn = None
                self._local.passed = None

    @contextmanager
    def batch(self, conn: Connection, mark: BatchMark) -> Iterator[BatchUnit]:
        """See `Catalog.batch`: one shop transaction, holding the batch's record
        (`batches`). The record table is created the first time."""
        table = self.table(batches.TABLE)
        if not self._batches_ready:
            batches.prepare(self.engine, self.location.table(batches.TABLE))
            self._batches_ready = True
        with self.transaction() as shop_conn:
            yield batches.ShopBatch(shop_conn, table, mark)

    def shop(self, conn: Connection) -> Shop:
        """The shop worked on, read once."""
        if self._shop is None:
            self._shop = read_shop(conn, self.location, self._category)
        return self._shop

    def table(self, name: str) -> str:
        """A table's quoted name with the shop's prefix."""
        return f"`{self.location.table(name)}`"

    # fetch

    def fetch(
        self, conn: Connection, match: str, keys: Sequence[str], fields: Sequence[str]
    ) -> dict[str, Product]:
        """See `Catalog.fetch`. Text keys compare as the shop's collation does (case aside)."""
        if not keys:
            return {}
        as_int = SHOP_FIELDS[match].kind == "int"
        wanted: dict[Any, list[str]] = {}
        for key in keys:
            if not as_int:
                wanted.setdefault(key.casefold(), []).append(key)
            elif key.isdecimal() and len(key) < 10:
                wanted.setdefault(int(key), []).append(key)
        found: dict[str, Product] = {}
        if not wanted:
            return found
        with self.transaction() as shop_conn:
            s = self.shop(shop_conn)
            names = list(dict.fromkeys([match, *fields]))
            combination = is_combination_match(match)
            exprs = [_expr(name, combination) for name in names]
            values = list(wanted)
            # The loop below runs once per product: each column's reader is chosen once.
            readers = [(f, names.index(f) + 1, _reader(f, s)) for f in fields]
            offset = COMBINATION_ID if combination else 0
            # Only the tables the fields live in: a stock-and-price feed reads no names.
            tables = {"lang": any(e.startswith("pl.") for e in exprs),
                      "stock": any(e.startswith("sa.") for e in exprs)}
            joins = self._joins(s, combination, **tables)
            for start in range(0, len(values), CHUNK):
                part = values[start:start + CHUNK]
                sql = (f"SELECT {'pa.id_product_attribute' if combination else 'p.id_product'}"
                       f", {', '.join(exprs)} {self._from(combination, **tables)} WHERE "
                       f"{_expr(match, combination)} IN ({', '.join(['%s'] * len(part))})")
                for row in shop_conn.exec_driver_sql(sql, (*joins, *part)).fetchall():
                    raw = row[1]
                    keys_found = wanted.get(raw if as_int else str(raw).casefold(), ())
                    if not keys_found:
                        continue
                    got = {f: read(row[at]) for f, at, read in readers}
                    found_id = int(row[0]) + offset
                    for key in keys_found:
                        _add(found, key, found_id, got if len(keys_found) == 1 else dict(got))
        return found

    def _from(self, combination: bool, *, lang: bool = True, stock: bool = True) -> str:
        """The tables read: without `lang`, no names (pl); without `stock`, no stock (sa)."""
        t = self.table
        product = (f"JOIN {t('product_shop')} ps ON ps.id_product = p.id_product "
                   "AND ps.id_shop = %s ")
        if lang:
            product += (f"LEFT JOIN {t('product_lang')} pl ON pl.id_product = p.id_product "
                        "AND pl.id_shop = %s AND pl.id_lang = %s ")
        on_stock = (f"LEFT JOIN {t('stock_available')} sa ON sa.id_product = p.id_product "
                    "AND sa.id_shop = %s AND sa.id_shop_group = %s AND "
                    "sa.id_product_attribute = ") if stock else ""
        if not combination:
            return f"FROM {t('product')} p {product}{on_stock}{'0' if stock else ''}"
        return (f"FROM {t('product_attribute')} pa JOIN {t('product_attribute_shop')} pas "
                "ON pas.id_product_attribute = pa.id_product_attribute AND pas.id_shop = %s "
                f"JOIN {t('product')} p ON p.id_product = pa.id_product {product}{on_stock}"
                f"{'pa.id_product_attribute' if stock else ''}")

    @staticmethod
    def _joins(s: Shop, combination: bool = False, *, lang: bool = True,
               stock: bool = True) -> tuple[int, ...]:
        """The parameters of `_from`'s joins, in order."""
        return (*((s.shop,) if combination else ()), s.shop,
                *((s.shop, s.lang) if lang else ()),
                *((s.stock_shop, s.stock_group) if stock else ()))

    # apply

    def refusals(
        self, conn: Connection, fields: Sequence[str], updates: Mapping[int, Values],
        creates: Sequence[Values], *, category: int | None = None,
    ) -> Refusals:
        """See `Catalog.refusals`: values past PrestaShop's limits (`limits`), a stock
        written on a product whose stock is its combinations', a reference already taken,
        a category not in the shop."""
        with self.transaction() as shop_conn:
            return find_refusals(self, shop_conn, list(fields), updates, creates, category)

    def apply(
        self, conn: Connection, fields: Sequence[str], updates: Mapping[int, Values],
        creates: Sequence[Values], now: datetime, *, category: int | None = None,
    ) -> None:
        """See `Catalog.apply`: every product written, or none (one shop transaction)."""
        if not updates and not creates:
            return
        with self.transaction() as shop_conn:
            if not self._passed_before(shop_conn, updates, creates, category):
                refused = find_refusals(self, shop_conn, list(fields), updates, creates,
                                        category)
                if refused:
                    # The engine applies the others next, in this transaction: they passed.
                    self._local.passed = (shop_conn, category, {
                        i: v for i, v in updates.items() if i not in refused.updates}, [
                        v for at, v in enumerate(creates) if at not in refused.creates])
                    raise Refused(refused)
            writes.apply(self, shop_conn, list(fields), updates, creates, now, category)

    def _passed_before(self, shop_conn: Connection, updates: Mapping[int, Values],
                       creates: Sequence[Values], category: int | None) -> bool:
        """Were these very products (the same values, the same category) let through by the
        refusals of the apply just refused, in this transaction? Then they need no second
        look."""
        passed = getattr(self._local, "passed", None)
        self._local.passed = None
        if passed is None or passed[0] is not shop_conn or passed[1] != category:
            return False
        _, _, ok_updates, ok_creates = passed
        ok_ids = {id(v) for v in ok_creates}
        return (all(ok_updates.get(i) is v for i, v in updates.items())
                and all(id(v) in ok_ids for v in creates))

    # for people

    def browse(self, conn: Connection, *, search: str | None, limit: int, offset: int) -> Page:
        """See `Catalog.browse`: the shop's products, names in the catalog's language."""
        with self.transaction() as shop_conn:
            s = self.shop(shop_conn)
            where, params = "", []
            if search:
                like = "%" + search.strip().replace("\\", "\\\\").replace("%", "\\%").replace(
                    "_", "\\_") + "%"
                where, params = "WHERE (p.reference LIKE %s OR pl.name LIKE %s)", [like, like]
            total = shop_conn.exec_driver_sql(
                f"SELECT COUNT(*) {self._from(False)} {where}", (*self._joins(s), *params)
            ).scalar_one()
            rows = shop_conn.exec_driver_sql(
                f"SELECT {_SHOWN} {self._from(False)} {where} ORDER BY p.reference, "
                "p.id_product LIMIT %s OFFSET %s", (*self._joins(s), *params, limit, offset))
            return Page([_shown(row, s) for row in rows], int(total))

    def show(self, conn: Connection, key: str) -> Shown | None:
        """See `Catalog.show`, with the product's combinations."""
        with self.transaction() as shop_conn:
            s = self.shop(shop_conn)
            row = shop_conn.exec_driver_sql(
                f"SELECT {_SHOWN} {self._from(False)} WHERE p.reference = %s "
                "ORDER BY p.id_product LIMIT 1", (*self._joins(s), key)).first()
            if row is None and key.isdecimal() and len(key) < 10:
                row = shop_conn.exec_driver_sql(
                    f"SELECT {_SHOWN} {self._from(False)} WHERE p.id_product = %s",
                    (*self._joins(s), int(key))).first()
            if row is None:
                return None
            shown = _shown(row, s)
            shown["combinations"] = [
                {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in c.items()}
                for c in self._combinations(shop_conn, s, [shown["id"]]).get(shown["id"], [])]
            return shown

    # products missing from a feed (`missing`)

    def scope_products(
        self, conn: Connection, *, match: str, scope: Scope | None, fields: Sequence[str],
        after_id: int, limit: int,
    ) -> list[Product]:
        """See `Catalog.scope_products`."""
        return missing.scope_products(self, match=match, scope=scope, fields=fields,
                                      after_id=after_id, limit=limit)

    def apply_missing(
        self, conn: Connection, mode: str, ids: Sequence[int], now: datetime
    ) -> dict[int, str]:
        """See `Catalog.apply_missing`."""
        return missing.apply_missing(self, conn, mode, ids, now)

    # export

    def change_mark(self, conn: Connection, now: datetime) -> str:
        """See `Catalog.change_mark`: the time the export starts (UTC). The shop's back office
        moves only date_upd, so changes are told by it (`export_ids`)."""
        return now.astimezone(UTC).isoformat()

    def export_ids(
        self, conn: Connection, *, active: bool | None, since: str | None, mark: str | None,
        after_id: int, limit: int,
    ) -> list[Listed]:
        """See `Catalog.export_ids`: the shop's products (product_shop), changed after
        `since` by their date_upd in the shop, less `OVERLAP` (a change stamped before the
        last export read but committed after it). A product whose date_upd is in the
        overlap of either mark, `SETTLE` before it, carries it as its stamp (`_stamping`)."""
        with self.transaction() as shop_conn:
            s = self.shop(shop_conn)
            where, params = ["p.id_product > %s"], [after_id]
            if active is not None:
                where.append("ps.active = %s")
                params.append(int(active))
            if since is not None:
                where.append("ps.date_upd >= %s")
                params.append(s.local(datetime.fromisoformat(since) - OVERLAP))  # type: ignore[arg-type]
            rows = shop_conn.exec_driver_sql(
                f"SELECT p.id_product, p.reference, ps.date_upd FROM {self.table('product')} p "
                f"JOIN {self.table('product_shop')} ps ON ps.id_product = p.id_product "
                f"AND ps.id_shop = %s WHERE {' AND '.join(where)} ORDER BY p.id_product "
                "LIMIT %s", (s.shop, *params, limit))
            stamped = _stamping(s, since, mark)
            return [Listed(int(i), r or "", stamped(changed)) for i, r, changed in rows]

    def export_rows(
        self, conn: Connection, ids: Sequence[int], fields: Sequence[str]
    ) -> Iterator[Product]:
        """See `Catalog.export_rows`; "combinations" is the list of the product's
        combinations (`fields.COMBINATION_EXPORT`, by id), empty for a simple product."""
        if not ids:
            return
        names = list(dict.fromkeys(["id", *(f for f in fields if f != "combinations")]))
        products: list[Product] = []
        with self.transaction() as shop_conn:
            s = self.shop(shop_conn)
            for start in range(0, len(ids), CHUNK):
                part = list(ids[start:start + CHUNK])
                rows = shop_conn.exec_driver_sql(
                    f"SELECT {', '.join(_expr(n, False) for n in names)} {self._from(False)} "
                    f"WHERE p.id_product IN ({', '.join(['%s'] * len(part))}) "
                    "ORDER BY p.id_product", (*self._joins(s), *part))
                products += [Product(int(row[0]), {n: _value(n, v, s) for n, v in
                                                    zip(names, row, strict=True)})
                             for row in rows]
            if "combinations" in fields and products:
                combinations = self._combinations(shop_conn, s, [p.id for p in products])
                for product in products:
                    product.values["combinations"] = combinations.get(product.id, [])
        yield from products

    def _combinations(self, conn: Connection, s: Shop, ids: list[int]
                      ) -> dict[int, list[Values]]:
        names = [n for n in COMBINATION_EXPORT if n != "id"]
        exprs = [SHOP_FIELDS.get(f"combination.{n}", SHOP_FIELDS[n]).combination for n in names]
        found: dict[int, list[Values]] = {}
        rows = conn.exec_driver_sql(
            f"SELECT pa.id_product, pa.id_product_attribute, {', '.join(map(str, exprs))} "
            f"{self._from(True)} WHERE pa.id_product IN ({', '.join(['%s'] * len(ids))}) "
            "ORDER BY pa.id_product_attribute", (*self._joins(s, True), *ids))
        for row in rows:
            values: Values = {"id": int(row[1])}
            values.update({n: _value(n, v, s) for n, v in zip(names, row[2:], strict=True)})
            found.setdefault(int(row[0]), []).append(values)
        return found


_SHOWN = ("p.id_product, p.reference, p.ean13, pl.name, ps.price, sa.quantity, ps.active, "
          "ps.date_upd")


def _shown(row: Any, s: Shop) -> Shown:
    """A product as people see it (`base.Shown`)."""
    product_id, reference, ean13, name, price, quantity, active, changed = row
    return {"id": int(product_id), "reference": reference or "", "ean13": ean13 or None,
            "name": name or "", "price": format(canonical_decimal(Decimal(price)), "f"),
            "quantity": int(quantity or 0), "active": bool(active),
            "updated_at": _utc(s.aware(changed))}


def _stamping(s: Shop, since: str | None, mark: str | None) -> Callable[[Any], str | None]:
    """How a product's date_upd becomes its `Listed.stamp`: when the last export (marked
    `since`) may have remembered it, or the next one (after `mark`) may list it again: from
    `OVERLAP` to `SETTLE` before either mark."""
    spans = [(s.local(at - OVERLAP), s.local(at - SETTLE))
             for at in (datetime.fromisoformat(m) for m in (since, mark) if m is not None)]

    def stamp(changed: Any) -> str | None:
        if isinstance(changed, datetime) and any(low <= changed <= high for low, high in spans):
            return changed.isoformat(sep=" ")
        return None

    return stamp


def _utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat() if moment is not None else ""


def _expr(name: str, combination: bool) -> str:
    field = SHOP_FIELDS[name]
    return (field.combination or field.product) if combination else field.product


def _reader(name: str, s: Shop) -> Callable[[Any], Any]:
    """How a value of `name` read from the shop becomes its field's domain value."""
    kind = SHOP_FIELDS[name].kind if name in SHOP_FIELDS else "text"
    if kind == "decimal":
        return _decimal
    if kind == "int":
        return _int
    return partial(_value, name, s=s)


def _decimal(value: Any) -> Any:
    return None if value is None else canonical_decimal(Decimal(value))


def _int(value: Any) -> int:
    return 0 if value is None else int(value)  # no stock row: PrestaShop counts 0


def _value(name: str, value: Any, s: Shop) -> Any:
    """A value read from the shop as its field's domain value."""
    kind = SHOP_FIELDS[name].kind if name in SHOP_FIELDS else "text"
    if kind == "decimal":
        return None if value is None else canonical_decimal(Decimal(value))
    if kind == "int":
        return 0 if value is None else int(value)  # no stock row: PrestaShop counts 0
    if kind == "bool":
        return None if value is None else bool(value)
    if kind == "datetime":
        return None if value is None else s.aware(value)
    return None if value is None or value == "" else value


def _add(found: dict[str, Product], key: str, product_id: int, values: Values) -> None:
    known = found.get(key)
    if known is not None and known.id != product_id:
        found[key] = Product(AMBIGUOUS, {})  # several products share this key
    else:
        found[key] = Product(product_id, values)
