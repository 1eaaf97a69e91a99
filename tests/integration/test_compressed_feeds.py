"""Compressed feeds (issue 11): a .gz or .zip feed, local or from a real HTTP server on
127.0.0.1, told by its content as well as its name, is unpacked a chunk at a time and never
past the limit on its unpacked size: a zip bomb ends the task in error, in words."""

from __future__ import annotations

import gzip
import io
import itertools
import zipfile
from typing import Any

from helpers import add_products, add_profile, drain, import_profile, product, task_of

from feedserver import feed_server
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.context import sqlite_file
from syncbeat.engine.preview import preview_import
from syncbeat.feeds.netguard import HostPolicy
from syncbeat.feeds.reach import Reach

NUMBERS = itertools.count(1)
FEED = "sku;net_price;stock;title\nP1;4.50;7;One\nP2;5.50;8;Two\n"


def run(ctx: Any, location: str, **source: Any) -> Any:
    name = f"{location} {source} {next(NUMBERS)}"
    profile = add_profile(ctx, import_profile(
        name=name, source={"location": location, "format": "csv", "delimiter": ";", **source}))
    assert profile.id is not None
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    return task_of(ctx, task_id)


def zipped(**files: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name.replace("__", "/").replace("_dot_", "."), text)
    return out.getvalue()


def write(ctx: Any, name: str, data: bytes) -> None:
    path = ctx.data_dir / "feeds" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def imported(ctx: Any) -> list[tuple[str, int]]:
    """(price, quantity) of P1 and P2 in the catalog."""
    found = [product(ctx, ref) or {} for ref in ("P1", "P2")]
    return [(str(row.get("price")), row.get("quantity", 0)) for row in found]


def test_a_local_gzip_feed_is_imported(ctx):
    add_products(ctx, ("P1", "1.00", 1), ("P2", "1.00", 1))
    write(ctx, "stock.csv.gz", gzip.compress(FEED.encode()))
    task = run(ctx, "feeds/stock.csv.gz")
    assert task.status is TaskStatus.COMPLETED, task.message
    assert imported(ctx) == [("4.50", 7), ("5.50", 8)]


def test_a_gzip_feed_over_http_is_told_by_its_content_not_its_name(ctx):
    ctx.reach = Reach.create(data_dir=ctx.data_dir, hosts=HostPolicy.parse("127.0.0.1"),
                             database=sqlite_file(ctx.db))
    add_products(ctx, ("P1", "1.00", 1), ("P2", "1.00", 1))
    # Two gzip members one after the other, as `cat a.gz b.gz` makes: one feed.
    data = gzip.compress(FEED[:30].encode()) + gzip.compress(FEED[30:].encode())
    with feed_server(data) as server:
        task = run(ctx, server.url("/export?format=csv"))
    assert task.status is TaskStatus.COMPLETED, task.message
    assert imported(ctx) == [("4.50", 7), ("5.50", 8)]


def test_a_zip_reads_the_named_member_or_the_first_of_the_format(ctx):
    add_products(ctx, ("P1", "1.00", 1), ("P2", "1.00", 1))
    other = FEED.replace("4.50", "9.99")
    write(ctx, "bundle.zip", zipped(readme_dot_txt="hello", stock_dot_csv=FEED,
                                    old__stock_dot_csv=other))
    first = run(ctx, "feeds/bundle.zip")
    assert first.status is TaskStatus.COMPLETED, first.message
    assert imported(ctx)[0] == ("4.50", 7)
    named = run(ctx, "feeds/bundle.zip", archive_member="old/stock.csv")
    assert named.status is TaskStatus.COMPLETED, named.message
    assert imported(ctx)[0] == ("9.99", 7)


def test_a_zip_without_the_file_says_what_it_holds(ctx):
    write(ctx, "bundle.zip", zipped(readme_dot_txt="hello", notes_dot_md="x"))
    none = run(ctx, "feeds/bundle.zip")
    assert none.status is TaskStatus.ERROR
    assert none.message == ("feeds/bundle.zip holds no csv file among readme.txt, notes.md: "
                            "name the one to read with source.archive_member")
    missing = run(ctx, "feeds/bundle.zip", archive_member="stock.csv")
    assert missing.message == ("feeds/bundle.zip holds no file named 'stock.csv' "
                               "(source.archive_member); it holds: readme.txt, notes.md")
    write(ctx, "broken.csv.gz", gzip.compress(FEED.encode())[:-12])
    broken = run(ctx, "feeds/broken.csv.gz")
    assert broken.message == ("feeds/broken.csv.gz is cut short: the gzip file ends before "
                              "its data does")


def test_a_zip_bomb_is_the_tasks_error_and_leaves_no_file(ctx):
    ctx.reach = Reach.create(data_dir=ctx.data_dir, database=sqlite_file(ctx.db),
                             max_unpacked=1 << 20)
    bomb = "sku;net_price;stock;title\n" + "P1;1.00;1;" + "A" * (8 << 20) + "\n"
    write(ctx, "bomb.csv.gz", gzip.compress(bomb.encode(), 9))
    write(ctx, "bomb.zip", zipped(stock_dot_csv=bomb))
    assert (ctx.data_dir / "feeds" / "bomb.zip").stat().st_size < 64 << 10
    for name, what in (("bomb.csv.gz", "gzip"), ("bomb.zip", "stock.csv in the zip file")):
        task = run(ctx, f"feeds/{name}")
        assert task.status is TaskStatus.ERROR
        assert task.message == (
            f"feeds/{name} unpacks to more than 1 MiB ({what}): syncbeat unpacks a compressed "
            "feed up to 1 MiB, so a small file that unpacks to far more (a zip bomb) cannot "
            "fill the disk")
        assert list(ctx.task_dir(task.id).iterdir()) == []


def test_the_preview_reads_a_gzip_and_a_zip_feed(ctx):
    add_products(ctx, ("P1", "1.00", 1), ("P2", "1.00", 1))
    write(ctx, "stock.csv.gz", gzip.compress(FEED.encode()))
    write(ctx, "bundle.zip", zipped(stock_dot_csv=FEED))
    for location in ("feeds/stock.csv.gz", "feeds/bundle.zip"):
        profile = add_profile(ctx, import_profile(
            name=location, source={"location": location, "format": "csv", "delimiter": ";"}))
        shown = preview_import(ctx, profile)
        assert shown.error is None
        assert [row.key for row in shown.rows] == ["P1", "P2"]
