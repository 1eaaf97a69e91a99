"""Unpacking a compressed feed a chunk at a time: memory stays flat whatever it unpacks to,
and what it is is told by its first bytes."""

from __future__ import annotations

import gzip
import tracemalloc
import zipfile
import zlib

import pytest

from syncbeat.feeds.archives import GZIP, ZIP, Unpacking, packing, unpack
from syncbeat.feeds.errors import FeedError

BIG = 64 << 20


def _gzip_of_zeros(path, size: int) -> None:
    # Written by zlib a piece at a time, so the test itself never holds it whole either.
    deflate = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    piece = b"0" * (1 << 20)
    with path.open("wb") as out:
        for _ in range(size // len(piece)):
            out.write(deflate.compress(piece))
        out.write(deflate.flush())


@pytest.mark.parametrize("kind", [GZIP, ZIP])
def test_unpacking_64_mib_holds_a_few_mib_at_most(tmp_path, kind):
    packed = tmp_path / "feed.packed"
    if kind == GZIP:
        _gzip_of_zeros(packed, BIG)
    else:
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive, \
                archive.open("feed.csv", "w", force_zip64=True) as member:
            for _ in range(BIG >> 20):
                member.write(b"0" * (1 << 20))
    assert packing(packed, "csv") == kind
    tracemalloc.start()
    try:
        unpack(packed, tmp_path / "feed.csv", kind=kind, how=Unpacking(), shown="feed")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (tmp_path / "feed.csv").stat().st_size == BIG
    assert peak < 8 << 20, f"unpacking held {peak:,} bytes"


def test_the_limit_stops_unpacking_at_once(tmp_path):
    packed = tmp_path / "bomb.gz"
    _gzip_of_zeros(packed, BIG)
    with pytest.raises(FeedError, match=r"^bomb.gz unpacks to more than 1 MiB \(gzip\)"):
        unpack(packed, tmp_path / "out", kind=GZIP, how=Unpacking(limit=1 << 20), shown="bomb.gz")
    assert not (tmp_path / "out").exists()
    # The preview stops there quietly.
    assert unpack(packed, tmp_path / "out", kind=GZIP,
                  how=Unpacking(limit=1 << 20, cut=True), shown="bomb.gz")
    assert (tmp_path / "out").stat().st_size == 1 << 20


def test_a_name_alone_does_not_make_a_file_compressed(tmp_path):
    plain = tmp_path / "stock.csv.gz"  # a server that unpacked it already (Content-Encoding)
    plain.write_bytes(b"sku;price\nP1;1\n")
    assert packing(plain, "csv") is None
    packed = tmp_path / "stock"
    packed.write_bytes(gzip.compress(b"sku;price\n"))
    assert packing(packed, "csv") == GZIP


def test_an_xlsx_workbook_is_no_archive_but_a_zipped_workbook_is(tmp_path):
    book = tmp_path / "book.xlsx"
    with zipfile.ZipFile(book, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    assert packing(book, "xlsx") is None
    outer = tmp_path / "books.zip"
    with zipfile.ZipFile(outer, "w") as archive:
        archive.write(book, "book.xlsx")
    assert packing(outer, "xlsx") == ZIP
