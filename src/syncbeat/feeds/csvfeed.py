"""CSV feeds: the C csv module parses, one itemgetter picks the fields, nothing runs per cell.

Rows are read in small batches; a batch whose rows each took one line of the file (the common
case) is handed on as it is. Only a batch holding a row that spans lines is looked at row by
row, for a quote left open (`quotes.runaway`).
"""

from __future__ import annotations

import csv
import pathlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter
from typing import IO, Any

from syncbeat.feeds import limits
from syncbeat.feeds.base import FeedReader, FeedSpec, Record, Values, column_positions
from syncbeat.feeds.csvquotes import line_breaks, runaway
from syncbeat.feeds.errors import FeedError, RowError
from syncbeat.feeds.textio import EncodingError, codec_name, decode_error

FIELD_LIMIT = limits.CSV_FIELD
# Python's default (128 KB) is too small for long HTML descriptions, and the limit is what
# keeps memory bounded when a quote is left open; the setting is process-wide, so set it once.
csv.field_size_limit(FIELD_LIMIT)

_BUFFER = 1 << 20
_BATCH = 256  # rows read at once: the line count is checked once a batch
_TABS = {"\\t", "tab", "TAB"}


@dataclass
class _Cursor:
    """The csv reader in use, and the lines of the file before its first line."""

    reader: Any
    file: IO[str]
    errors: str  # how the file decodes: "strict", or "replace" to read up to a bad byte
    base: int = 0

    @property
    def line(self) -> int:
        """The file's line the reader has read up to (1-based, counting every line)."""
        return self.base + int(self.reader.line_num)


