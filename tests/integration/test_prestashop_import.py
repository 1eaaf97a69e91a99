"""An import through the heartbeat on the PrestaShop catalog: a value the shop cannot hold is
that item's error in words, the rest of its batch is applied; a batch the shop committed is
never applied twice."""

from __future__ import annotations

import csv
import io
import sqlite3
import uuid
from contextlib import contextmanager
from decimal import Decimal

import pytest
import sqlalchemy as sa
from helpers import add_profile, drain, import_profile, task_of, write_csv

from shopdb import sample_products
from syncbeat.catalog.location import PrestashopLocation, parse_catalog
from syncbeat.catalog.prestashop import batches
from syncbeat.catalog.prestashop.catalog import PrestashopCatalog
from syncbeat.catalog.prestashop.fields import SHOP_KNOWN
from syncbeat.domain.profile import ProfileError, parse_profile
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import delete_task, kill_task, run_now
from syncbeat.engine.artifacts import log_lines, report_lines
from syncbeat.engine.preview import preview_import
from syncbeat.store.db import write_tx
from syncbeat.store.profiles import insert_profile


def test_a_value_the_shop_cannot_hold_is_one_items_error(shop_db, ctx):
    shop_db.install("imp_", products=sample_products())
    location = parse_catalog(shop_db.url("imp_"))
    assert isinstance(location, PrestashopLocation)
    ctx.catalog = catalog = PrestashopCatalog(location)
    write_csv(ctx, "a.csv", ["sku", "net_price", "stock", "code"], [
        ["MUG-1", "9.10", "4", "12345"], ["CAP-1", "16.00", "2", ""],
        ["NEW-1", "1.00", "1", "4006381333948"]])
    profile = add_profile(ctx, import_profile(
        mapping={"price": "net_price", "quantity": "stock", "ean13": "code"},
        options={"create_missing": True}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    assert task_of(ctx, task_id).status is TaskStatus.COMPLETED
    rows = csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task_of(ctx, task_id)))))
    assert [(r["key"], r["outcome"], r["detail"]) for r in rows] == [
        ("MUG-1", "error", "the catalog refused the change: ean13: 13 digits in PrestaShop "
         "(or empty), not '12345'"),
        ("CAP-1", "processed", "price: 15.00 -> 16.00; quantity: 0 -> 2"),
        ("NEW-1", "processed", "created")]
    found = catalog.fetch(None, "reference", ["MUG-1", "CAP-1", "NEW-1"],  # type: ignore[arg-type]
                          ["price", "quantity", "ean13", "active"])
    assert found["MUG-1"].values == {"price": Decimal("8.90"), "quantity": 12,
                                     "ean13": "4006381333931", "active": True}
    assert found["CAP-1"].values["price"] == Decimal("16.00")
    assert found["NEW-1"].values == {"price": Decimal("1.00"), "quantity": 1,
                                     "ean13": "4006381333948", "active": False}
    catalog.engine.dispose()


def _shop_catalog(shop_db, ctx, prefix: str) -> PrestashopCatalog:
    shop_db.install(prefix, products=sample_products())
    location = parse_catalog(shop_db.url(prefix))
    assert isinstance(location, PrestashopLocation)
    ctx.catalog = catalog = PrestashopCatalog(location)
    return catalog


@contextmanager
def _store_commit_fails_once_after_the_shops(ctx, catalog, error):  # type: ignore[no-untyped-def]
    """The store's next commit after the shop's first batch commit raises `error`."""
    shop_commits: list[str] = []
    real_batch = catalog.batch

    @contextmanager
    def watched(conn, mark):  # type: ignore[no-untyped-def]
        with real_batch(conn, mark) as unit:
            yield unit
        shop_commits.append(f"{mark.first}-{mark.last}")

    failed: list[int] = []

    def store_commit(conn) -> None:  # type: ignore[no-untyped-def]
        if shop_commits and not failed:
            failed.append(1)
            raise error

    catalog.batch = watched
    sa.event.listen(ctx.db, "commit", store_commit)
    try:
        yield shop_commits
    finally:
        sa.event.remove(ctx.db, "commit", store_commit)
        del catalog.batch
    assert failed


