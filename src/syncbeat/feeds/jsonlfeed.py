"""JSON lines feeds: one product object per line, each parsed on its own."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterator, Sequence
from decimal import Decimal
from json.scanner import make_scanner
from typing import IO, Any

from syncbeat.feeds.base import FeedSpec, FileFeedReader, Record
from syncbeat.feeds.errors import FeedError, RowError
from syncbeat.feeds.jsonvalues import kind, object_picker
from syncbeat.feeds.textio import ascii_compatible, codec_name, decode_error

_BUFFER = 1 << 20
# One decoder for all lines: json.loads(..., parse_float=...) would build a new one per call.
_DECODER = json.JSONDecoder(parse_float=Decimal)
# The C scanner JSONDecoder.decode calls (typeshed types its argument wrongly).
_SCAN = make_scanner(_DECODER)  # type: ignore[arg-type]
_JSON_SPACE = " \t\r\n"  # what JSON calls whitespace (str.isspace takes more)


class JsonLinesFeed(FileFeedReader):
    """A JSON lines feed; blank lines are skipped and not counted as records."""

    def __init__(self, path: pathlib.Path, spec: FeedSpec, fields: Sequence[str]) -> None:
        self._path = path
        self._codec = codec_name(spec.encoding)
        self._pick = object_picker(fields)
        self._file: IO[Any] | None = None
        self._check_first_line()

    def _lines(self) -> Iterator[bytes]:
        """The file's lines as bytes in an ASCII-compatible encoding (UTF-16 is re-encoded)."""
        self.close()
        if ascii_compatible(self._codec):
            self._file = self._path.open("rb", buffering=_BUFFER)
            return iter(self._file)
        self._file = self._path.open(encoding=self._codec, newline="")
        return (line.encode() for line in self._file)

    def _codec_of_lines(self) -> str:
        return self._codec if ascii_compatible(self._codec) else "utf-8"

    def _check_first_line(self) -> None:
        """Refuse a feed that is empty, or whose first line is not an object (plain JSON?)."""
        codec = self._codec_of_lines()
        try:
            for number, raw in enumerate(self._lines(), 1):
                if raw.isspace():
                    continue
                try:
                    value = _DECODER.decode(raw.decode(codec))
                except json.JSONDecodeError as exc:
                    raise FeedError(
                        f"the first line of the JSON lines feed (line {number}) is not valid "
                        f"JSON: {exc.msg}; is it a JSON file rather than JSON lines?"
                    ) from None
                if not isinstance(value, dict):
                    raise FeedError(
                        f"the first line of the JSON lines feed (line {number}) is "
                        f"{kind(value)}, not an object; is it a JSON file rather than JSON lines?"
                    )
                return
        except UnicodeDecodeError:
            raise self._undecodable() from None
        finally:
            self.close()
        raise FeedError("the feed is empty")

    def _records(self) -> Iterator[Record]:
        pick, codec, decode = self._pick, self._codec_of_lines(), _DECODER.decode
        blanks = 0
        try:
            for number, raw in enumerate(self._lines(), 1):
                if raw.isspace():
                    blanks += 1
                    continue
                record = number - blanks
                text = raw.decode(codec)
                try:
                    # The scanner itself, as decode() calls it, without decode's regular
                    # expressions for the whitespace around: half the cost of a line.
                    value, end = _SCAN(text, 0)
                    if end != len(text) and text[end:].strip(_JSON_SPACE):
                        value = decode(text)  # more after the object: decode says what
                except (StopIteration, json.JSONDecodeError):
                    try:
                        value = decode(text)  # leading spaces, or an error to describe
                    except json.JSONDecodeError:
                        message = f"line {number} is not valid JSON: {_problem(text)}"
                        yield RowError(line=record, key=None, message=message)
                        continue
                if value.__class__ is dict:
                    yield pick(value)
                else:
                    message = f"line {number} is {kind(value)}, not an object"
                    yield RowError(line=record, key=None, message=message)
        except UnicodeDecodeError:
            raise self._undecodable() from None

    def _undecodable(self) -> FeedError:
        return decode_error(self._path, self._codec) or FeedError(
            f"the feed cannot be decoded as {self._codec}"
        )


def _problem(text: str) -> str:
    """What is wrong with a line, with its column counted without the line ending."""
    try:
        _DECODER.decode(text.rstrip("\r\n"))
    except json.JSONDecodeError as exc:
        return f"{exc.msg} (column {exc.colno})"
    return "unknown error"
