"""Products missing from the feed: when an import completes, the catalog products of its
scope that no row listed get their stock zeroed, are disabled or deleted, each an item of the
task with its report row; never when the task was killed, errored or refused, nor on a re-run."""

from __future__ import annotations

import csv
import io

import pytest
from helpers import add_profile, drain, import_profile, task_of, write_csv

from syncbeat.domain.profile import ProfileError, parse_profile
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import kill_task, run_now
from syncbeat.engine.artifacts import log_lines, report_lines
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.engine.rerun import rerun_failed
from syncbeat.store.catalog_queries import get_product, insert_products
from syncbeat.store.db import read_tx, write_tx

HEADER = ["sku", "net_price", "stock", "title"]


def report(ctx, task_id):
    rows = csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task_of(ctx, task_id)))))
    return [(r["key"], r["outcome"], r["detail"]) for r in rows]


def catalog(ctx, *rows):
    """(reference, quantity, active, name)"""
    with write_tx(ctx.db) as conn:
        insert_products(conn, [
            {"reference": ref, "name": name, "price": "1.00", "quantity": qty, "active": active,
             "updated_at": ctx.clock()}
            for ref, qty, active, name in rows
        ])


def product(ctx, reference):
    with read_tx(ctx.db) as conn:
        return get_product(conn, reference)


SHOP = [("ACME-1", 5, True, "Acme 1"), ("ACME-2", 7, True, "Acme 2"),
        ("ACME-3", 0, False, "Acme 3"), ("OTHER-1", 9, True, "Other 1")]
FEED = [["ACME-1", "1.00", "4", "Acme 1"]]


def run(ctx, missing, scope=None, **overrides):
    catalog(ctx, *SHOP)
    write_csv(ctx, "a.csv", HEADER, FEED)
    data = import_profile(options={"missing": missing}, **overrides)
    if scope:
        data["scope"] = scope
    task_id = run_now(ctx, add_profile(ctx, data).id)
    drain(ctx)
    return task_of(ctx, task_id)


def test_zero_stock_acts_on_the_scope_and_reports_each_product(ctx):
    task = run(ctx, "zero_stock", {"reference_prefix": "ACME-"})
    assert task.status is TaskStatus.COMPLETED
    assert task.progress.as_dict() == {"total": 3, "pending": 0, "processed": 2,
                                       "skipped": 1, "cancelled": 0, "error": 0}
    assert [product(ctx, r)["quantity"] for r in ("ACME-1", "ACME-2", "ACME-3", "OTHER-1")] \
        == [4, 0, 0, 9]
    assert report(ctx, task.id) == [
        ("ACME-1", "processed", "quantity: 5 -> 4"),
        ("ACME-2", "processed", "not in the feed: stock 7 -> 0"),
        ("ACME-3", "skipped", "not in the feed: stock already 0"),
    ]
    log = "".join(log_lines(ctx.db, task))
    assert "products missing from the feed (zero_stock): 2, of which 1 changed" in log


def test_disable_without_a_scope_acts_on_every_product(ctx):
    task = run(ctx, "disable")
    assert task.progress.processed == 3 and task.progress.skipped == 1
    assert [product(ctx, r)["active"] for r in ("ACME-1", "ACME-2", "ACME-3", "OTHER-1")] \
        == [True, False, False, False]
    assert ("OTHER-1", "processed", "not in the feed: active yes -> no") in report(ctx, task.id)


def test_delete_a_scope_by_a_field_equal_to_a_value(ctx):
    task = run(ctx, "delete", {"field": "name", "equals": "Acme 2"})
    assert task.progress.total == 2
    assert product(ctx, "ACME-2") is None and product(ctx, "ACME-3") is not None
    assert report(ctx, task.id)[1] == ("ACME-2", "processed", "not in the feed: deleted")


