"""The built-in catalog: a products table in syncbeat's own database."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from functools import partial
from json.encoder import encode_basestring
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.catalog import builtin_missing as missing
from syncbeat.catalog.base import (
    AMBIGUOUS,
    ATTRIBUTE_BAG,
    NO_REFUSALS,
    PRODUCT_ID,
    SEQ,
    BatchMark,
    BatchUnit,
    ExportTable,
    InStore,
    Joined,
    JoinedBatch,
    Listed,
    Loader,
    Page,
    Prepared,
    Product,
    Queued,
    Refusals,
    Shown,
    Values,
)
from syncbeat.catalog.location import BuiltinLocation, CatalogLocation
from syncbeat.domain.catalog_fields import ATTRIBUTE_PREFIX, BUILTIN_FIELDS, KnownFields
from syncbeat.domain.convert import canonical_decimal
from syncbeat.domain.missing import Scope
from syncbeat.store.catalog_changes import committed_changes, hold_changes, next_change
from syncbeat.store.catalog_queries import count_products, get_product, list_products
from syncbeat.store.items import many_rows, placeholder, raw_cursor
from syncbeat.store.tables import products, sqlite_datetime, sqlite_decimal

COLUMNS = ("id", "reference", "ean13", "name", "price", "quantity", "active")
_PG_TYPES = {"id": "int", "reference": "text", "ean13": "text", "name": "text",
             "price": "numeric", "quantity": "int", "active": "bool", "attributes": "text"}


_CHECKED = 500  # ids or keys a statement in `changed_since`
_MATCH_COLUMNS = {"reference": "reference", "ean13": "ean13"}  # matched by text as stored


def _split(fields: Sequence[str]) -> tuple[list[str], list[str]]:
    columns = [f for f in fields if not f.startswith(ATTRIBUTE_PREFIX)]
    attrs = [f[len(ATTRIBUTE_PREFIX):] for f in fields if f.startswith(ATTRIBUTE_PREFIX)]
    return columns, attrs


def _row_reader(
    columns: list[str], attrs: list[str], sqlite: bool, offset: int
) -> Any:
    """A function turning a result row (product columns from `offset`) into field values."""
    end = offset + len(columns)
    price_at = offset + columns.index("price") if "price" in columns else -1
    active_at = offset + columns.index("active") if "active" in columns else -1

    def read(row: tuple[Any, ...]) -> Values:
        values: Values = dict(zip(columns, row[offset:end], strict=True))
        if price_at >= 0 and sqlite:
            values["price"] = Decimal(row[price_at])
        if active_at >= 0:
            values["active"] = bool(row[active_at])
        if attrs:
            stored = row[end]
            bag = (json.loads(stored) if isinstance(stored, str) else stored) or {}
            for name in attrs:
                values[ATTRIBUTE_PREFIX + name] = bag.get(name)
            values[ATTRIBUTE_BAG] = bag
        return values

    return read


def _add(found: dict[str, Product], key: str, product_id: int, values: Values) -> None:
    known = found.get(key)
    if known is not None and known.id != product_id:
        # Several products share this key (ean13 is not unique): changing one at random
        # would be wrong, so the item is told instead.
        found[key] = Product(AMBIGUOUS, {})
    else:
        found[key] = Product(product_id, values)


class BuiltinCatalog:
    """Reads and writes the products table with plain statements: this is the hot path."""

    known: KnownFields = BUILTIN_FIELDS
    location: CatalogLocation = BuiltinLocation()

    def close(self) -> None:
        """Nothing held: the catalog uses the store's connections."""

    def browse(self, conn: Connection, *, search: str | None, limit: int, offset: int) -> Page:
        """See `Catalog.browse`."""
        return Page(list_products(conn, search=search, limit=limit, offset=offset),
                    count_products(conn, search=search))

    def show(self, conn: Connection, key: str) -> Shown | None:
        """See `Catalog.show`."""
        return get_product(conn, key)

    @contextmanager
    def batch(self, conn: Connection, mark: BatchMark) -> Iterator[BatchUnit]:
        """The store's own transaction: a batch's writes commit with its outcomes."""
        yield InStore(conn)

    def refusals(
        self, conn: Connection, fields: Sequence[str], updates: Mapping[int, Values],
        creates: Sequence[Values], *, category: int | None = None,
    ) -> Refusals:
        """None known before writing: the database's own refusals (a reference taken) raise
        from `apply`."""
        return NO_REFUSALS

    def fetch(
        self, conn: Connection, match: str, keys: Sequence[str], fields: Sequence[str]
    ) -> dict[str, Product]:
        """See `Catalog.fetch`."""
        if not keys:
            return {}
        columns, attrs = _split(fields)
        select = ["id", match, *columns] + (["attributes"] if attrs else [])
        p = placeholder(conn)
        marks = ", ".join([p] * len(keys))
        sqlite = conn.dialect.name == "sqlite"
        # Feed keys as the catalog stores them: "007" is product 7 when matching by id.
        wanted: dict[Any, list[str]] = {}
        for key in keys:
            if match != "id":
                wanted.setdefault(key, []).append(key)
            elif key.isdecimal() and len(key) < 19:
                wanted.setdefault(int(key), []).append(key)
        marks = ", ".join([p] * len(wanted)) or "NULL"
        cur = raw_cursor(conn)
        cur.execute(
            f"SELECT {', '.join(select)} FROM products WHERE {match} IN ({marks})",
            tuple(wanted),
        )
        read = _row_reader(columns, attrs, sqlite, offset=2)
        found: dict[str, Product] = {}
        for row in cur.fetchall():
            for key in wanted.get(row[1], ()):
                _add(found, key, row[0], read(row))
        return found

    def queued_with_products(
        self, conn: Connection, task_id: int, after: int, limit: int, match: str,
        fields: Sequence[str],
    ) -> JoinedBatch | None:
        """See `Catalog.queued_with_products`. On SQLite, numbers and flags come as the
        text of their stored value, with the loaders that read it.

        The built-in catalog shares the database with the items, so a join replaces the
        second lookup by keys: a fifth of a batch's time on a million-product catalog. The
        rows are the cursor's own tuples: no Python object is made per item. None when the
        join does not apply (matching by id, free attributes), so the caller uses `fetch`.
        """
        if match == "id" or any(f.startswith(ATTRIBUTE_PREFIX) for f in fields):
            return None
        sqlite = conn.dialect.name == "sqlite"
        # SQLite stores prices as canonical text and flags as 0/1: handed over as text, a
        # feed value written the same way is seen unchanged without converting either
        # (`base.Loader`).
        select = ["i.seq", "i.key", "i.input", "i.outcome", "p.id"] + [
            f"CAST(p.{c} AS TEXT)" if sqlite and c in _AS_TEXT else f"p.{c}" for c in fields]
        p = placeholder(conn)
        cur = raw_cursor(conn)
        cur.execute(
            f"SELECT {', '.join(select)} FROM items i "
            f"LEFT JOIN products p ON p.{match} = i.key "
            # Seq numbers are dense: a closed range lets every planner read just the batch.
            f"WHERE i.task_id = {p} AND i.seq > {p} AND i.seq <= {p} ORDER BY i.seq",
            (task_id, after, after + limit),
        )
        rows = cast(list[Joined], cur.fetchall())  # a list from both drivers: no copy
        if rows and len(rows) != rows[-1][SEQ] - rows[0][SEQ] + 1:
            rows = _ambiguous_once(rows)  # a key that several products share joined twice
        loaders: list[Loader] = [_LOADERS.get(c) if sqlite else None for c in fields]
        return JoinedBatch(rows, loaders)

    def changed_since(
        self, conn: Connection, mark: str, ids: Sequence[int], match: str, keys: Sequence[str]
    ) -> bool | None:
        """See `Catalog.changed_since`: by the products' change numbers (a write numbers its
        change, `next_change`), and their count (a deletion numbers nothing). Asked holding
        the change count (`hold_changes`), which the batch's writes then take anyway: a
        write still in flight when the check began has committed and is seen."""
        if not ids and not keys:
            return False
        hold_changes(conn)
        since = int(mark)
        p = placeholder(conn)
        cur = raw_cursor(conn)
        for at in range(0, len(ids), _CHECKED):
            some = ids[at:at + _CHECKED]
            cur.execute(f"SELECT count(*), max(change_seq) FROM products WHERE id IN "
                        f"({', '.join([p] * len(some))})", some)
            found, newest = cur.fetchone() or (0, None)
            if found != len(some) or (newest is not None and newest > since):
                return True
        column = _MATCH_COLUMNS.get(match)
        if column is None and keys:
            return True  # a key this check does not read: decided again, to be sure
        for at in range(0, len(keys), _CHECKED):
            part = keys[at:at + _CHECKED]
            cur.execute(f"SELECT 1 FROM products WHERE {column} IN "
                        f"({', '.join([p] * len(part))}) LIMIT 1", part)
            if cur.fetchone() is not None:
                return True
        return False

    def apply(
        self, conn: Connection, fields: Sequence[str], updates: Mapping[int, Values],
        creates: Sequence[Values], now: datetime, *, category: int | None = None,
    ) -> None:
        """Write changed products (id -> all `fields`) and create new ones (no categories
        here: profiles cannot name one)."""
        _write(conn, _steps(conn.dialect.name, fields, updates, creates, now))

    def prepare(
        self, dialect: str, fields: Sequence[str], updates: Mapping[int, Values],
        creates: Sequence[Values], now: datetime, *, category: int | None = None,
    ) -> Prepared:
        """See `Catalog.prepare`: every statement's rows, built here; `write` adds the
        change number, which a write takes in its own transaction."""
        return Prepared(dialect, _steps(dialect, fields, updates, creates, now))

    def write(self, conn: Connection, prepared: Prepared) -> None:
        """See `Catalog.write`."""
        if prepared.dialect != conn.dialect.name:
            raise ValueError(f"writes prepared for {prepared.dialect}, written on "
                             f"{conn.dialect.name}")
        _write(conn, cast(list[_Step], prepared.writes))

    def scope_products(
        self, conn: Connection, *, match: str, scope: Scope | None, fields: Sequence[str],
        after_id: int, limit: int,
    ) -> list[Product]:
        """See `Catalog.scope_products`."""
        return missing.scope_products(conn, match=match, scope=scope, fields=fields,
                                      after_id=after_id, limit=limit)

    def unlisted_products(
        self, conn: Connection, task_id: int, *, match: str, scope: Scope | None,
        fields: Sequence[str], limit: int,
    ) -> list[Product] | None:
        """See `Catalog.unlisted_products`."""
        return missing.unlisted_products(conn, task_id, match=match, scope=scope,
                                         fields=fields, limit=limit)

    def apply_missing(
        self, conn: Connection, mode: str, ids: Sequence[int], now: datetime
    ) -> dict[int, str]:
        """See `Catalog.apply_missing`: every product is changed."""
        missing.apply_missing(conn, mode, ids, now)
        return {}

    def change_mark(self, conn: Connection, now: datetime) -> str:
        """See `Catalog.change_mark`: the change count committed (`catalog_changes`). A
        batch that numbered its change before it is committed; one that numbers after it
        gets a higher number, whenever it commits."""
        return str(committed_changes(conn))

    def export_ids(
        self, conn: Connection, *, active: bool | None, since: str | None, mark: str | None,
        after_id: int, limit: int,
    ) -> list[Listed]:
        """See `Catalog.export_ids`: the count tells every change, so no stamps."""
        where, params = _export_filter(conn, active, since, after_id)
        cur = raw_cursor(conn)
        cur.execute(
            f"SELECT id, reference FROM products WHERE {where} ORDER BY id "
            f"LIMIT {placeholder(conn)}",
            (*params, limit),
        )
        return [Listed(int(i), str(r)) for i, r in cur.fetchall()]

    def queue_export(
        self, conn: Connection, task_id: int, *, first_seq: int, active: bool | None,
        since: str | None, after_id: int, limit: int,
    ) -> Queued:
        """See `Catalog.queue_export`.

        One INSERT ... SELECT in the caller's write transaction: no row passes through Python,
        a fifth of the cost of reading the ids and inserting them back.
        """
        where, params = _export_filter(conn, active, since, after_id)
        p = placeholder(conn)
        cur = raw_cursor(conn)
        base = first_seq - 1
        insert = "INSERT INTO items (task_id, seq, key, input, outcome) "
        if conn.dialect.name == "sqlite":
            # The write lock is held (BEGIN IMMEDIATE), so the products cannot change between
            # the two statements: when the chunk's ids have no gap, seq is plain arithmetic,
            # twice as fast as numbering the rows with a window function.
            cur.execute(
                f"SELECT count(*), min(id), max(id) FROM (SELECT id FROM products "
                f"WHERE {where} ORDER BY id LIMIT ?) chunk",
                (*params, limit),
            )
            found = cur.fetchone()
            assert found is not None  # count(*) always answers a row
            count, low, high = found
            if not count:
                return Queued(0, after_id)
            if high - low + 1 == count:
                cur.execute(
                    f"{insert}SELECT ?, ? + id, reference, CAST(id AS TEXT), 0 FROM products "
                    "WHERE id >= ? AND id <= ?",
                    (task_id, base + 1 - low, low, high),
                )
                return Queued(count, int(high))
        cur.execute(
            f"{insert}SELECT {p}, {p} + row_number() OVER (ORDER BY id), reference, "
            f"CAST(id AS TEXT), 0 FROM (SELECT id, reference FROM products WHERE {where} "
            f"ORDER BY id LIMIT {p}) chunk",
            (task_id, base, *params, limit),
        )
        added = int(cur.rowcount)
        if added <= 0:
            return Queued(0, after_id)
        cur.execute(
            f"SELECT input FROM items WHERE task_id = {p} AND seq = {p}", (task_id, base + added)
        )
        last = cur.fetchone()
        assert last is not None  # the item just inserted
        return Queued(added, int(last[0]))

    def export_rows(
        self, conn: Connection, ids: Sequence[int], fields: Sequence[str]
    ) -> Iterator[Product]:
        """See `Catalog.export_rows`."""
        if not ids:
            return
        columns, attrs = _split(fields)
        columns = [c for c in dict.fromkeys(["id", *columns])]
        select = columns + (["attributes"] if attrs else [])
        p = placeholder(conn)
        cur = raw_cursor(conn)
        cur.execute(
            f"SELECT {', '.join(select)} FROM products WHERE id IN ({', '.join([p] * len(ids))})",
            tuple(ids),
        )
        rows = cur.fetchall()
        for row in rows:
            values: Values = dict(zip(columns, row, strict=False))
            if values.get("price") is not None:
                values["price"] = canonical_decimal(Decimal(values["price"]))
            if "active" in values:
                values["active"] = bool(values["active"])
            if attrs:
                stored = row[-1]
                bag = (json.loads(stored) if isinstance(stored, str) else stored) or {}
                for name in attrs:
                    values[ATTRIBUTE_PREFIX + name] = bag.get(name)
            yield Product(int(row[0]), values)

    def export_table(
        self, conn: Connection, ids: Sequence[int], fields: Sequence[str]
    ) -> ExportTable | None:
        """See `Catalog.export_table`: a price is its canonical decimal text. None when a
        field needs `export_rows` (attributes).
        """
        columns, attrs = _split(fields)
        if attrs or not ids or any(c not in _EXPORT_KINDS for c in columns):
            return None
        kinds = [_EXPORT_KINDS[c] for c in fields]
        select = ", ".join(["id", *fields])
        p = placeholder(conn)
        cur = raw_cursor(conn)
        low, high = min(ids), max(ids)
        if high - low < 2 * len(ids):
            # A batch's ids are a run of the catalog (queued by id): a range reads it in order
            # from the primary key; products in the range that were not queued are dropped.
            cur.execute(
                f"SELECT {select} FROM products WHERE id >= {p} AND id <= {p} ORDER BY id",
                (low, high),
            )
            rows = cur.fetchall()
            if len(rows) != len(ids):
                wanted = set(ids)
                rows = [row for row in rows if row[0] in wanted]
        else:
            rows = []
            for start in range(0, len(ids), 10_000):
                part = ids[start:start + 10_000]
                cur.execute(
                    f"SELECT {select} FROM products WHERE id IN ({', '.join([p] * len(part))})",
                    tuple(part),
                )
                rows += cur.fetchall()
            rows.sort(key=_first)
        if not rows:
            return ExportTable((), kinds, [() for _ in fields])
        found, *read = zip(*rows, strict=True)
        values: list[Sequence[Any]] = list(read)
        for at, column in enumerate(fields):
            if column == "price":
                values[at] = _price_texts(values[at])
        return ExportTable(found, kinds, values)

    def export_json(
        self, conn: Connection, ids: Sequence[int], names: Sequence[str], fields: Sequence[str]
    ) -> str | None:
        """See `Catalog.export_json`. Built by
        SQLite itself: the same text `feeds.export.product_lines` writes, with no Python
        object per product. Only for the usual batch, a run of consecutive ids that are all
        still in the catalog, with every price in its canonical text; None otherwise, and
        the caller takes `export_table`.
        """
        if conn.dialect.name != "sqlite" or not ids or not names:
            return None
        columns, attrs = _split(fields)
        if attrs or any(c not in _EXPORT_KINDS for c in columns):
            return None
        low, high = ids[0], ids[-1]
        if high - low + 1 != len(ids) or min(ids) != low or max(ids) != high:
            return None  # not a run: ids are distinct, so a run of len(ids) is every id in it
        built = self._export_json(raw_cursor(conn), low, high, names, fields)
        return None if built is None else built[1]

    @staticmethod
    def _export_json(
        cur: Any, low: int, high: int, names: Sequence[str], fields: Sequence[str]
    ) -> tuple[int, str] | None:
        """(products, their JSON text), or None when a product or value rules SQL out."""
        pieces: list[str] = []
        checks: list[str] = []
        prices: list[str] = []
        for at, (name, column) in enumerate(zip(names, fields, strict=True)):
            key = ("{" if at == 0 else ", ") + encode_basestring(name) + ": "
            pieces.append("'" + key.replace("'", "''") + "'")
            kind = _EXPORT_KINDS[column]
            if kind == "text":
                pieces.append(f"json_quote({column})")  # the escapes of encode_basestring
            elif kind == "int":
                pieces.append(f"ifnull({column}, 'null')")
                checks.append(f"typeof({column}) IN ('integer', 'null')")
            elif kind == "bool":
                pieces.append(f"CASE WHEN {column} IS NULL THEN 'null' WHEN {column} "
                              "THEN 'true' ELSE 'false' END")
            else:  # the price: written as stored, when that is its canonical text
                pieces.append(column)
                prices.append(column)
        line = " || ".join([*pieces, "'}'"])
        bad = f"CASE WHEN {' AND '.join(checks)} THEN 0 ELSE 1 END" if checks else "0"
        # Prices are checked in Python, all at once: the same test in SQL (GLOBs) costs more.
        extra = "".join(f", count({c}), group_concat({c}, char(10))" for c in prices)
        # A range of the primary key is read in id order, the order group_concat joins.
        cur.execute(
            f"SELECT count(*), sum({bad}), group_concat({line}, ?){extra} "
            "FROM products WHERE id >= ? AND id <= ?",
            (",\n", low, high),
        )
        count, bad_count, text, *price_columns = cur.fetchone()
        if count != high - low + 1 or bad_count or text is None:
            return None
        for present, stored in zip(price_columns[::2], price_columns[1::2], strict=True):
            stored = f"{stored}\n"
            if present != count or stored.count("\n") != count or not _canonical(stored):
                return None
        return count, str(text)


