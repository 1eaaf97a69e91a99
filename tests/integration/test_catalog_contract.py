"""The catalog contract (`syncbeat.catalog.base.Catalog`), run on every catalog.

Every test takes `catalog_under_test` and exercises one declared method through what it
gives back; the last tests run an import and an export through the heartbeat on the catalog.
The store is the `ctx` fixture's database (SQLite, or PostgreSQL when
SYNCBEAT_TEST_DATABASE_URL says so); calls get the store's connection, as the engine gives it.

To join the suite, a new catalog adds a parameter to `catalog_under_test` that:
- builds its own empty database (for PrestaShop: a fresh MariaDB database with the tables a
  shop has), and yields `Subject(catalog=..., fast_paths=..., attributes=...)`;
- `fast_paths`: whether it answers the fast paths (`queued_with_products`, `queue_export`,
  `export_table`, `export_json`) for a usual batch; a catalog in another database than the
  store answers None (`base.PlainCatalog`), and the tests then check the engine's plain path;
- `attributes`: whether it holds free attributes ("attributes.NAME" fields).
Products are created through `Catalog.apply`, so the suite needs nothing else of it: the
catalog must take the fields of FIELDS (reference, ean13, name, price, quantity, active).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from helpers import (
    add_profile,
    changes_profile,
    drain,
    exported,
    import_profile,
    task_of,
    write_csv,
)

from syncbeat.catalog.base import (
    AMBIGUOUS,
    ATTRIBUTE_BAG,
    CURRENT,
    PRODUCT_ID,
    Catalog,
    ExportTable,
    JoinedBatch,
    Listed,
    PlainCatalog,
    Product,
    Values,
)
from syncbeat.catalog.builtin import BuiltinCatalog
from syncbeat.catalog.location import PrestashopLocation
from syncbeat.domain.catalog_fields import BUILTIN_FIELDS
from syncbeat.domain.convert import canonical_decimal
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.artifacts import report_lines
from syncbeat.engine.finish import EXPORT_FILE
from syncbeat.engine.process import ImportPlan, export_values, join_found
from syncbeat.feeds.jsonvalues import dumps
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.items import insert_items, read_batch
from syncbeat.store.tasks import create_task

FIELDS = ["reference", "ean13", "name", "price", "quantity", "active"]
COLOR = "attributes.color"


class PlainBuiltinCatalog(PlainCatalog, BuiltinCatalog):
    """The built-in catalog without its fast paths, as a catalog in another database is."""


@dataclass
class Subject:
    catalog: Catalog
    fast_paths: bool  # answers the fast paths for a usual batch (else: None, always)
    attributes: bool = True  # holds free attributes


_prefixes = itertools.count(1)


@pytest.fixture(params=["builtin", "builtin-plain", "prestashop"])
def catalog_under_test(request: pytest.FixtureRequest, ctx: Any) -> Iterator[Subject]:
    """The catalog, on an empty database of its own; the engine context `ctx` uses it."""
    if request.param == "builtin":
        subject = Subject(catalog=BuiltinCatalog(), fast_paths=True)
    elif request.param == "builtin-plain":
        subject = Subject(catalog=PlainBuiltinCatalog(), fast_paths=False)
    else:  # an empty shop of its own: a fresh table prefix in the module's MariaDB database
        from syncbeat.catalog.location import parse_catalog
        from syncbeat.catalog.prestashop.catalog import PrestashopCatalog

        shop_db = request.getfixturevalue("shop_db")
        prefix = f"c{next(_prefixes)}_"
        shop_db.install(prefix)
        location = parse_catalog(shop_db.url(prefix))
        assert isinstance(location, PrestashopLocation)
        catalog = PrestashopCatalog(location)
        subject = Subject(catalog=catalog, fast_paths=False, attributes=False)
        ctx.catalog = subject.catalog
        yield subject
        catalog.engine.dispose()
        return
    ctx.catalog = subject.catalog
    yield subject


def product(reference: str, price: str = "1.00", quantity: int = 1, *, name: str | None = None,
            ean13: str | None = None, active: bool = True) -> Values:
    return {"reference": reference, "ean13": ean13, "name": name or f"Product {reference}",
            "price": Decimal(price), "quantity": quantity, "active": active}


def create(ctx: Any, catalog: Catalog, *products: Values, fields: Sequence[str] = FIELDS,
           ) -> list[int]:
    """Create products through the contract at the clock's time; their ids."""
    with write_tx(ctx.db) as conn:
        catalog.apply(conn, fields, {}, list(products), ctx.clock())
    with read_tx(ctx.db) as conn:
        found = catalog.fetch(conn, "reference", [p["reference"] for p in products], fields)
    return [found[p["reference"]].id for p in products]