def _report(ctx, task_id):  # type: ignore[no-untyped-def]
    lines = "".join(report_lines(ctx.db, task_of(ctx, task_id)))
    return [(r["key"], r["outcome"], r["detail"]) for r in csv.DictReader(io.StringIO(lines))]


def test_a_batch_the_shop_committed_and_the_store_did_not_is_recorded_not_applied_again(
    shop_db, ctx
):
    """The worker stops between the shop's commit and the store's (here: the store's commit
    fails once, right after the shop's): the batch is tried again, finds its record in the
    shop, and the report says what the first attempt did: processed, with the changes, not
    "no change". Matched by combination reference, so the parent's summed stock follows."""
    catalog = _shop_catalog(shop_db, ctx, "once_")
    write_csv(ctx, "a.csv", ["sku", "stock", "impact"], [
        ["TEE-1-S", "7", "0.50"], ["TEE-1-M", "5", ""], ["TEE-1-L", "1", "2.00"]])
    profile = add_profile(ctx, import_profile(
        match={"feed": "sku", "catalog": "combination.reference"},
        mapping={"quantity": "stock", "price": "impact"}, batch_size=10))
    failure = sa.exc.OperationalError("COMMIT", {}, Exception("the store went away"))
    with _store_commit_fails_once_after_the_shops(ctx, catalog, failure) as shop_commits:
        task_id = run_now(ctx, profile.id)
        drain(ctx)
    assert shop_commits == ["1-3", "1-3"]  # tried twice, applied once

    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED
    assert (task.progress.processed, task.progress.skipped, task.progress.errors) == (2, 1, 0)
    rows = csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task))))
    assert [(r["key"], r["outcome"], r["detail"]) for r in rows] == [
        ("TEE-1-S", "processed", "quantity: 3 -> 7; price: 0.00 -> 0.50"),
        ("TEE-1-M", "skipped", "no change"),
        ("TEE-1-L", "processed", "quantity: 0 -> 1; price: 1.50 -> 2.00")]
    found = catalog.fetch(None, "combination.reference",  # type: ignore[arg-type]
                          ["TEE-1-S", "TEE-1-M", "TEE-1-L"], ["quantity", "price"])
    assert {k: (p.values["quantity"], p.values["price"]) for k, p in found.items()} == {
        "TEE-1-S": (7, Decimal("0.50")), "TEE-1-M": (5, Decimal("0.00")),
        "TEE-1-L": (1, Decimal("2.00"))}
    parent = catalog.fetch(None, "reference", ["TEE-1"], ["quantity"])  # type: ignore[arg-type]
    assert parent["TEE-1"].values["quantity"] == 13  # the sum of its combinations'
    log = "".join(log_lines(ctx.db, task))
    assert "applied to the catalog by an earlier attempt that stopped before recording it" in log
    with shop_db.engine.connect() as conn:  # the record is kept until the next batch only
        kept = conn.exec_driver_sql("SELECT id_task, first_seq, last_seq FROM "
                                    "once_syncbeat_batch").all()
    assert kept == [(task_id, 1, 3)]
    catalog.engine.dispose()


