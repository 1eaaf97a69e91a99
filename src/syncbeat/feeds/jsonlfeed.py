"""JSON lines feeds: one product object per line, each parsed on its own."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterator, Sequence
from decimal import Decimal
from functools import partial
from json.scanner import make_scanner
from typing import IO, Any

from syncbeat.feeds import limits
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
        """The file's lines as bytes in an ASCII-compatible encoding (UTF-16 is re-encoded).

        A line is read up to one byte past the limit, so a line without an end never fills the
        memory: a piece that long without its line break is a line too long (`_too_long`).
        """
        self.close()
        bound = limits.JSONL_LINE + 1
        if ascii_compatible(self._codec):
            self._file = self._path.open("rb", buffering=_BUFFER)
            return iter(partial(self._file.readline, bound), b"")
        self._file = self._path.open(encoding=self._codec, newline="")
        return (line.encode() for line in iter(partial(self._file.readline, bound), ""))

    def _too_long(self, raw: bytes) -> bool:
        """Is `raw` the start of a line over the limit? If so, read past the rest of it."""
        if len(raw) <= limits.JSONL_LINE or raw.endswith(b"\n") or self._file is None:
            return False
        empty = self._file.readline(0)  # b"" or "", as the file gives
        while True:
            rest = self._file.readline(limits.JSONL_LINE)
            if rest == empty or rest[-1:] in ("\n", b"\n"):
                return True

    def _codec_of_lines(self) -> str:
        return self._codec if ascii_compatible(self._codec) else "utf-8"

    def _check_first_line(self) -> None:
        """Refuse a feed that is empty, or whose first line is not an object (plain JSON?)."""
        codec = self._codec_of_lines()
        try:
            for number, raw in enumerate(self._lines(), 1):
                if raw.isspace():
                    continue
                if self._too_long(raw):
                    raise FeedError(
                        f"the first line of the JSON lines feed (line {number}) is longer than "
                        f"{limits.size(limits.JSONL_LINE)}, the most syncbeat reads a line; "
                        "is it a JSON file rather than JSON lines?"
                    )
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
        except UnicodeError:
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
                try:
                    text = raw.decode(codec)
                except UnicodeError:
                    if not self._too_long(raw):  # else cut in a character: not a wrong byte
                        raise
                    yield RowError(line=record, key=None, message=_too_long_message(number))
                    continue
                try:
                    # The scanner itself, as decode() calls it, without decode's regular
                    # expressions for the whitespace around: half the cost of a line.
                    value, end = _SCAN(text, 0)
                    if end != len(text) and text[end:].strip(_JSON_SPACE):
                        value = decode(text)  # more after the object: decode says what
                except (StopIteration, json.JSONDecodeError, RecursionError):
                    try:
                        value = decode(text)  # leading spaces, or an error to describe
                    except (json.JSONDecodeError, RecursionError) as exc:
                        yield RowError(line=record, key=None, message=self._bad(number, raw, exc))
                        continue
                if value.__class__ is dict:
                    yield pick(value)
                else:
                    message = f"line {number} is {kind(value)}, not an object"
                    yield RowError(line=record, key=None, message=message)
        except UnicodeError:
            raise self._undecodable() from None

    def _bad(self, number: int, raw: bytes, exc: Exception) -> str:
        """Why line `number` (starting with `raw`) cannot be read, in words."""
        if self._too_long(raw):
            return _too_long_message(number)
        if isinstance(exc, RecursionError):
            return f"line {number}: the JSON is nested too deeply for the JSON reader"
        return f"line {number} is not valid JSON: {_problem(raw.decode(self._codec_of_lines()))}"

    def _undecodable(self) -> FeedError:
        return decode_error(self._path, self._codec) or FeedError(
            f"the feed cannot be decoded as {self._codec}"
        )


def _too_long_message(number: int) -> str:
    size = limits.size(limits.JSONL_LINE)
    return f"line {number} is longer than {size}; syncbeat reads at most {size} a line"


def _problem(text: str) -> str:
    """What is wrong with a line, with its column counted without the line ending."""
    try:
        _DECODER.decode(text.rstrip("\r\n"))
    except json.JSONDecodeError as exc:
        return f"{exc.msg} (column {exc.colno})"
    return "unknown error"