def fetch(ctx: Any, catalog: Catalog, match: str, keys: list[str],
          fields: Sequence[str] = FIELDS) -> dict[str, Product]:
    with read_tx(ctx.db) as conn:
        return catalog.fetch(conn, match, keys, fields)


def export_ids(ctx: Any, catalog: Catalog, **filters: Any) -> list[Listed]:
    args = {"active": None, "since": None, "mark": None, "after_id": 0, "limit": 1000,
            **filters}
    with read_tx(ctx.db) as conn:
        return catalog.export_ids(conn, **args)


def change_mark(ctx: Any, catalog: Catalog) -> str:
    """The catalog's change mark now, past the overlap a catalog of changed times lists
    before a mark (the clock moves on ten minutes first)."""
    ctx.clock.advance(minutes=10)
    with read_tx(ctx.db) as conn:
        return catalog.change_mark(conn, ctx.clock())


def export_rows(ctx: Any, catalog: Catalog, ids: list[int], fields: Sequence[str] = FIELDS
                ) -> dict[int, Values]:
    """The products' values of `fields` (a catalog may give more)."""
    with read_tx(ctx.db) as conn:
        return {product.id: {f: product.values[f] for f in fields}
                for product in catalog.export_rows(conn, ids, fields)}


# fetch

@pytest.mark.parametrize("match", BUILTIN_FIELDS.match)
def test_fetch_finds_products_by_each_match_field(catalog_under_test, ctx, match):
    catalog = catalog_under_test.catalog
    made = [product("A1", "10.50", 3, ean13="4006381333931"),
            product("B2", "0.99", 0, ean13="4006381333948", active=False)]
    ids = create(ctx, catalog, *made)
    keys = [str(ids[i]) if match == "id" else str(made[i][match]) for i in range(2)]
    found = fetch(ctx, catalog, match, [*keys, "nowhere", "999999"])
    assert set(found) == set(keys)
    for key, made_id, values in zip(keys, ids, made, strict=True):
        assert found[key] == Product(made_id, values)
        got = found[key].values
        assert isinstance(got["price"], Decimal) and isinstance(got["quantity"], int)
        assert isinstance(got["active"], bool)
    if match == "id":  # feed text: "007" is product 7
        assert fetch(ctx, catalog, "id", [f"00{ids[0]}"])[f"00{ids[0]}"].id == ids[0]


def test_fetch_gives_only_the_fields_asked_for(catalog_under_test, ctx):
    catalog = catalog_under_test.catalog
    [made_id] = create(ctx, catalog, product("A1", "2.50", 4))
    assert fetch(ctx, catalog, "reference", ["A1"], ["price", "quantity"]) == {
        "A1": Product(made_id, {"price": Decimal("2.50"), "quantity": 4})}
    assert fetch(ctx, catalog, "reference", [], FIELDS) == {}


def test_a_key_several_products_share_is_ambiguous(catalog_under_test, ctx):
    catalog = catalog_under_test.catalog
    create(ctx, catalog, product("A1", ean13="4006381333931"),
           product("A2", ean13="4006381333931"), product("A3", ean13="4006381333948"))
    found = fetch(ctx, catalog, "ean13", ["4006381333931", "4006381333948"])
    assert found["4006381333931"] == Product(AMBIGUOUS, {})
    assert found["4006381333948"].id not in (AMBIGUOUS, None)


