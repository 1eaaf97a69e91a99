"""XLSX feeds: cell values as text, sheets, blank rows and error cells."""

from __future__ import annotations

import datetime as dt
import pathlib
from decimal import Decimal

import pytest
from openpyxl import Workbook

from syncbeat.feeds import FeedError, FeedSpec, RowError, open_feed

XLSX = FeedSpec(format="xlsx")


def workbook(tmp_path: pathlib.Path, sheets: dict[str, list[list[object]]]) -> pathlib.Path:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / "feed.xlsx"
    book.save(path)
    return path


def read(path: pathlib.Path, spec: FeedSpec, fields: list[str]) -> list[object]:
    with open_feed(path, spec, fields) as feed:
        return list(feed.records())


def test_cells_become_text(tmp_path: pathlib.Path) -> None:
    path = workbook(
        tmp_path,
        {
            "Products": [
                [" sku ", "price", "stock", "active", "since", "note"],
                ["A-1", 12.5, 7, True, dt.datetime(2024, 3, 1), None],
                [1001, Decimal("0.1"), 7.0, False, dt.datetime(2024, 3, 1, 14, 30), "x"],
            ]
        },
    )
    with open_feed(path, XLSX, ["sku", "price", "stock", "active", "since", "note"]) as feed:
        assert feed.columns == ["sku", "price", "stock", "active", "since", "note"]
        assert list(feed.records()) == [
            ("A-1", "12.5", "7", "true", "2024-03-01", ""),
            ("1001", "0.1", "7", "false", "2024-03-01T14:30:00", "x"),
        ]


def test_blank_rows_are_skipped_and_short_rows_padded(tmp_path: pathlib.Path) -> None:
    path = workbook(
        tmp_path,
        {"S": [[None], ["sku", "name", "price"], ["A", "Chair"], [None, None], ["B", "Table", 3]]},
    )
    assert read(path, XLSX, ["sku", "price"]) == [("A", ""), ("B", "3")]


def test_a_cell_holding_an_error_is_a_row_error(tmp_path: pathlib.Path) -> None:
    path = workbook(tmp_path, {"S": [["sku", "price"], ["A", "#DIV/0!"], ["B", 2]]})
    assert read(path, XLSX, ["sku", "price"]) == [
        RowError(
            line=1,
            key="A",
            message="row 1 (sheet row 2): the cell 'price' holds the spreadsheet error #DIV/0!",
        ),
        ("B", "2"),
    ]


def test_the_file_name_does_not_matter(tmp_path: pathlib.Path) -> None:
    path = workbook(tmp_path, {"S": [["sku"], ["A"]]})
    snapshot = path.rename(tmp_path / "task-12.part")
    assert read(snapshot, XLSX, ["sku"]) == [("A",)]


def test_a_named_sheet(tmp_path: pathlib.Path) -> None:
    path = workbook(tmp_path, {"Readme": [["hello"]], "Stock": [["sku"], ["A"]]})
    assert read(path, FeedSpec(format="xlsx", sheet="Stock"), ["sku"]) == [("A",)]


@pytest.mark.parametrize(
    ("sheets", "spec", "fields", "message"),
    [
        (
            {"A": [["sku"]], "B": [["sku"]]},
            FeedSpec(format="xlsx", sheet="C"),
            ["sku"],
            "the workbook has no sheet 'C'; its sheets are: A, B",
        ),
        ({"A": []}, XLSX, ["sku"], "the sheet 'A' is empty"),
        (
            {"A": [["id", "name"]]},
            XLSX,
            ["sku", "ean"],
            "the sheet has no columns 'sku', 'ean'; its columns are: id, name",
        ),
    ],
)
def test_whole_feed_failures(
    tmp_path: pathlib.Path,
    sheets: dict[str, list[list[object]]],
    spec: FeedSpec,
    fields: list[str],
    message: str,
) -> None:
    with pytest.raises(FeedError) as failure:
        open_feed(workbook(tmp_path, sheets), spec, fields)
    assert str(failure.value) == message


def test_a_file_that_is_not_a_workbook(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "feed.xlsx"
    path.write_text("sku,name\nA,B\n")
    with pytest.raises(FeedError, match="the file is not an XLSX workbook"):
        open_feed(path, XLSX, ["sku"])