def test_many_missing_products_take_several_steps(ctx):
    catalog(ctx, *[(f"M-{i:03d}", i + 1, True, "m") for i in range(25)])
    write_csv(ctx, "a.csv", HEADER, [["M-003", "1", "1", "m"]])
    task_id = run_now(ctx, add_profile(ctx, import_profile(
        batch_size=4, options={"missing": "zero_stock"})).id)
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.progress.total == 25 and task.progress.processed == 25
    assert product(ctx, "M-024")["quantity"] == 0 and product(ctx, "M-003")["quantity"] == 1
    assert [k for k, *_ in report(ctx, task_id)][:3] == ["M-003", "M-000", "M-001"]


def test_never_when_the_task_is_killed_errored_or_refused_nor_on_a_rerun(ctx):
    catalog(ctx, *SHOP)
    write_csv(ctx, "a.csv", HEADER, [*FEED, ["ACME-9", "x", "1", "bad"]])
    profile = add_profile(ctx, import_profile(options={"missing": "zero_stock"},
                                              limits={"min_rows": 5}))
    refused = run_now(ctx, profile.id)
    drain(ctx)
    assert task_of(ctx, refused).status is TaskStatus.ERROR
    assert product(ctx, "ACME-2")["quantity"] == 7

    killed = run_now(ctx, profile.id, force=True)
    heartbeat = Heartbeat(ctx)
    while not task_of(ctx, killed).queue_done:
        heartbeat.tick()
    kill_task(ctx, killed)
    drain(ctx)
    assert product(ctx, "ACME-2")["quantity"] == 7

    rerun = rerun_failed(ctx, killed)
    drain(ctx)
    assert task_of(ctx, rerun).status is TaskStatus.COMPLETED
    assert task_of(ctx, rerun).progress.total == 2  # the feed's two rows, nothing more
    assert product(ctx, "ACME-2")["quantity"] == 7

    write_csv(ctx, "a.csv", HEADER, [["", "1", "1", "no key"], *FEED])
    forced = run_now(ctx, profile.id, force=True)
    drain(ctx)
    assert task_of(ctx, forced).status is TaskStatus.COMPLETED
    assert product(ctx, "ACME-2")["quantity"] == 7
    assert "products missing from the feed left as they are: 1 rows of the feed have no key" \
        in "".join(log_lines(ctx.db, task_of(ctx, forced)))


def test_a_scope_field_the_catalog_lacks_is_refused_when_saved(ctx):
    with pytest.raises(ProfileError, match=r"scope\.field: no such catalog field in the "
                                           "built-in catalog"):
        run(ctx, "zero_stock", {"supplier_reference_prefix": "ACME-"})


def test_a_scope_field_the_catalog_cannot_test_stops_the_task(ctx):
    task = run(ctx, "zero_stock", {"field": "price", "equals": "1.00"})
    assert task.status is TaskStatus.ERROR
    assert task.message.startswith("products missing from the feed: scope.field: the "
                                   "built-in catalog tests only reference, ean13, name")
    assert product(ctx, "ACME-2")["quantity"] == 7


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"options": {"missing": "purge"}}, "options.missing",
     "'purge' is not one of leave, zero_stock, disable, delete"),
    ({"options": {"missing": "delete"}, "match": {"feed": "sku", "catalog": "id"}},
     "options.missing", "needs products matched by reference or ean13, not by id"),
    ({"scope": {"prefix": "A", "equals": "B"}}, "scope", "give exactly one of prefix and"),
    ({"scope": {"field": "name", "prefix": ""}}, "scope.prefix", "must not be empty"),
    ({"scope": {"field": "name", "startswith": "A"}}, "scope.startswith",
     "is not a setting of this profile"),
])
def test_bad_settings_are_refused_naming_the_field(data, field, message):
    with pytest.raises(ProfileError) as caught:
        parse_profile(import_profile(**data))
    assert any(name == field and said.startswith(message)
               for name, said in caught.value.errors), caught.value.errors