def test_free_attributes_are_read_with_the_whole_bag(catalog_under_test, ctx):
    if not catalog_under_test.attributes:
        pytest.skip("this catalog holds no free attributes")
    catalog = catalog_under_test.catalog
    fields = [*FIELDS, COLOR]
    [made_id] = create(ctx, catalog, {**product("A1"), COLOR: "red"}, fields=fields)
    got = fetch(ctx, catalog, "reference", ["A1"], ["price", COLOR])["A1"]
    assert got.id == made_id
    assert got.values[COLOR] == "red" and got.values[ATTRIBUTE_BAG] == {"color": "red"}


# apply

@pytest.mark.parametrize("prepared", [False, True], ids=["apply", "prepare-then-write"])
def test_apply_writes_updates_and_creates(catalog_under_test, ctx, clock, prepared):
    catalog = catalog_under_test.catalog
    first, second = create(ctx, catalog, product("A1", "1.00", 1), product("A2", "2.00", 2))
    made = change_mark(ctx, catalog)
    clock.advance(minutes=5)
    changed = product("A1", "1.25", 7, name="Renamed", active=False)
    updates, creates = {first: changed}, [product("N1", "9.90", 5)]
    if prepared:
        # Made outside any transaction, as a batch decided in a read snapshot makes them.
        writes = catalog.prepare(ctx.db.dialect.name, FIELDS, updates, creates, clock.now)
        if writes is None:
            assert not catalog_under_test.fast_paths
            pytest.skip("this catalog prepares nothing: the engine calls apply")
        with write_tx(ctx.db) as conn:
            catalog.write(conn, writes)
    else:
        with write_tx(ctx.db) as conn:
            catalog.apply(conn, FIELDS, updates, creates, clock.now)
    found = fetch(ctx, catalog, "reference", ["A1", "A2", "N1"])
    assert found["A1"] == Product(first, changed)
    assert found["A2"] == Product(second, product("A2", "2.00", 2))
    assert found["N1"].values == product("N1", "9.90", 5)
    assert found["N1"].id not in (first, second)
    # The products written changed after the mark, and only they.
    assert [p.id for p in export_ids(ctx, catalog, since=made)] == sorted(
        [first, found["N1"].id])


def test_writes_prepared_for_another_database_are_refused(ctx):
    catalog = BuiltinCatalog()
    other = "postgresql" if ctx.db.dialect.name == "sqlite" else "sqlite"
    writes = catalog.prepare(other, FIELDS, {}, [product("N1")], ctx.clock())
    with pytest.raises(ValueError, match=f"writes prepared for {other}"), \
            write_tx(ctx.db) as conn:
        catalog.write(conn, writes)
    with read_tx(ctx.db) as conn:
        assert catalog.fetch(conn, "reference", ["N1"], FIELDS) == {}


def test_a_refused_product_raises(catalog_under_test, ctx):
    catalog = catalog_under_test.catalog
    create(ctx, catalog, product("A1"))
    with pytest.raises(Exception), write_tx(ctx.db) as conn:  # noqa: B017  any driver's error
        catalog.apply(conn, FIELDS, {}, [product("A1")], ctx.clock())  # the reference is taken
    assert len(export_ids(ctx, catalog)) == 1


# export_ids and export_rows

def test_browse_and_show_give_products_as_people_see_them(catalog_under_test, ctx):
    catalog = catalog_under_test.catalog
    ids = create(ctx, catalog, product("B-2", "10.50", 3, name="Blue mug"),
                 product("A-1", "0.99", 0, name="Red cap", ean13="4006381333931",
                         active=False), product("C_3", name="Green 100% cotton"))
    with read_tx(ctx.db) as conn:
        everything = catalog.browse(conn, search=None, limit=50, offset=0)
        second = catalog.browse(conn, search=None, limit=1, offset=1)
        searched = [catalog.browse(conn, search=text, limit=50, offset=0)
                    for text in ("MUG", "a-1", "100%", "_", "nothing")]
        shown = catalog.show(conn, "A-1")
        by_id = catalog.show(conn, str(ids[0]))
        missing = catalog.show(conn, "Z-9")
    assert [p["reference"] for p in everything.products] == ["A-1", "B-2", "C_3"]
    assert everything.total == 3
    assert ([p["reference"] for p in second.products], second.total) == (["B-2"], 3)
    assert [[p["reference"] for p in page.products] for page in searched] == [
        ["B-2"], ["A-1"], ["C_3"], ["C_3"], []]
    assert shown is not None
    assert {k: shown[k] for k in ("id", "reference", "ean13", "name", "price", "quantity",
                                  "active")} == {
        "id": ids[1], "reference": "A-1", "ean13": "4006381333931", "name": "Red cap",
        "price": "0.99", "quantity": 0, "active": False}
    assert by_id is not None and by_id["reference"] == "B-2" and by_id["price"] == "10.50"
    assert missing is None