def test_products_missing_from_the_feed_on_a_shop(shop_db, ctx):
    """zero_stock on a shop: a product the feed lists in other case is left, one whose stock
    its combinations keep is that item's error, and delete is refused when the task gets
    there (a shop's orders refer to its products)."""
    shop_db.install("miss_", products=sample_products())
    location = parse_catalog(shop_db.url("miss_"))
    assert isinstance(location, PrestashopLocation)
    ctx.catalog = catalog = PrestashopCatalog(location)
    write_csv(ctx, "a.csv", ["sku", "stock"], [["cap-1", "3"]])
    profile = add_profile(ctx, import_profile(mapping={"quantity": "stock"},
                                              options={"missing": "zero_stock"}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED, task.message
    rows = csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task))))
    report = [(r["key"], r["outcome"], r["detail"]) for r in rows]
    assert report[0] == ("cap-1", "processed", "quantity: 0 -> 3")
    assert report[1] == ("MUG-1", "processed", "not in the feed: stock 12 -> 0")
    assert report[2][:2] == ("TEE-1", "error")
    assert task.progress.as_dict() == {"total": 3, "pending": 0, "processed": 2,
                                       "skipped": 0, "cancelled": 0, "error": 1}
    found = catalog.fetch(None, "reference", ["MUG-1", "CAP-1"],  # type: ignore[arg-type]
                          ["quantity"])
    assert (found["MUG-1"].values["quantity"], found["CAP-1"].values["quantity"]) == (0, 3)

    catalog.engine.dispose()


def test_a_suppliers_feed_disables_its_products_the_feed_left_out_and_no_others(shop_db, ctx):
    """The issue's example on a shop: [scope] supplier_reference_prefix = "ACME-" with
    missing = "disable": the supplier's product the feed left out is made inactive (its row
    in product_shop, which the shop shows), another supplier's is not touched, and a second
    run finds it inactive already."""
    shop_db.install("dis_", products=sample_products())
    for reference, supplier in (("MUG-1", "ACME-7"), ("TEE-1", "ACME-9"), ("CAP-1", "HATS-1")):
        shop_db.execute(f"UPDATE dis_product SET supplier_reference = '{supplier}' "
                        f"WHERE reference = '{reference}'")
    location = parse_catalog(shop_db.url("dis_"))
    assert isinstance(location, PrestashopLocation)
    ctx.catalog = catalog = PrestashopCatalog(location)
    write_csv(ctx, "a.csv", ["sku", "price"], [["TEE-1", "19.90"]])
    profile = add_profile(ctx, import_profile(
        name="Acme", mapping={"price": "price"}, options={"missing": "disable"},
        scope={"supplier_reference_prefix": "ACME-"}))

    def run() -> list[tuple[str, str, str]]:
        task = task_of(ctx, run_now(ctx, profile.id))
        drain(ctx)
        task = task_of(ctx, task.id)
        assert task.status is TaskStatus.COMPLETED, task.message
        rows = csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task))))
        return [(r["key"], r["outcome"], r["detail"]) for r in rows]

    assert run() == [("TEE-1", "skipped", "no change"),
                     ("MUG-1", "processed", "not in the feed: active yes -> no")]
    found = catalog.fetch(None, "reference", ["MUG-1", "CAP-1", "TEE-1"],  # type: ignore[arg-type]
                          ["active"])
    assert {ref: p.values["active"] for ref, p in found.items()} == {
        "MUG-1": False, "CAP-1": True, "TEE-1": True}
    with catalog.engine.connect() as conn:
        assert conn.exec_driver_sql(
            "SELECT ps.active FROM dis_product_shop ps JOIN dis_product p USING (id_product) "
            "WHERE p.reference = 'MUG-1'").scalar() == 0
    assert run() == [("TEE-1", "skipped", "no change"),
                     ("MUG-1", "skipped", "not in the feed: already inactive")]
    catalog.engine.dispose()


