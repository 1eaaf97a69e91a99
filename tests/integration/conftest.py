"""Fixtures of the transfer tests (FTP, SFTP): a server's folder with a feed, and a context
whose guard lets tasks reach 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import add_products

from syncbeat.engine.context import sqlite_file
from syncbeat.feeds.netguard import HostPolicy
from syncbeat.feeds.reach import Reach

SERVED_FEED = "sku;net_price;stock;title\nP1;4.50;7;One\nP2;5.50;8;Two\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A file server's folder: feeds/stock.csv (SERVED_FEED) and an empty incoming/."""
    folder = tmp_path / "server-root"
    (folder / "feeds").mkdir(parents=True)
    (folder / "incoming").mkdir()
    (folder / "feeds" / "stock.csv").write_text(SERVED_FEED)
    return folder


@pytest.fixture
def loopback(ctx: Any) -> Any:
    """The engine context, allowed to reach 127.0.0.1, with products P1 and P2."""
    ctx.reach = Reach.create(data_dir=ctx.data_dir, hosts=HostPolicy.parse("127.0.0.1"),
                             database=sqlite_file(ctx.db))
    add_products(ctx, ("P1", "1.00", 1), ("P2", "1.00", 1))
    return ctx