def test_export_ids_filter_by_active_and_changed_time_and_page(catalog_under_test, ctx, clock):
    catalog = catalog_under_test.catalog
    ids = create(ctx, catalog, *[product(f"P{i}", active=i % 3 != 0) for i in range(1, 8)])
    every = [Listed(made_id, f"P{i}") for i, made_id in enumerate(ids, start=1)]
    assert export_ids(ctx, catalog) == every
    assert export_ids(ctx, catalog, active=True) == [p for p in every if p.reference not in
                                                     ("P3", "P6")]
    assert export_ids(ctx, catalog, active=False) == [every[2], every[5]]
    pages, after = [], 0
    while page := export_ids(ctx, catalog, after_id=after, limit=3):
        assert len(page) <= 3
        pages.append(page)
        after = page[-1].id
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [listed for page in pages for listed in page] == every
    before = change_mark(ctx, catalog)
    clock.advance(minutes=1)
    with write_tx(ctx.db) as conn:
        catalog.apply(conn, ["price"], {ids[3]: {"price": Decimal("5.00")}}, [], clock.now)
    assert export_ids(ctx, catalog, since=before) == [every[3]]
    assert export_ids(ctx, catalog, since=before, active=False) == []
    assert export_ids(ctx, catalog, since=change_mark(ctx, catalog)) == []


def test_export_rows_give_the_products_still_there(catalog_under_test, ctx):
    catalog = catalog_under_test.catalog
    ids = create(ctx, catalog, product("A1", "10.5", 3, ean13="4006381333931"),
                 product("A2", "0.10", 0, active=False))
    rows = export_rows(ctx, catalog, [*ids, 999_999])
    assert rows == {ids[0]: product("A1", "10.50", 3, ean13="4006381333931"),
                    ids[1]: product("A2", "0.10", 0, active=False)}
    assert str(rows[ids[0]]["price"]) == "10.50"  # canonical: the cents written
    assert export_rows(ctx, catalog, [ids[1]], ["reference", "price"]) == {
        ids[1]: {"reference": "A2", "price": Decimal("0.10")}}
    assert export_rows(ctx, catalog, []) == {}


# The fast paths: None, or the same as the plain methods.

def queued_task(ctx: Any, keys: list[str]) -> int:
    """A task with these keys queued as pending import items (input: price, stock)."""
    profile = add_profile(ctx, import_profile())
    with write_tx(ctx.db) as conn:
        task_id = create_task(conn, profile, scheduled_at=ctx.clock(), trigger="manual",
                              now=ctx.clock())
        assert task_id is not None
        insert_items(conn, task_id, [(seq, key, f"{key}\x1f2.00\x1f5\x1ft", 0, None)
                                     for seq, key in enumerate(keys, start=1)])
    return task_id