def test_what_a_shop_cannot_do_with_missing_products_is_refused_on_save_and_at_start(
        shop_db, ctx):
    """Deleting a shop's products (its orders refer to them), "missing" products of a
    combination match, a scope on a combination's field: refused when the profile is saved,
    naming the setting; a profile stored before (on another catalog) ends its task at the
    start, before any row of the feed is applied."""
    shop_db.install("nomiss_", products=sample_products())
    location = parse_catalog(shop_db.url("nomiss_"))
    assert isinstance(location, PrestashopLocation)
    ctx.catalog = catalog = PrestashopCatalog(location)
    write_csv(ctx, "a.csv", ["sku", "stock"], [["CAP-1", "7"]])
    refused = {
        "options.missing": (
            "'delete' is not done on the PrestaShop catalog (its images, carts and orders "
            "refer to its products: use disable); use one of leave, zero_stock, disable"),
    }
    with pytest.raises(ProfileError) as caught:
        add_profile(ctx, import_profile(name="Deleting", mapping={"quantity": "stock"},
                                        options={"missing": "delete"},
                                        scope={"reference_prefix": "MUG"}))
    assert dict(caught.value.errors) == refused
    with pytest.raises(ProfileError) as caught:
        add_profile(ctx, import_profile(name="Variants", match={"feed": "sku", "catalog":
                                                                "combination.reference"},
                                        mapping={"quantity": "stock"},
                                        options={"missing": "zero_stock"}))
    assert dict(caught.value.errors) == {"options.missing": (
        "matching by combination.reference finds combinations, so no product can be missing "
        "from the feed: match products (by reference) to act on the ones the feed leaves out")}
    with pytest.raises(ProfileError) as caught:
        add_profile(ctx, import_profile(name="Scoped", mapping={"quantity": "stock"},
                                        options={"missing": "disable"},
                                        scope={"combination.reference_prefix": "X"}))
    assert dict(caught.value.errors) == {"scope.field": (
        "the PrestaShop catalog cannot test combination.reference of a product: scope by a "
        "product's field")}

    # Saved without the shop's checks (as on the built-in catalog, before the shop was
    # configured): its task ends in error at the start and the shop is unchanged.
    with write_tx(ctx.db) as conn:
        stored = insert_profile(conn, parse_profile(import_profile(
            name="Deleting", mapping={"quantity": "stock"}, options={"missing": "delete"})),
            ctx.clock())
    task_id = run_now(ctx, stored.id)
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.ERROR
    assert "options.missing: 'delete' is not done on the PrestaShop catalog" in task.message
    assert task.progress.processed == 0
    found = catalog.fetch(None, "reference", ["CAP-1", "MUG-1"],  # type: ignore[arg-type]
                          ["quantity"])
    assert (found["CAP-1"].values["quantity"], found["MUG-1"].values["quantity"]) == (0, 12)
    catalog.engine.dispose()


def test_created_products_go_in_the_profiles_category_which_must_be_the_shops(shop_db, ctx):
    shop_db.install("cat_", products=sample_products())
    shop_db.execute("INSERT INTO cat_category_shop VALUES (7, 1, 0)")
    location = parse_catalog(shop_db.url("cat_"))
    assert isinstance(location, PrestashopLocation)
    ctx.catalog = catalog = PrestashopCatalog(location)
    write_csv(ctx, "a.csv", ["sku", "net_price", "stock", "code"], [
        ["NEW-7", "3.00", "4", ""], ["MUG-1", "9.00", "12", ""]])
    in_seven = add_profile(ctx, import_profile(
        name="Into 7", mapping={"price": "net_price", "quantity": "stock"},
        options={"create_missing": True, "category": 7}))
    nowhere = add_profile(ctx, import_profile(
        name="Into 9", mapping={"price": "net_price", "quantity": "stock"},
        options={"create_missing": True, "category": 9}))
    task_id = run_now(ctx, nowhere.id)
    drain(ctx)
    rows = list(csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task_of(ctx, task_id))))))
    assert [(r["key"], r["outcome"], r["detail"]) for r in rows] == [
        ("NEW-7", "error", "the catalog refused the change: category 9 is not a category of "
         "the shop 1 (cat_category_shop): check [options] category"),
        ("MUG-1", "processed", "price: 8.90 -> 9.00")]  # the rest of the batch is written
    task_id = run_now(ctx, in_seven.id)
    drain(ctx)
    assert task_of(ctx, task_id).progress.processed == 1
    with shop_db.engine.connect() as conn:
        made = conn.exec_driver_sql(
            "SELECT p.id_category_default, ps.id_category_default, p.product_type, "
            "(SELECT GROUP_CONCAT(id_category) FROM cat_category_product c "
            "WHERE c.id_product = p.id_product) FROM cat_product p JOIN cat_product_shop ps "
            "ON ps.id_product = p.id_product WHERE p.reference = 'NEW-7'").one()
    assert tuple(made) == (7, 7, "standard", "7")
    catalog.close()


