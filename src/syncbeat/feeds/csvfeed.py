"""CSV feeds: the C csv module parses, one itemgetter picks the fields, nothing runs per cell."""

from __future__ import annotations

import csv
import pathlib
from collections.abc import Callable, Iterator, Sequence
from itertools import chain, islice
from operator import itemgetter
from typing import IO, Any

from syncbeat.feeds.base import FeedReader, FeedSpec, Record, Values
from syncbeat.feeds.errors import FeedError, RowError
from syncbeat.feeds.textio import EncodingError, codec_name, decode_error

FIELD_LIMIT = 10 * 1024 * 1024
# The default limit (128 KB) is too small for long HTML descriptions, and the limit is what
# keeps memory bounded when a quote is left open; the setting is process-wide, so set it once.
csv.field_size_limit(FIELD_LIMIT)

_BUFFER = 1 << 20
_TABS = {"\\t", "tab", "TAB"}


class CsvFeed(FeedReader):
    """A CSV feed; `columns` is its header (or "1", "2", ... when it has none)."""

    def __init__(self, path: pathlib.Path, spec: FeedSpec, fields: Sequence[str]) -> None:
        self._path = path
        self._codec = codec_name(spec.encoding)
        self._options = _csv_options(spec)
        self._has_header = spec.header
        self._files: list[IO[str]] = []
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
            self._reader, self._first, header = self._open("strict")
        except UnicodeDecodeError:
            # The bad byte may sit after the header: read what precedes it, then report it.
            self._broken = self._decoding_failure()
            self.close()
            self._reader, self._first, header = self._open("replace")
            if self._reader.line_num >= self._broken.line:
                raise self._broken from None
        return header

    def records(self) -> Iterator[Record]:
        """Yield the fields of each data row, or a RowError for a row of the wrong width."""
        self._start()
        if self._broken is not None:
            return self._until(self._rows(self._reader, self._first), self._reader, self._broken)
        return self._rows(self._reader, self._first)

    def close(self) -> None:
        """Close every file this feed opened."""
        for file in self._files:
            file.close()
        self._files.clear()

    def _open(self, errors: str) -> tuple[Any, list[str] | None, list[str]]:
        """Open the file and read the header; return the reader, a first data row, the header."""
        file = self._path.open(encoding=self._codec, errors=errors, newline="", buffering=_BUFFER)
        self._files.append(file)
        reader = csv.reader(file, **self._options)
        try:
            header = next((row for row in reader if row), None)  # blank lines may precede it
        except csv.Error as exc:
            raise _csv_error(exc, reader.line_num, 0) from None
        if header is None:
            raise FeedError("the feed is empty: it has no header row and no data")
        return reader, (None if self._has_header else header), header

    def _rows(self, reader: Any, first: list[str] | None) -> Iterator[Record]:
        """The hot loop: one length check and one itemgetter call per row."""
        width, pick, key_at = self._width, self._pick, self._key_at
        what = "the header has" if self._has_header else "the first row has"
        rows = reader if first is None else chain((first,), reader)
        number = blanks = 0
        undecodable = False
        try:
            for number, row in enumerate(rows, 1):
                if len(row) == width:
                    yield pick(row)
                elif not row:
                    blanks += 1  # blank lines are skipped and not counted as records
                else:
                    line = number - blanks
                    yield RowError(
                        line=line,
                        key=row[key_at] if key_at < len(row) else None,
                        message=f"row {line} has {len(row)} columns, {what} {width}",
                    )
        except UnicodeDecodeError:
            undecodable = True
        except csv.Error as exc:
            raise _csv_error(exc, reader.line_num, number - blanks + 1) from None
        if undecodable:
            yield from self._recover(number - blanks)

    def _recover(self, done: int) -> Iterator[Record]:
        """After a decoding error mid-file: yield the good rows before the bad byte, then fail."""
        # The text layer decodes whole blocks, so rows just before the bad byte were never seen.
        # Read again, replacing undecodable bytes, and stop at the line that holds the first one.
        broken = self._decoding_failure()
        reader, first, _ = self._open("replace")
        yield from self._until(islice(self._rows(reader, first), done, None), reader, broken)

    def _until(
        self, records: Iterator[Record], reader: Any, broken: EncodingError
    ) -> Iterator[Record]:
        """Yield the records that end before the undecodable line, then raise its error."""
        for record in records:
            if reader.line_num >= broken.line:
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
    position: dict[str, int] = {}
    for index, name in enumerate(columns):
        position.setdefault(name, index)  # with duplicate names, the first column wins
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