@pytest.mark.parametrize("match", BUILTIN_FIELDS.match)
def test_queued_with_products_is_the_join_of_the_items_with_fetch(catalog_under_test, ctx,
                                                                   match):
    catalog = catalog_under_test.catalog
    ids = create(ctx, catalog, product("A1", "10.50", 3, ean13="4006381333931"),
                 product("A2", ean13="4006381333931"), product("A3", "0.99", 0, active=False))
    key_of = {"reference": ["A1", "A3"], "ean13": ["4006381333931"],
              "id": [str(ids[0]), str(ids[2])]}[match]
    task_id = queued_task(ctx, [*key_of, "nowhere", *key_of])
    plan = ImportPlan.from_spec({**import_profile(match={"feed": "sku", "catalog": match}),
                                 "mapping": {"price": "net_price", "quantity": "stock",
                                             "active": "title"}}, catalog.known)
    with read_tx(ctx.db) as conn:
        joined = catalog.queued_with_products(conn, task_id, 1, 3, match, plan.fetch_fields)
        queued = read_batch(conn, task_id, 1, 3)
        plain = join_found(plan, queued, catalog.fetch(
            conn, match, list(dict.fromkeys(r[1] for r in queued)), plan.fetch_fields))
    assert [row[PRODUCT_ID] for row in plain] == (
        [None, AMBIGUOUS] if match == "ean13" else [ids[2], None, ids[0]])
    if joined is None:
        assert not catalog_under_test.fast_paths or match == "id"
        return
    assert isinstance(joined, JoinedBatch)
    assert len(joined.loaders) == len(plan.fetch_fields)
    loads = [None] * CURRENT + joined.loaders
    read = [tuple(load(v) if load is not None and v is not None else v
                  for load, v in zip(loads, row, strict=False)) for row in joined.rows]
    assert [_known(row) for row in read] == [_known(row) for row in plain]


def _known(row: Sequence[Any]) -> tuple[Any, ...]:
    """A joined row as far as it holds: nothing after the product id of a key not found
    or ambiguous."""
    if row[PRODUCT_ID] is None or row[PRODUCT_ID] == AMBIGUOUS:
        return tuple(row[:PRODUCT_ID + 1])
    return tuple(row)


def test_queue_export_queues_what_export_ids_lists(catalog_under_test, ctx, clock):
    catalog = catalog_under_test.catalog
    before = change_mark(ctx, catalog)
    ids = create(ctx, catalog, *[product(f"P{i}", active=i != 2) for i in range(1, 6)])
    task_id = queued_task(ctx, [])
    with write_tx(ctx.db) as conn:
        queued = catalog.queue_export(conn, task_id, first_seq=1, active=True, since=before,
                                      after_id=ids[0], limit=3)
    if queued is None:
        assert not catalog_under_test.fast_paths
        return
    listed = export_ids(ctx, catalog, active=True, after_id=ids[0], limit=3)
    assert queued == (3, listed[-1].id)
    with read_tx(ctx.db) as conn:
        items = read_batch(conn, task_id, 0, 10)
    assert items == [(seq, p.reference, str(p.id), 0) for seq, p in enumerate(listed, start=1)]
    with write_tx(ctx.db) as conn:
        assert catalog.queue_export(conn, task_id, first_seq=4, active=True, since=None,
                                    after_id=ids[-1], limit=3) == (0, ids[-1])


def test_export_table_and_json_are_what_export_rows_give(catalog_under_test, ctx):
    catalog = catalog_under_test.catalog
    ids = sorted(create(ctx, catalog, product("A1", "10.5", 3, name='quote " Šilutė\n'),
                        product("A2", "0.10", 0, active=False, ean13="4006381333931"),
                        product("A3", "7", 9)))  # a batch's ids come in order
    fields = {"sku": "reference", "code": "ean13", "title": "name", "price": "price",
              "qty": "quantity", "on": "active", "pid": "id"}
    rows = export_rows(ctx, catalog, ids, list(fields.values()))
    expected = [dumps(export_values(rows[i], fields)) for i in ids]
    with read_tx(ctx.db) as conn:
        table = catalog.export_table(conn, ids, list(fields.values()))
        text = catalog.export_json(conn, ids, list(fields), list(fields.values()))
        gone = catalog.export_json(conn, [*ids, ids[-1] + 1], list(fields),
                                   list(fields.values()))
    assert gone is None  # a product not there: the engine takes the other paths
    if not catalog_under_test.fast_paths:
        assert table is None and text is None
        return
    assert text is None or text == ",\n".join(expected)  # None: export_table is the path
    assert isinstance(table, ExportTable) and table.ids == tuple(ids)
    for values, column, kind in zip(
            [[rows[i][f] for i in ids] for f in fields.values()], table.columns, table.kinds,
            strict=True):
        if kind == "number":
            values = [None if v is None else str(canonical_decimal(v)) for v in values]
        assert list(column) == values


