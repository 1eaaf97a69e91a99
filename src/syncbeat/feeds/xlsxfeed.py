"""XLSX feeds: one sheet read row by row with openpyxl's read-only mode."""

from __future__ import annotations

import datetime as dt
import pathlib
import warnings
import zipfile
from collections.abc import Generator, Iterator, Sequence
from typing import Any

from openpyxl import load_workbook
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.utils.exceptions import InvalidFileException

from syncbeat.feeds.base import FeedReader, FeedSpec, Record
from syncbeat.feeds.errors import FeedError, RowError

_ERRORS = frozenset(ERROR_CODES)


class XlsxFeed(FeedReader):
    """A sheet of an XLSX workbook; its first non-empty row names the columns."""

    def __init__(self, path: pathlib.Path, spec: FeedSpec, fields: Sequence[str]) -> None:
        # A file object, not the path: openpyxl refuses a path whose suffix is not .xlsx.
        self._raw = path.open("rb")
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
    position: dict[str, int] = {}
    for index, name in enumerate(columns):
        position.setdefault(name, index)
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