class CsvFeed(FeedReader):
    """A CSV feed; `columns` is its header (or "1", "2", ... when it has none)."""

    def __init__(self, path: pathlib.Path, spec: FeedSpec, fields: Sequence[str]) -> None:
        self._path = path
        self._codec = codec_name(spec.encoding)
        self._options = _csv_options(spec)
        self._delim = str(self._options["delimiter"])
        self._has_header = spec.header
        self._files: list[IO[str]] = []
        self._spare: tuple[IO[str], int] | None = None  # a file left at a line, for resyncs
        self._broken: EncodingError | None = None  # an undecodable byte found while opening
        try:
            header = self._open_checked()
            if spec.header:
                self.columns = [name.strip() for name in header]
            else:
                self.columns = [str(number) for number in range(1, len(header) + 1)]
            self._width = len(self.columns)
            self._pick, self._key_at = _picker(self.columns, fields, spec.delimiter)
        except BaseException:
            self.close()
            raise

    def _open_checked(self) -> list[str]:
        try:
            self._cursor, self._first, header = self._open("strict")
        except UnicodeError:
            # The bad byte may sit after the header: read what precedes it, then report it.
            self._broken = self._decoding_failure()
            self.close()
            if self._broken.line <= 1:  # in the header, or a stream the codec refuses whole
                raise self._broken from None
            self._cursor, self._first, header = self._open("replace")
            if self._cursor.line >= self._broken.line:
                raise self._broken from None
        return header

    def records(self) -> Iterator[Record]:
        """Yield the fields of each data row, or a RowError for a row that cannot be read."""
        self._start()
        if self._broken is not None:
            rows = self._rows(self._cursor, self._first, batch=1)
            return self._until(rows, self._cursor, self._broken)
        return self._rows(self._cursor, self._first)

    def close(self) -> None:
        """Close every file this feed opened."""
        for file in self._files:
            file.close()
        self._files.clear()
        self._spare = None

    def _open_file(self, errors: str) -> IO[str]:
        file = self._path.open(encoding=self._codec, errors=errors, newline="", buffering=_BUFFER)
        self._files.append(file)
        return file

    def _open(self, errors: str) -> tuple[_Cursor, list[str] | None, list[str]]:
        """Open the file and read the header; return the cursor, a first data row, the header."""
        file = self._open_file(errors)
        cursor = _Cursor(reader=csv.reader(file, **self._options), file=file, errors=errors)
        try:
            header = next((row for row in cursor.reader if row), None)  # blank lines may precede
        except csv.Error as exc:
            raise _csv_error(exc, cursor.line, 0) from None
        if header is None:
            raise FeedError("the feed is empty: it has no header row and no data")
        return cursor, (None if self._has_header else header), header

    def _rows(
        self, cursor: _Cursor, first: list[str] | None, batch: int = _BATCH
    ) -> Iterator[Record]:
        """The hot loop: per row, one length check and one itemgetter call."""
        width, pick, key_at = self._width, self._pick, self._key_at
        what = "the header has" if self._has_header else "the first row has"
        number = blanks = 0  # rows read (blank ones too), blank rows read
        if first is not None:  # a feed without a header: its first row was read with it
            number = 1
            yield pick(first)
        try:
            while True:
                start = cursor.line
                rows: list[list[str]] = []
                failure = None
                try:
                    rows.extend(islice(cursor.reader, batch))  # keeps the rows before an error
                except csv.Error as exc:
                    failure = exc
                if failure is None and cursor.line - start == len(rows):
                    if not rows:
                        return
                    first_number = number + 1
                    for number, row in enumerate(rows, first_number):  # each row took one line
                        if len(row) == width:
                            yield pick(row)
                        elif not row:
                            blanks += 1  # blank lines are skipped and not counted as records
                        else:
                            record = number - blanks
                            yield RowError(
                                line=record,
                                key=row[key_at] if key_at < len(row) else None,
                                message=f"row {record} has {len(row)} columns, {what} {width}",
                            )
                    continue
                # A row spans lines, or a field broke the size limit: row by row.
                line = start
                for row in rows:
                    number += 1
                    opened = line + 1
                    line = opened + line_breaks(row)
                    if not row:
                        blanks += 1
                        continue
                    record = number - blanks
                    key = row[key_at] if key_at < len(row) else None
                    found = None
                    if line > opened:
                        found = runaway(row, line - opened, width, key_at, self._delim)
                    if found is not None:
                        message, again = found
                        if again:  # read the swallowed lines again, as rows (the cursor
                            self._resync(cursor, opened)  # is moved first: see `_until`)
                        yield RowError(
                            line=record,
                            key=key,
                            message=f"row {record}: a quoted field opened on row {record} "
                            f"(line {opened}) {message}; check the quotes of that row",
                        )
                        if again:
                            break
                    elif len(row) == width:
                        yield pick(row)
                    else:
                        message = f"row {record} has {len(row)} columns, {what} {width}"
                        yield RowError(line=record, key=key, message=message)
                else:
                    if failure is not None:
                        number += 1
                        error, resync = self._too_big(failure, cursor, number - blanks, line + 1)
                        if resync is not None:
                            self._resync(cursor, resync)
                        yield error
        except UnicodeError:
            pass  # the generator cannot yield from its except clause cleanly: go on below
        yield from self._recover(number - blanks)

    def _too_big(
        self, failure: csv.Error, cursor: _Cursor, record: int, opened: int
    ) -> tuple[RowError, int | None]:
        """The error of a row with a field over the size limit, and the line to read again
        from (None: the reader goes on from the next line by itself)."""
        if "field limit" not in str(failure):
            raise _csv_error(failure, cursor.line, record) from None
        size = limits.size(FIELD_LIMIT)
        if cursor.line > opened:  # the field ran over lines: a quote left open
            message = (
                f"row {record}: a quoted field opened on row {record} (line {opened}) runs over "
                f"{size} without closing; check the quotes of that row"
            )
            return RowError(line=record, key=None, message=message), opened
        message = (
            f"row {record} (line {opened}) has a field longer than {size}; syncbeat reads at "
            f"most {size} a field"
        )
        return RowError(line=record, key=None, message=message), None

    def _resync(self, cursor: _Cursor, line: int) -> None:
        """Point the cursor at the line after `line`: the rows a runaway quote swallowed."""
        spare = self._spare
        if spare is not None and spare[1] <= line:
            file, at = spare
        else:
            if spare is not None:
                self._forget(spare[0])
            file, at = self._open_file(cursor.errors), 0
        deque(islice(file, line - at), 0)
        # The file left behind is at a later line: the next resync may start from there.
        self._spare = (cursor.file, cursor.line)
        cursor.file, cursor.base = file, line
        cursor.reader = csv.reader(file, **self._options)

    def _forget(self, file: IO[str]) -> None:
        file.close()
        self._files.remove(file)

    def _recover(self, done: int) -> Iterator[Record]:
        """After a decoding error mid-file: yield the good rows before the bad byte, then fail."""
        # The text layer decodes whole blocks, so rows just before the bad byte were never seen.
        # Read again, replacing undecodable bytes, and stop at the line that holds the first one.
        broken = self._decoding_failure()
        self._spare = None
        cursor, first, _ = self._open("replace")
        rows = islice(self._rows(cursor, first, batch=1), done, None)
        yield from self._until(rows, cursor, broken)

    def _until(
        self, records: Iterator[Record], cursor: _Cursor, broken: EncodingError
    ) -> Iterator[Record]:
        """Yield the records that end before the undecodable line, then raise its error.

        A runaway quote's error is yielded with the cursor already back at the line it opened
        on, so that it counts as ending there: the rows it swallowed are read again.
        """
        for record in records:
            if cursor.line >= broken.line:
                break
            yield record
        raise broken

    def _decoding_failure(self) -> EncodingError:
        broken = decode_error(self._path, self._codec)
        if broken is None:  # the text layer and the scan disagree: should not happen
            raise FeedError(f"the feed cannot be decoded as {self._codec}")
        return broken


