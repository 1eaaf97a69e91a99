"""A task checks its source when it starts and its destination when it delivers, against what
syncbeat may reach now: a profile saved before the check, or a link changed since, ends in error
with the reason, and nothing is read or written outside."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from helpers import add_products, add_profile, drain, import_profile, task_of, write_csv

from feedserver import feed_server
from syncbeat.domain.profile import parse_profile
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.context import sqlite_file
from syncbeat.engine.finish import EXPORT_FILE
from syncbeat.engine.profiles import save_profile
from syncbeat.feeds.netguard import HostPolicy
from syncbeat.feeds.reach import Reach

HEADER = ["sku", "net_price", "stock", "title"]
posix_only = pytest.mark.skipif(os.name != "posix", reason="symbolic links and /etc")


def export_profile(location: str) -> dict[str, Any]:
    return {"name": "Catalog to app", "kind": "export", "batch_size": 2,
            "fields": {"sku": "reference", "price": "price"},
            "destination": {"location": location}}


def run(ctx: Any, profile_id: int | None) -> Any:
    assert profile_id is not None
    task_id = run_now(ctx, profile_id)
    drain(ctx)
    return task_of(ctx, task_id)


def reach(ctx: Any, **more: Any) -> Reach:
    return Reach.create(data_dir=ctx.data_dir, database=sqlite_file(ctx.db), **more)


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@posix_only
def test_a_source_stored_before_the_check_is_refused_when_the_task_starts(ctx):
    add_products(ctx, ("root", "1.00", 1))
    profile = add_profile(ctx, import_profile(
        source={"location": "../../../../../../etc/passwd", "format": "csv",
                "delimiter": ":", "header": False},
        match={"feed": "1", "catalog": "reference"}, mapping={"name": "7"}))
    task = run(ctx, profile.id)
    assert task.status is TaskStatus.ERROR
    assert task.message.startswith(
        "source.location ../../../../../../etc/passwd is outside the data folder")
    assert task.progress.total == 0


@posix_only
def test_a_link_that_changed_since_the_profile_was_saved_is_refused(ctx, tmp_path):
    add_products(ctx, ("P1", "1.00", 1))
    write_csv(ctx, "a.csv", HEADER, [["P1", "2.00", "3", "One"]])
    profile = save_profile(ctx, parse_profile(import_profile()), None)
    outside = tmp_path / "outside.csv"
    outside.write_text("sku;net_price;stock;title\nP1;666.00;0;Stolen\n")
    feed = ctx.data_dir / "feeds" / "a.csv"
    feed.unlink()
    feed.symlink_to(outside)
    task = run(ctx, profile.id)
    assert task.status is TaskStatus.ERROR
    assert task.message.startswith("source.location feeds/a.csv is outside the data folder")
    assert not any(ctx.task_dir(task.id).glob("source-*"))


@pytest.mark.parametrize("location", ["/tmp/syncbeat-reach-test/x.json", "../../x.json",
                                      "../outside/"])
def test_an_export_stored_before_the_check_is_not_delivered_outside(ctx, tmp_path, location):
    add_products(ctx, ("A1", "1.00", 1))
    profile = add_profile(ctx, export_profile(location))
    before = tree(tmp_path)
    task = run(ctx, profile.id)
    assert task.status is TaskStatus.ERROR
    assert task.message == (
        f"the export file was written but not delivered: destination.location {location} is "
        f"outside the data folder ({ctx.data_dir.resolve()}) and the folders allowed with "
        "SYNCBEAT_ALLOWED_PATHS")
    assert not Path("/tmp/syncbeat-reach-test").exists()
    written = set(tree(tmp_path)) - set(before)
    assert all(p.startswith(f"data{os.sep}tasks") for p in written), written
    assert (ctx.task_dir(task.id) / EXPORT_FILE).exists()  # still downloadable


def test_an_allowed_folder_is_read_and_written(ctx, tmp_path):
    srv = tmp_path / "srv"
    (srv / "feeds").mkdir(parents=True)
    (srv / "feeds" / "a.csv").write_text("sku;net_price;stock;title\nP1;2.50;4;One\n")
    ctx.reach = reach(ctx, allowed_paths=(srv,))
    add_products(ctx, ("P1", "1.00", 1))
    importing = add_profile(ctx, import_profile(
        source={"location": str(srv / "feeds" / "a.csv"), "format": "csv", "delimiter": ";"}))
    assert run(ctx, importing.id).status is TaskStatus.COMPLETED
    exporting = add_profile(ctx, export_profile(f"file://{srv}/exports/"))
    task = run(ctx, exporting.id)
    assert task.status is TaskStatus.COMPLETED, task.message
    [delivered] = (srv / "exports").iterdir()
    assert json.loads(delivered.read_text())["products"] == [{"sku": "P1", "price": 2.5}]


def test_an_http_source_on_the_servers_own_network_is_never_reached(ctx):
    add_products(ctx, ("P1", "1.00", 1))
    with feed_server(b"sku;net_price;stock;title\nP1;2.00;3;One\n") as server:
        profile = add_profile(ctx, import_profile(
            source={"location": server.url(), "format": "csv", "delimiter": ";"}))
        task = run(ctx, profile.id)
        assert task.status is TaskStatus.ERROR
        assert task.message.startswith(f"source.location {server.url()}: the host 127.0.0.1 "
                                       "is a loopback address")
        assert server.requests == []
        ctx.reach = reach(ctx, hosts=HostPolicy.parse("127.0.0.1"))
        assert run(ctx, profile.id).status is TaskStatus.COMPLETED
        assert [r.path for r in server.requests] == ["/feed.csv"]


def test_an_http_destination_on_the_servers_own_network_is_never_reached(ctx):
    add_products(ctx, ("A1", "1.00", 1))
    with feed_server(b"ok") as server:
        profile = add_profile(ctx, export_profile(server.url("/import")))
        task = run(ctx, profile.id)
        assert task.status is TaskStatus.ERROR
        assert "destination.location" in task.message and "loopback" in task.message
        assert server.requests == []
        ctx.reach = reach(ctx, hosts=HostPolicy.parse("127.0.0.1"))
        assert run(ctx, profile.id).status is TaskStatus.COMPLETED
        assert [r.method for r in server.requests] == ["POST"]


def test_a_remote_feed_over_the_size_limit_ends_the_task_in_error(ctx):
    add_products(ctx, ("P1", "1.00", 1))
    rows = "".join(f"P{i};1.00;1;Product {i}\n" for i in range(1, 2000))
    with feed_server(("sku;net_price;stock;title\n" + rows).encode()) as server:
        ctx.reach = reach(ctx, hosts=HostPolicy.parse("127.0.0.1"), max_download=16 << 10)
        profile = add_profile(ctx, import_profile(
            source={"location": server.url(), "format": "csv", "delimiter": ";"}))
        task = run(ctx, profile.id)
    assert task.status is TaskStatus.ERROR
    assert task.message == (f"{server.url()} is larger than 16 KiB: syncbeat reads remote "
                            "feeds up to 16 KiB")
    assert task.progress.total == 0