def test_a_category_is_refused_on_the_built_in_catalog_when_saved(ctx):
    with pytest.raises(ProfileError) as refused:
        parse_profile(import_profile(options={"category": 7}), known=ctx.catalog.known)
    assert refused.value.errors == [
        ("options.category", "the built-in catalog has no categories: leave it out")]
    with pytest.raises(ProfileError) as refused:
        parse_profile(import_profile(options={"category": "home"}), known=SHOP_KNOWN)
    assert refused.value.errors == [
        ("options.category", "must be a category's id (a whole number, 1 or more), not 'home'")]


def test_a_profile_that_would_have_every_row_refused_is_refused_when_saved():
    """Matching combinations, a profile may write only a combination's own fields, and
    cannot create what it does not find: said when it is saved, not on every row."""
    with pytest.raises(ProfileError) as refused:
        parse_profile(import_profile(
            match={"feed": "sku", "catalog": "combination.reference"},
            mapping={"quantity": "stock", "name": "title", "combination.ean13": "code"},
            options={"create_missing": True}), known=SHOP_KNOWN)
    assert refused.value.errors == [
        ("mapping.name", "matching by combination.reference, a profile writes only price, "
         "wholesale_price, weight, quantity, combination.reference, "
         "combination.supplier_reference, combination.ean13"),
        ("options.create_missing", "the PrestaShop catalog cannot create what "
         "combination.reference matches (syncbeat creates simple products): turn it off")]
    with pytest.raises(ProfileError) as refused:
        parse_profile(import_profile(mapping={"combination.ean13": "code"}), known=SHOP_KNOWN)
    assert [name for name, _ in refused.value.errors] == ["mapping.combination.ean13"]


def test_a_task_killed_after_the_shop_committed_its_batch_reports_what_the_shop_has(
    shop_db, ctx
):
    """The store goes out of reach right after the shop's commit; the operator kills the
    task: the batch the shop has is recorded as processed, not cancelled."""
    catalog = _shop_catalog(shop_db, ctx, "kill_")
    write_csv(ctx, "a.csv", ["sku", "net_price", "stock"], [
        ["MUG-1", "33.00", "12"], ["CAP-1", "15.00", "0"], ["NEW-1", "1.00", "1"]])
    profile = add_profile(ctx, import_profile(mapping={"price": "net_price", "quantity": "stock"},
                                              batch_size=10))
    outage = sa.exc.OperationalError("COMMIT", {}, sqlite3.OperationalError("disk I/O error"))
    task_id = run_now(ctx, profile.id)
    with _store_commit_fails_once_after_the_shops(ctx, catalog, outage), \
            pytest.raises(sa.exc.OperationalError):
        drain(ctx)
    assert task_of(ctx, task_id).progress.pending == 3  # the store has nothing of it
    assert kill_task(ctx, task_id).cancelled == 0
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.KILLED
    assert (task.progress.processed, task.progress.skipped, task.progress.cancelled) == (1, 2, 0)
    assert _report(ctx, task_id) == [
        ("MUG-1", "processed", "price: 8.90 -> 33.00"), ("CAP-1", "skipped", "no change"),
        ("NEW-1", "skipped", "not in the catalog and create_missing is off")]
    log = "".join(log_lines(ctx.db, task))
    assert "recorded when the task was killed" in log
    found = catalog.fetch(None, "reference", ["MUG-1"], ["price"])  # type: ignore[arg-type]
    assert found["MUG-1"].values["price"] == Decimal("33.00")
    catalog.close()


