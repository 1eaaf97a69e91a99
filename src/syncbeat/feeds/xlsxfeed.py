"""XLSX feeds: one sheet read row by row with openpyxl's read-only mode."""

from __future__ import annotations

import datetime as dt
import pathlib
import re
import warnings
import zipfile
from collections.abc import Generator, Iterator, Sequence
from typing import IO, Any

from lxml import etree
from openpyxl import load_workbook
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.utils.exceptions import InvalidFileException

from syncbeat.feeds import limits
from syncbeat.feeds.base import FeedReader, FeedSpec, Record, column_positions
from syncbeat.feeds.errors import FeedError, RowError

_ERRORS = frozenset(ERROR_CODES)
_SHEET = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)  # read row by row
_COUNT_FROM = 1 * limits.MB  # a smaller shared strings table cannot hold too many texts


class XlsxFeed(FeedReader):
    """A sheet of an XLSX workbook; its first non-empty row names the columns."""

    def __init__(self, path: pathlib.Path, spec: FeedSpec, fields: Sequence[str]) -> None:
        # A file object, not the path: openpyxl refuses a path whose suffix is not .xlsx.
        self._raw = path.open("rb")
        try:
            _check_parts(self._raw)
        except BaseException:
            self._raw.close()
            raise
        try:
            with warnings.catch_warnings():
                # openpyxl warns about workbook features it ignores; they do not matter here.
                warnings.simplefilter("ignore")
                self._book: Any = load_workbook(self._raw, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
            self._raw.close()
            raise FeedError(f"the file is not an XLSX workbook ({exc})") from None
        try:
            sheet = self._sheet(spec.sheet)
            self._rows: Generator[tuple[Any, ...], None, None] = sheet.iter_rows(values_only=True)
            self._sheet_row = 0  # the row number a spreadsheet shows for the last row read
            header = self._header(sheet.title)
            self.columns = header
            self._indexes = _indexes(header, fields)
            self._fields = list(fields)
        except BaseException:
            self.close()
            raise

    def records(self) -> Iterator[Record]:
        """Yield the fields of each non-empty row, or a RowError for a cell holding an error."""
        self._start()
        return self._records()

    def close(self) -> None:
        """Close the workbook (read-only mode keeps its file open until then)."""
        rows = getattr(self, "_rows", None)
        if rows is not None:
            # The row generator holds the sheet's stream, which keeps the file open past
            # the workbook's close(): end the generator first.
            rows.close()
        self._book.close()
        self._raw.close()

    def _sheet(self, name: str | None) -> Any:
        if name is None:
            return self._book.worksheets[0]
        if name not in self._book.sheetnames:
            raise FeedError(
                f"the workbook has no sheet {name!r}; its sheets are: "
                + ", ".join(self._book.sheetnames)
            )
        return self._book[name]

    def _header(self, title: str) -> list[str]:
        for row in self._rows:
            self._sheet_row += 1
            if any(value is not None for value in row):
                names = [_cell_text(value).strip() for value in row]
                while names and not names[-1]:
                    names.pop()  # sheets often report empty columns past the last one used
                return names
        raise FeedError(f"the sheet {title!r} is empty")

    def _records(self) -> Iterator[Record]:
        number = 0
        rows = iter(self._rows)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # openpyxl raises XML, zip and zlib errors on damage
                raise FeedError(
                    f"the XLSX file is damaged after sheet row {self._sheet_row}: {exc}"
                ) from None
            record = self._record(row, number + 1)
            if record is None:
                continue
            number += 1
            yield record

    def _record(self, row: Any, number: int) -> Record | None:
        """Row `number`'s values, a RowError, or None for a blank row (not counted)."""
        indexes, fields = self._indexes, self._fields
        self._sheet_row += 1
        if all(value is None for value in row):
            return None
        values = [row[i] if i < len(row) else None for i in indexes]
        bad = next(
            (i for i, v in enumerate(values) if v.__class__ is str and v in _ERRORS), None
        )
        if bad is not None:
            key = _cell_text(values[0]) if bad > 0 else None
            return RowError(
                line=number,
                key=key,
                message=f"row {number} (sheet row {self._sheet_row}): the cell "
                f"{fields[bad]!r} holds the spreadsheet error {values[bad]}",
            )
        return tuple([_cell_text(value) for value in values])


def _indexes(columns: list[str], fields: Sequence[str]) -> list[int]:
    position = column_positions(columns, fields)
    missing = [field for field in fields if field not in position]
    if missing:
        noun = "column" if len(missing) == 1 else "columns"
        raise FeedError(
            f"the sheet has no {noun} {', '.join(repr(field) for field in missing)}; "
            f"its columns are: {', '.join(columns)}"
        )
    return [position[field] for field in fields]


def _cell_text(value: Any) -> str:
    """A cell's value as text: empty cells are "", whole numbers have no ".0"."""
    if value is None:
        return ""
    if value.__class__ is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Excel stores every number as a float: 12.0 was typed 12, repr gives the shortest text.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()  # a date cell: no midnight time the operator never typed
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _check_parts(raw: IO[bytes]) -> None:
    """Refuse a workbook that openpyxl would unpack into too much memory (a zip bomb).

    The sizes come from the zip's directory; Python's zip reader never unpacks more than a
    member's declared size (it fails the CRC check instead), so they cannot lie.
    """
    try:
        book = zipfile.ZipFile(raw)
    except (zipfile.BadZipFile, ValueError) as exc:
        raise FeedError(f"the file is not an XLSX workbook ({exc})") from None
    for info in book.infolist():
        if _SHEET.fullmatch(info.filename):
            continue
        if info.file_size > limits.XLSX_PART:
            raise FeedError(
                f"the workbook's part {info.filename} unpacks to {info.file_size:,} bytes; "
                f"syncbeat reads at most {limits.size(limits.XLSX_PART)} of a part other than "
                "a sheet (shared texts, styles); save the sheet as CSV"
            )
        shared = info.filename.lower().endswith("sharedstrings.xml")
        if shared and info.file_size > _COUNT_FROM:
            count = _count_strings(book, info)
            if count > limits.XLSX_SHARED_STRINGS:
                raise FeedError(
                    f"the workbook holds more than {limits.XLSX_SHARED_STRINGS:,} different "
                    "texts in its shared strings table; syncbeat reads at most "
                    f"{limits.XLSX_SHARED_STRINGS:,}; save the sheet as CSV"
                )
    raw.seek(0)


def _count_strings(book: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """The entries of the shared strings table, counted as it streams (stops past the limit)."""
    count = 0
    try:
        with book.open(info) as part:
            for _, element in etree.iterparse(
                part, events=("end",), tag="{*}si", resolve_entities=False, no_network=True,
            ):
                count += 1
                element.clear()
                while element.getprevious() is not None:  # the table keeps its cleared texts
                    del element.getparent()[0]
                if count > limits.XLSX_SHARED_STRINGS:
                    break
    except (etree.XMLSyntaxError, zipfile.BadZipFile, OSError) as exc:
        raise FeedError(f"the XLSX file is damaged: {info.filename}: {exc}") from None
    return count