_AS_TEXT = ("id", "quantity", "active")


def _number(text: str) -> Any:
    try:
        return Decimal(text)
    except ArithmeticError:
        return text  # not a number (written by something else): compares as changed


def _whole(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text


def _flag(text: str) -> Any:
    return text not in ("0", "")


# How a value the SQLite query hands over (text, see _AS_TEXT) reads as its field's value.
_LOADERS: dict[str, Any] = {"price": _number, "quantity": _whole, "id": _whole, "active": _flag}


def _ambiguous_once(rows: list[Joined]) -> list[Joined]:
    """One row an item: an item that joined several products gets product id AMBIGUOUS."""
    once: list[Joined] = []
    for row in rows:
        if once and once[-1][SEQ] == row[SEQ]:
            once[-1] = (*row[:PRODUCT_ID], AMBIGUOUS)
        else:
            once.append(row)
    return once


_EXPORT_KINDS = {"id": "int", "reference": "text", "ean13": "text", "name": "text",
                 "price": "number", "quantity": "int", "active": "bool"}
# Canonical decimal text with its cents, the way prices are stored: kept as is, checked for a
# whole batch by one regular expression instead of a Decimal per product.
# (One price a line: callers check that no price holds a line break of its own.)
_canonical = re.compile(r"(?:-?(?:0|[1-9][0-9]*)\.[0-9][0-9]\n)*").fullmatch


def _first(row: tuple[Any, ...]) -> Any:
    return row[0]


def _price_texts(prices: Sequence[Any]) -> Sequence[Any]:
    """Prices as their canonical decimal text ("12.50", "0.125"), exactly `export_rows`'s."""
    try:
        texts = "\n".join(prices) + "\n"
        if texts.count("\n") == len(prices) and _canonical(texts):
            return prices  # SQLite stores the canonical text: the usual case
    except TypeError:
        pass  # Decimal (PostgreSQL), or a missing value
    return [None if v is None else str(canonical_decimal(Decimal(v))) for v in prices]


def _export_filter(
    conn: Connection, active: bool | None, since: str | None, after_id: int
) -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) of the products an export queues after `after_id`."""
    p = placeholder(conn)
    where = [f"id > {p}"]
    params: list[Any] = [after_id]
    if active is not None:
        where.append(f"active = {p}")
        params.append(active)
    if since is not None and since.isdigit():  # a change count (`change_mark`)
        where.append(f"change_seq > {p}")
        params.append(int(since))
    elif since is not None:  # a time: an export started by a syncbeat before change counts
        where.append(f"updated_at > {p}")
        moment = datetime.fromisoformat(since)
        params.append(sqlite_datetime(moment) if conn.dialect.name == "sqlite" else moment)
    return " AND ".join(where), params


# A statement of a batch's writes, its rows built outside the write transaction (`prepare`):
# called with the transaction and the change number it took.
_Step = Callable[[Connection, int], None]


def _steps(
    dialect: str, fields: Sequence[str], updates: Mapping[int, Values],
    creates: Sequence[Values], now: datetime,
) -> list[_Step]:
    columns, attrs = _split(fields)
    columns = [c for c in columns if c != "id"]
    steps: list[_Step] = []
    if updates and dialect == "postgresql":
        steps.append(_update_postgresql(columns, attrs, updates, now))
    elif updates:
        steps.append(_update_sqlite(columns, attrs, updates, sqlite_datetime(now)))
    if creates:
        steps += _create(dialect, columns, attrs, creates, now)
    return steps


def _write(conn: Connection, steps: list[_Step]) -> None:
    if not steps:
        return
    # Numbered last thing before the writes: the count's row stays locked only from here
    # to the batch's commit (docs/profiles.md, "Only what changed since the last export").
    change = next_change(conn)
    for step in steps:
        step(conn, change)


def _update_sqlite(
    columns: list[str], attrs: list[str], updates: Mapping[int, Values], stamp: str,
) -> _Step:
    """Update products a hundred a statement, as an upsert on their id: SQLite's UPDATE
    takes one row a statement. Every product was read before, so each row meets its
    product's id and updates it; the row carries the product's own reference, which makes
    it one the table would accept, as the upsert syntax requires. Without the reference at
    hand, one UPDATE a product."""
    names = [*columns, "updated_at"] + (["attributes"] if attrs else [])
    price_at = columns.index("price") if "price" in columns else -1
    known = "reference" in columns or all("reference" in v for v in updates.values())
    extra = ["reference"] if known and "reference" not in columns else []
    rows: list[list[Any]] = []
    for product_id, values in updates.items():
        row = [values.get(c) for c in columns]
        price = row[price_at] if price_at >= 0 else None
        if price is not None:
            row[price_at] = sqlite_decimal(price)
        row.append(stamp)
        if attrs:
            row.append(_attributes(values, attrs))
        if not known:
            row.append(product_id)
        elif extra:
            row[:0] = [product_id, values["reference"]]
        else:
            row.insert(0, product_id)
        rows.append(row)
    if not known:
        sets = ", ".join(f"{name} = ?" for name in names)

        def update_each(conn: Connection, change: int) -> None:
            raw_cursor(conn).executemany(
                f"UPDATE products SET {sets}, change_seq = {int(change)} WHERE id = ?", rows)

        return update_each
    head = ["id", *extra, *names]
    sets = ", ".join(f"{name} = excluded.{name}" for name in names)

    def upsert(conn: Connection, change: int) -> None:
        many_rows(raw_cursor(conn), f"INSERT INTO products ({', '.join(head)}, change_seq) "
                  "VALUES ", "(" + "?, " * len(head) + f"{int(change)})",
                  f" ON CONFLICT (id) DO UPDATE SET {sets}, change_seq = {int(change)}", rows)

    return upsert


def _update_postgresql(
    columns: list[str], attrs: list[str], updates: Mapping[int, Values], stamp: datetime,
) -> _Step:
    """One UPDATE ... FROM unnest(arrays): executemany would cost a round trip a product."""
    names = ["id", *columns] + (["attributes"] if attrs else [])
    arrays: list[list[Any]] = [[] for _ in names]
    for product_id, values in updates.items():
        arrays[0].append(product_id)
        for i, column in enumerate(columns, start=1):
            value = values.get(column)
            arrays[i].append(canonical_decimal(value) if column == "price" and value
                             is not None else value)
        if attrs:
            arrays[-1].append(_attributes(values, attrs))
    casts = ", ".join(f"%s::{_PG_TYPES[name]}[]" for name in names)
    sets = [f"{c} = v.{c}" for c in columns] + ["updated_at = %s", "change_seq = %s"]
    if attrs:
        sets.append("attributes = v.attributes::json")

    def update(conn: Connection, change: int) -> None:
        raw_cursor(conn).execute(
            f"UPDATE products SET {', '.join(sets)} FROM unnest({casts}) "
            f"AS v({', '.join(names)}) WHERE products.id = v.id",
            (stamp, change, *arrays),
        )

    return update


def _create(
    dialect: str, columns: list[str], attrs: list[str], creates: Sequence[Values],
    now: datetime,
) -> list[_Step]:
    """New products, a statement for each set of fields they carry (products differ in
    which fields a feed gives them); on SQLite a hundred a statement, each value as the
    table's types store it there (SQLAlchemy's insert of dicts cost 30 us a product)."""
    shapes: dict[tuple[str, ...], list[list[Any]]] = {}
    sqlite = dialect == "sqlite"
    stamp: Any = sqlite_datetime(now) if sqlite else now
    for values in creates:
        names = [c for c in columns if values.get(c) is not None]
        if "reference" not in names:
            names.append("reference")
        if "ean13" not in names and values.get("ean13") is not None:
            names.append("ean13")
        row = [values[c] for c in names]
        if sqlite and "price" in names:
            at = names.index("price")
            row[at] = sqlite_decimal(row[at])
        names.append("updated_at")
        row.append(stamp)
        if attrs:
            names.append("attributes")
            bag = {name: values.get(ATTRIBUTE_PREFIX + name) for name in attrs}
            row.append(json.dumps(bag, ensure_ascii=False) if sqlite else bag)
        shapes.setdefault(tuple(names), []).append(row)
    unknown = {name for shape in shapes for name in shape if name not in products.c}
    if unknown:  # names come from the profile's checked fields: never seen, said all the same
        raise ValueError(f"the products table has no column {', '.join(sorted(unknown))}")
    if sqlite:
        return [partial(_insert_sqlite, shape, group) for shape, group in shapes.items()]
    return [partial(_insert, [dict(zip(shape, row, strict=True)) for row in group])
            for shape, group in shapes.items()]


def _insert_sqlite(shape: tuple[str, ...], rows: list[list[Any]], conn: Connection,
                   change: int) -> None:
    many_rows(raw_cursor(conn), f"INSERT INTO products ({', '.join(shape)}, change_seq) "
              "VALUES ", "(" + "?, " * len(shape) + f"{int(change)})", "", rows)


def _insert(rows: list[dict[str, Any]], conn: Connection, change: int) -> None:
    conn.execute(sa.insert(products).values(change_seq=change), rows)


def _attributes(values: Values, attrs: list[str]) -> str:
    bag = dict(values.get(ATTRIBUTE_BAG) or {})
    for name in attrs:
        bag[name] = values.get(ATTRIBUTE_PREFIX + name)
    return json.dumps(bag, ensure_ascii=False)
