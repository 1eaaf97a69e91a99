"""The export file: crash-safe appends to the parts file, and the final JSON document."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from decimal import Decimal
from enum import StrEnum

import pytest

from syncbeat.feeds import ExportWriter, FeedError, finish_export

HEADER = {"profile": "shop-catalog", "task": 12, "generated_at": "2024-05-01T10:00:00+00:00"}


class Color(StrEnum):
    RED = "red"


def finish(tmp_path: pathlib.Path, parts: pathlib.Path, size: int, count: int) -> dict:
    final = tmp_path / "out" / "export.json"
    final.parent.mkdir(exist_ok=True)
    written = finish_export(parts, final, parts_size=size, header=HEADER, count=count)
    assert written == final.stat().st_size
    assert sorted(p.name for p in final.parent.iterdir()) == ["export.json"]  # no temp left
    with final.open(encoding="utf-8") as file:
        return json.load(file, parse_float=Decimal)


def test_batches_round_trip_through_json_load(tmp_path: pathlib.Path) -> None:
    writer = ExportWriter(tmp_path / "parts")
    size = writer.append(0, [{"sku": "A", "price": Decimal("12.50")}, {"sku": "B", "price": 3}])
    size = writer.append(size, [{"sku": "C", "names": {"lt": "Šilutė"}, "tags": ["x", None]}])
    document = finish(tmp_path, writer.parts_path, size, 3)
    assert list(document) == ["profile", "task", "generated_at", "count", "products"]
    assert document["task"] == 12
    assert document["count"] == 3
    assert document["products"] == [
        {"sku": "A", "price": Decimal("12.50")},
        {"sku": "B", "price": 3},
        {"sku": "C", "names": {"lt": "Šilutė"}, "tags": ["x", None]},
    ]


def test_values_are_written_exactly(tmp_path: pathlib.Path) -> None:
    writer = ExportWriter(tmp_path / "parts")
    product = {
        "price": Decimal("12.50"),
        "tiny": Decimal("1E-7"),
        "ratio": 0.25,
        "on": True,
        "at": dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC),
        "day": dt.date(2024, 5, 1),
        "color": Color.RED,
        "name": 'Crème "brûlée"',
    }
    size = writer.append(0, [product])
    text = (tmp_path / "parts").read_text(encoding="utf-8")
    assert text == (
        '{"price": 12.50, "tiny": 1E-7, "ratio": 0.25, "on": true, '
        '"at": "2024-05-01T10:00:00+00:00", "day": "2024-05-01", "color": "red", '
        '"name": "Crème \\"brûlée\\""}'
    )
    assert size == len(text.encode())


def test_a_crashed_batch_is_dropped_by_the_retry(tmp_path: pathlib.Path) -> None:
    writer = ExportWriter(tmp_path / "parts")
    committed = writer.append(0, [{"sku": "A"}, {"sku": "B"}])
    writer.append(committed, [{"sku": "CRASHED"}])  # written, but its batch never committed
    committed = writer.append(committed, [{"sku": "C"}])
    assert b"CRASHED" not in (tmp_path / "parts").read_bytes()
    document = finish(tmp_path, writer.parts_path, committed, 3)
    assert document["products"] == [{"sku": "A"}, {"sku": "B"}, {"sku": "C"}]


def test_finish_ignores_bytes_past_the_committed_size(tmp_path: pathlib.Path) -> None:
    writer = ExportWriter(tmp_path / "parts")
    committed = writer.append(0, [{"sku": "A"}])
    writer.append(committed, [{"sku": "CRASHED"}])  # the crash happened before the retry
    assert finish(tmp_path, writer.parts_path, committed, 1)["products"] == [{"sku": "A"}]


def test_a_crashed_first_batch_and_empty_batches(tmp_path: pathlib.Path) -> None:
    writer = ExportWriter(tmp_path / "parts")
    writer.append(0, [{"sku": "CRASHED"}])
    committed = writer.append(0, [])
    assert committed == 0
    committed = writer.append(committed, [{"sku": "A"}])
    committed = writer.append(committed, [])
    assert finish(tmp_path, writer.parts_path, committed, 1)["products"] == [{"sku": "A"}]


def test_an_export_without_products(tmp_path: pathlib.Path) -> None:
    document = finish(tmp_path, tmp_path / "never-written", 0, 0)
    assert document["count"] == 0
    assert document["products"] == []


def test_a_parts_file_shorter_than_committed_is_refused(tmp_path: pathlib.Path) -> None:
    writer = ExportWriter(tmp_path / "parts")
    committed = writer.append(0, [{"sku": "A"}])
    with pytest.raises(FeedError, match=r"fewer than the .* already recorded"):
        writer.append(committed + 10, [{"sku": "B"}])
    with pytest.raises(FeedError, match=r"shorter than the .* bytes recorded"):
        finish_export(
            writer.parts_path,
            tmp_path / "export.json",
            parts_size=committed + 10,
            header=HEADER,
            count=2,
        )
    assert not (tmp_path / "export.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["parts"]


def test_values_json_cannot_hold_are_refused(tmp_path: pathlib.Path) -> None:
    writer = ExportWriter(tmp_path / "parts")
    with pytest.raises(ValueError, match="not a number JSON can hold"):
        writer.append(0, [{"price": Decimal("NaN")}])
    with pytest.raises(TypeError, match="cannot be written to JSON"):
        writer.append(0, [{"blob": object()}])


def test_product_lines_write_what_dumps_writes() -> None:
    from syncbeat.feeds.export import product_lines
    from syncbeat.feeds.jsonvalues import dumps

    names = ["sku", "title", "price", "qty", "on", "100% \"x'"]
    kinds = ["text", "text", "number", "int", "bool", "any"]
    products = [
        ("A", 'Crème "brûlée"\t\\', "12.50", 3, True, Decimal("0.125")),
        (None, "東京 😀\x01", None, None, False, None),
        ("C", "", "0.125", -7, None, [1, "x"]),
        ("D", "d", "1E-7", True, 1, {"k": None}),  # a bool in an int column, 1 as a bool
    ]
    columns = [list(column) for column in zip(*products, strict=True)]
    expected = []
    for row in products:
        product = dict(zip(names, row, strict=True))
        product["price"] = None if row[2] is None else Decimal(row[2])
        product["on"] = None if row[4] is None else bool(row[4])
        expected.append(dumps(product))
    assert product_lines(names, kinds, columns) == expected
    assert product_lines(names, kinds, [[] for _ in names]) == []


def test_the_parts_file_reaches_the_disk_before_the_size_is_committed(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typing import BinaryIO

    from syncbeat.feeds import export

    writer = ExportWriter(tmp_path / "parts")
    size, durable = writer.append_lines_syncing(0, ['{"sku": "A"}'])
    durable()
    assert (tmp_path / "parts").read_bytes()[:size] == b'{"sku": "A"}'

    def broken(parts: BinaryIO) -> None:
        parts.close()
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(export, "_sync_and_close", broken)
    _, durable = writer.append_lines_syncing(size, ['{"sku": "B"}'])
    with pytest.raises(FeedError, match="cannot be written: Input/output error"):
        durable()