# Through the engine: what a user sees of an import and an export on this catalog.

def report(ctx: Any, task_id: int) -> list[tuple[str, str, str]]:
    import csv
    import io

    rows = csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task_of(ctx, task_id)))))
    return [(r["key"], r["outcome"], r["detail"]) for r in rows]


def test_an_import_changes_the_catalog_and_reports_each_row(catalog_under_test, ctx):
    catalog = catalog_under_test.catalog
    create(ctx, catalog, product("A1", "1.00", 1), product("A2", "2.00", 2))
    write_csv(ctx, "a.csv", ["sku", "title", "net_price", "stock"], [
        ["A1", "", "1.50", "1"], ["A2", "", "2.00", "2"], ["N1", "New", "3.00", "3"],
        ["A2", "", "x", "2"], ["A1", "", "", "4"]])
    # Rows of one key, applied in feed order (a feed with duplicates = "last_wins").
    profile = add_profile(ctx, import_profile(options={"create_missing": True,
                                                       "duplicates": "last_wins"}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    assert task_of(ctx, task_id).status is TaskStatus.COMPLETED
    assert report(ctx, task_id) == [
        ("A1", "processed", "price: 1.00 -> 1.50"),
        ("A2", "skipped", "no change"),
        ("N1", "processed", "created"),
        ("A2", "error", "price 'x' is not a number"),
        ("A1", "processed", "quantity: 1 -> 4"),
    ]
    found = fetch(ctx, catalog, "reference", ["A1", "N1"], ["price", "quantity", "name"])
    assert found["A1"].values == {"price": Decimal("1.50"), "quantity": 4, "name": "Product A1"}
    assert found["N1"].values == {"price": Decimal("3.00"), "quantity": 3, "name": "New"}


def test_an_export_writes_every_product_asked_for(catalog_under_test, ctx):
    catalog = catalog_under_test.catalog
    create(ctx, catalog, product("A1", "10.5", 3), product("A2", active=False),
           product("A3", "7.25", 9))
    profile = add_profile(ctx, {
        "name": "Catalog to app", "kind": "export", "batch_size": 2,
        "filter": {"active": True},
        "fields": {"sku": "reference", "price": "price", "qty": "quantity"}})
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED, task.message
    assert task.progress.processed == 2 and task.progress.total == 2
    document = json.loads((ctx.task_dir(task_id) / EXPORT_FILE).read_text("utf-8"),
                          parse_float=Decimal)
    assert document["products"] == [
        {"sku": "A1", "price": Decimal("10.50"), "qty": 3},
        {"sku": "A3", "price": Decimal("7.25"), "qty": 9},
    ]


def _export(ctx: Any, profile_id: int) -> list[str]:
    return [p["sku"] for p in exported(ctx, profile_id)]


def test_an_export_after_an_export_with_nothing_changed_exports_nothing(
        catalog_under_test, ctx, clock):
    catalog = catalog_under_test.catalog
    ids = create(ctx, catalog, product("A1"), product("A2"), product("A3"))
    profile_id = changes_profile(ctx)
    clock.advance(minutes=1)
    assert _export(ctx, profile_id) == ["A1", "A2", "A3"]
    clock.advance(minutes=1)  # inside the overlap a catalog of changed times lists again
    assert _export(ctx, profile_id) == []
    assert _export(ctx, profile_id) == []
    with write_tx(ctx.db) as conn:
        catalog.apply(conn, ["quantity"], {ids[1]: {"quantity": 5}}, [], clock())
    clock.advance(minutes=1)
    assert _export(ctx, profile_id) == ["A2"]
    clock.advance(hours=2)  # far past the overlap: nothing, still
    assert _export(ctx, profile_id) == []


def test_a_change_stamped_before_an_export_and_committed_after_it_is_exported_next(
        catalog_under_test, ctx, clock):
    catalog = catalog_under_test.catalog
    ids = create(ctx, catalog, product("A1"), product("A2"))
    clock.advance(minutes=10)
    profile_id = changes_profile(ctx)
    stamped = clock()  # a batch takes its clock here, then the export reads the catalog
    clock.advance(seconds=30)
    assert _export(ctx, profile_id) == ["A1", "A2"]
    with write_tx(ctx.db) as conn:  # ... and the batch commits only now
        catalog.apply(conn, ["quantity"], {ids[0]: {"quantity": 9}}, [], stamped)
    clock.advance(minutes=1)
    assert _export(ctx, profile_id) == ["A1"]
    assert _export(ctx, profile_id) == []


# Products missing from a feed: the scope's products, and what a mode does to them.

def test_scope_products_lists_a_scope_by_id_page_by_page(catalog_under_test, ctx):
    from syncbeat.domain.missing import Scope

    catalog = catalog_under_test.catalog
    ids = create(ctx, catalog, product("ACME-1", quantity=3), product("OTHER-1"),
                 product("ACME-2", name="Special", quantity=0), product("ACME-3", active=False))

    def listed(scope, after_id=0, limit=10, match="reference"):
        with read_tx(ctx.db) as conn:
            return catalog.scope_products(conn, match=match, scope=scope,
                                          fields=["quantity", "active"], after_id=after_id,
                                          limit=limit)

    acme = Scope(field="reference", prefix="ACME-")
    found = listed(acme)
    assert [p.id for p in found] == [ids[0], ids[2], ids[3]]
    assert [(p.values["reference"], p.values["quantity"], p.values["active"])
            for p in found] == [("ACME-1", 3, True), ("ACME-2", 0, True), ("ACME-3", 1, False)]
    assert [p.id for p in listed(acme, limit=2)] == [ids[0], ids[2]]
    assert [p.id for p in listed(acme, after_id=ids[2])] == [ids[3]]
    assert [p.id for p in listed(Scope(field="name", equals="Special"))] == [ids[2]]
    assert len(listed(None)) == 4
    assert listed(None, match="ean13") == []  # no product has an ean13


def test_apply_missing_zeroes_stock_or_disables_and_changes_nothing_twice(
    catalog_under_test, ctx
):
    catalog = catalog_under_test.catalog
    ids = create(ctx, catalog, product("A1", quantity=3), product("A2", quantity=4))
    for _ in range(2):
        with write_tx(ctx.db) as conn:
            assert catalog.apply_missing(conn, "zero_stock", ids[:1], ctx.clock()) == {}
            assert catalog.apply_missing(conn, "disable", ids[1:], ctx.clock()) == {}
    found = fetch(ctx, catalog, "reference", ["A1", "A2"])
    assert (found["A1"].values["quantity"], found["A1"].values["active"]) == (0, True)
    assert (found["A2"].values["quantity"], found["A2"].values["active"]) == (4, False)


def test_products_missing_from_a_feed_through_the_engine(catalog_under_test, ctx):
    catalog = catalog_under_test.catalog
    create(ctx, catalog, product("ACME-1", quantity=3), product("ACME-2", quantity=4),
           product("OTHER-1", quantity=5))
    write_csv(ctx, "a.csv", ["sku", "title", "net_price", "stock"], [["acme-1", "", "", "2"]]
              if not catalog_under_test.fast_paths and not catalog_under_test.attributes
              else [["ACME-1", "", "", "2"]])  # a shop compares keys without case
    profile = add_profile(ctx, import_profile(options={"missing": "zero_stock"},
                                              scope={"reference_prefix": "ACME-"}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    assert task_of(ctx, task_id).status is TaskStatus.COMPLETED
    assert report(ctx, task_id)[1:] == [("ACME-2", "processed", "not in the feed: stock 4 -> 0")]
    found = fetch(ctx, catalog, "reference", ["ACME-1", "ACME-2", "OTHER-1"])
    assert [found[r].values["quantity"] for r in ("ACME-1", "ACME-2", "OTHER-1")] == [2, 0, 5]