def _csv_options(spec: FeedSpec) -> dict[str, Any]:
    delimiter = "\t" if spec.delimiter in _TABS else spec.delimiter
    if len(delimiter) != 1:
        raise FeedError(f"source.delimiter must be one character, not {spec.delimiter!r}")
    if not spec.quotechar:
        return {"delimiter": delimiter, "quoting": csv.QUOTE_NONE}
    if len(spec.quotechar) != 1:
        raise FeedError(f"source.quotechar must be one character, not {spec.quotechar!r}")
    return {"delimiter": delimiter, "quotechar": spec.quotechar}


def _picker(
    columns: list[str], fields: Sequence[str], delimiter: str
) -> tuple[Callable[[list[str]], Values], int]:
    """An itemgetter for `fields` (always returning a tuple) and the key field's position."""
    position = column_positions(columns, fields)
    missing = [field for field in fields if field not in position]
    if missing:
        names = ", ".join(repr(field) for field in missing)
        noun = "column" if len(missing) == 1 else "columns"
        message = f"the CSV feed has no {noun} {names}; its columns are: {', '.join(columns)}"
        if len(columns) == 1:
            message += f" (is the delimiter really {delimiter!r}? set source.delimiter)"
        raise FeedError(message)
    indexes = [position[field] for field in fields]
    if not indexes:
        return (lambda row: ()), 0
    if len(indexes) == 1:
        only = indexes[0]
        return (lambda row: (row[only],)), only  # itemgetter of one index returns no tuple
    return itemgetter(*indexes), indexes[0]


def _csv_error(exc: csv.Error, line: int, row: int) -> FeedError:
    where = f"row {row} (line {line})" if row else f"line {line}"
    if "field limit" in str(exc):
        return FeedError(
            f"the CSV feed has a field longer than {FIELD_LIMIT // (1024 * 1024)} MB at {where}; "
            "a quote is probably left open"
        )
    return FeedError(f"the CSV feed cannot be read at {where}: {exc}")