def test_a_task_id_used_again_never_reads_another_runs_record(shop_db, ctx):
    """A run's last record stays in the shop for days; a new task with the same id (SQLite
    gives a deleted newest task's id again) works its own batch."""
    catalog = _shop_catalog(shop_db, ctx, "again_")
    write_csv(ctx, "a.csv", ["sku", "net_price"], [["MUG-1", "11.00"]])
    profile = add_profile(ctx, import_profile(mapping={"price": "net_price"}, batch_size=10))
    first = run_now(ctx, profile.id)
    drain(ctx)
    assert _report(ctx, first) == [("MUG-1", "processed", "price: 8.90 -> 11.00")]
    delete_task(ctx, first)
    write_csv(ctx, "a.csv", ["sku", "net_price"], [["MUG-1", "22.00"]])
    second = run_now(ctx, profile.id)
    drain(ctx)
    assert _report(ctx, second) == [("MUG-1", "processed", "price: 11.00 -> 22.00")]
    found = catalog.fetch(None, "reference", ["MUG-1"], ["price"])  # type: ignore[arg-type]
    assert found["MUG-1"].values["price"] == Decimal("22.00")
    catalog.close()


def test_a_user_without_create_works_once_the_record_table_is_made(shop_db, ctx):
    """The shop's user may read and write products but not CREATE: the first import says
    what to do, in one line; once someone makes the table, imports run."""
    shop_db.install("priv_", products=sample_products())
    user = f"sb_test_u_{uuid.uuid4().hex[:8]}"
    for host in ("%%", "localhost"):  # '%%': the driver's escape of %
        shop_db.execute(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY 'pw'")
        shop_db.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON `{shop_db.name}`.* "
                        f"TO '{user}'@'{host}'")
    try:
        url = shop_db.url("priv_").replace("prestashop://root@", f"prestashop://{user}:pw@")
        location = parse_catalog(url)
        assert isinstance(location, PrestashopLocation)
        ctx.catalog = catalog = PrestashopCatalog(location)
        write_csv(ctx, "a.csv", ["sku", "net_price"], [["MUG-1", "12.00"]])
        profile = add_profile(ctx, import_profile(mapping={"price": "net_price"}))
        refused = run_now(ctx, profile.id)
        drain(ctx)
        task = task_of(ctx, refused)
        assert task.status is TaskStatus.ERROR
        assert task.message is not None and task.message.endswith(
            "the shop's database user may not create the table priv_syncbeat_batch, where "
            "syncbeat keeps each batch's record so that nothing is applied twice: grant it "
            "CREATE once, or have the table made with the statement in syncbeat's "
            "catalog/prestashop/batches.py")
        assert "pw" not in task.message
        shop_db.execute(batches.DDL.format(table="`priv_syncbeat_batch`"))
        catalog.close()
        ctx.catalog = catalog = PrestashopCatalog(location)
        done = run_now(ctx, profile.id)
        drain(ctx)
        assert _report(ctx, done) == [("MUG-1", "processed", "price: 8.90 -> 12.00")]
        catalog.close()
    finally:
        for host in ("%%", "localhost"):
            shop_db.execute(f"DROP USER IF EXISTS '{user}'@'{host}'")


def test_the_preview_on_a_shop_shows_what_the_shop_would_refuse(shop_db, ctx):
    catalog = _shop_catalog(shop_db, ctx, "prev_")
    write_csv(ctx, "a.csv", ["sku", "net_price", "code"], [
        ["MUG-1", "9.10", "12345"], ["CAP-1", "16.00", ""], ["NEW-1", "1.00", "4006381333948"]])
    data = import_profile(mapping={"price": "net_price", "ean13": "code"},
                          options={"create_missing": True, "category": 9})
    preview = preview_import(ctx, parse_profile(data, known=catalog.known))
    assert preview.error is None
    shown = [(r.key, r.as_dict()["item_outcome"], r.detail) for r in preview.rows]
    profile = add_profile(ctx, data)
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    assert shown == _report(ctx, task_id) == [
        ("MUG-1", "error", "the catalog refused the change: ean13: 13 digits in PrestaShop "
         "(or empty), not '12345'"),
        ("CAP-1", "processed", "price: 15.00 -> 16.00"),
        ("NEW-1", "error", "the catalog refused the change: category 9 is not a category of "
         "the shop 1 (prev_category_shop): check [options] category")]
    catalog.close()
