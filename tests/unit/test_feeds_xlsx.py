"""XLSX feeds: cell values as text, sheets, blank rows and error cells."""

from __future__ import annotations

import datetime as dt
import pathlib
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook

from syncbeat.feeds import FeedError, FeedSpec, RowError, limits, open_feed

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


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def shared_strings_workbook(path: pathlib.Path, texts: list[str], table: bytes = b"") -> None:
    """A workbook as Excel writes it: one column whose cells point into the shared strings
    table (openpyxl itself writes inline strings). `table` replaces the table's entries."""
    entries = table or "".join(f"<si><t>{text}</t></si>" for text in texts).encode()
    cells = "".join(
        f'<row r="{n}"><c r="A{n}" t="s"><v>{n - 1}</v></c></row>'
        for n in range(1, len(texts) + 1)
    )
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            f'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{_TYPE}.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{_TYPE}.sharedStrings+xml"/></Types>'
        ).encode(),
        "_rels/.rels": (
            f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
            f'Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><sheets>'
            '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" Type="{_DOC}/worksheet" '
            'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
            f'Type="{_DOC}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ).encode(),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{_MAIN}"><sheetData>{cells}</sheetData></worksheet>'
        ).encode(),
        "xl/sharedStrings.xml": f'<sst xmlns="{_MAIN}">'.encode() + entries + b"</sst>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in parts.items():
            book.writestr(name, data)


def test_a_shared_strings_bomb_is_refused_before_it_is_unpacked(tmp_path: pathlib.Path) -> None:
    many = b"".join(b"<si><t>%x</t></si>" % i for i in range(limits.XLSX_SHARED_STRINGS + 1))
    bomb = tmp_path / "bomb.xlsx"
    shared_strings_workbook(bomb, ["sku", "A"], table=many)
    assert bomb.stat().st_size < 4 * limits.MB
    with pytest.raises(FeedError) as failure:
        read(bomb, XLSX, ["sku"])
    assert str(failure.value) == (
        "the workbook holds more than 500,000 different texts in its shared strings table; "
        "syncbeat reads at most 500,000; save the sheet as CSV"
    )


def test_a_part_that_unpacks_past_the_limit_is_refused(tmp_path: pathlib.Path) -> None:
    path = workbook(tmp_path, {"S": [["sku"], ["A"]]})
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            big = info.filename == "xl/styles.xml"
            dst.writestr(info.filename, b" " * (limits.XLSX_PART + 1) if big else src.read(info))
    assert bomb.stat().st_size < 1 * limits.MB
    with pytest.raises(FeedError) as failure:
        read(bomb, XLSX, ["sku"])
    assert str(failure.value) == (
        "the workbook's part xl/styles.xml unpacks to 67,108,865 bytes; syncbeat reads at most "
        "64 MB of a part other than a sheet (shared texts, styles); save the sheet as CSV"
    )


def test_a_shared_strings_table_under_the_limits_still_reads(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "big.xlsx"
    shared_strings_workbook(path, ["sku"] + [f"SKU-{i:06d}" for i in range(80_000)])
    with zipfile.ZipFile(path) as book:  # over a megabyte: its entries are counted
        assert book.getinfo("xl/sharedStrings.xml").file_size > limits.MB
    got = read(path, XLSX, ["sku"])
    assert len(got) == 80_000 and got[0] == ("SKU-000000",) and got[-1] == ("SKU-079999",)
