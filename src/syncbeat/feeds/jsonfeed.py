"""JSON feeds: a list of product objects, streamed with ijson (its C backend when installed)."""

from __future__ import annotations

import codecs
import pathlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO

import ijson

from syncbeat.feeds import limits
from syncbeat.feeds.base import FeedSpec, FileFeedReader, Record
from syncbeat.feeds.errors import FeedError, RowError
from syncbeat.feeds.jsonvalues import kind, object_picker
from syncbeat.feeds.textio import Utf8Recoder, codec_name, decode_error, is_utf8

try:
    _IJSON: Any = ijson.get_backend("yajl2_c")
except ImportError:  # no compiled backend on this platform: the default one is slower, not wrong
    _IJSON = ijson

_BUFFER = 1 << 16
_KINDS = {
    "start_map": "an object",
    "start_array": "a list",
    "string": "a text",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


class JsonFeed(FileFeedReader):
    """A JSON feed: a top-level list, or the list under `spec.item` in a top-level object."""

    def __init__(self, path: pathlib.Path, spec: FeedSpec, fields: Sequence[str]) -> None:
        self._path = path
        self._codec = codec_name(spec.encoding)
        self._pick = object_picker(fields)
        if path.stat().st_size == 0:
            raise FeedError("the feed is empty")
        with self._open() as probe:
            self._prefix = self._locate(probe, spec.item)
        self._file: BinaryIO | None = self._open()

    def _open(self) -> BinaryIO:
        """The feed for the parser: its depth checked before the parser reads a block."""
        return DepthGuard(self._stream(), self._line_at)  # type: ignore[return-value]

    def _stream(self) -> BinaryIO:
        """The file as a UTF-8 byte stream, past any byte order mark (yajl refuses one)."""
        raw = self._path.open("rb", buffering=_BUFFER)
        if not is_utf8(self._codec):
            return Utf8Recoder(raw, self._codec)  # type: ignore[return-value]
        if raw.read(3) != codecs.BOM_UTF8:
            raw.seek(0)
        return raw

    def _line_at(self, offset: int) -> int:
        """The line of the byte at `offset` of the stream (a rare need: counted by reading)."""
        lines = 1
        with self._stream() as stream:
            while offset > 0:
                block = stream.read(min(offset, _BUFFER))
                if not block:
                    break
                lines += block.count(b"\n")
                offset -= len(block)
        return lines

    def _locate(self, stream: BinaryIO, item: str | None) -> str:
        """Check the top level; return the ijson prefix of the product objects."""
        events = _IJSON.parse(stream, buf_size=_BUFFER)
        keys: list[str] = []
        try:
            try:
                first = next(events, None)
            except ijson.IncompleteJSONError as exc:
                if "premature EOF" not in str(exc):
                    raise
                first = None  # nothing but white space
            if first is None:
                raise FeedError("the feed is empty")
            top = first[1]
            if item is None:
                if top == "start_array":
                    return "item"
                if top != "start_map":
                    raise FeedError(f"the JSON feed is {_KINDS[top]}, not a list of products")
                keys = _top_keys(events)
                raise FeedError(
                    "the JSON feed is an object, not a list; set source.item to the key that "
                    f"holds the products (its keys are: {', '.join(keys)})"
                )
            if top != "start_map":
                hint = "; leave source.item empty to read it" if top == "start_array" else ""
                raise FeedError(
                    f"the JSON feed is {_KINDS[top]}, not an object with the key {item!r}{hint}"
                )
            for prefix, event, value in events:
                if prefix == "" and event == "map_key":
                    if value == item:
                        found = next(events)[1]
                        if found != "start_array":
                            raise FeedError(
                                f"{item!r} in the JSON feed is {_KINDS[found]}, not a list"
                            )
                        return f"{item}.item"
                    if len(keys) < 20:
                        keys.append(value)
        except ijson.JSONError as exc:
            raise self._malformed(exc, "near its start") from None
        except UnicodeError:  # raised by the recoder of a non-UTF-8 feed
            raise self._malformed(None, "near its start") from None
        raise FeedError(
            f"the JSON feed has no key {item!r} at its top level; its keys are: {', '.join(keys)}"
        )

    def _records(self) -> Iterator[Record]:
        pick = self._pick
        number = 0
        items = _IJSON.items(self._file, self._prefix, use_float=False, buf_size=_BUFFER)
        try:
            for number, obj in enumerate(items, 1):
                if obj.__class__ is dict:
                    yield pick(obj)
                else:
                    yield RowError(
                        line=number,
                        key=None,
                        message=f"record {number} is {kind(obj)}, not an object",
                    )
        except ijson.JSONError as exc:
            raise self._malformed(exc, f"after record {number}") from None
        except UnicodeError:  # raised by the recoder of a non-UTF-8 feed
            raise self._malformed(None, f"after record {number}") from None

    def _malformed(self, exc: Exception | None, where: str) -> FeedError:
        """The operator message for a parse failure; an encoding problem is named as such."""
        broken = decode_error(self._path, self._codec)
        if broken is not None:
            return broken
        reason = str(exc).splitlines()[0] if exc is not None and str(exc) else "unknown error"
        for noise in ("parse error: ", "lexical error: "):
            reason = reason.removeprefix(noise)
        if reason == "premature EOF":
            return FeedError(f"the JSON feed ends too early {where}: is the file cut off?")
        return FeedError(f"the JSON feed is malformed {where}: {reason}")


def _top_keys(events: Iterator[tuple[str, str, Any]]) -> list[str]:
    """The first keys of a top-level object, for a message."""
    keys: list[str] = []
    for prefix, event, value in events:
        if prefix == "" and event == "map_key":
            keys.append(value)
            if len(keys) == 20:
                break
    return keys


# Every byte but those that open or close a value or a text: what the depth check looks at.
_NOT_STRUCTURE = bytes(set(range(256)) - set(b'"[]{}'))


class DepthGuard:
    """The JSON parser's byte stream, refusing nesting deeper than `limits.JSON_DEPTH` and a
    text value longer than `limits.JSON_TEXT` before the parser sees the block that holds it.

    Each block is reduced in C (escapes and empty texts dropped, every byte but quotes and
    brackets deleted, texts cut out, matched pairs removed) to a bound on its depth; only a
    block whose bound passes the limit is walked byte by byte.
    """

    def __init__(self, raw: BinaryIO, line_at: Callable[[int], int]) -> None:
        self._raw = raw
        self._line_at = line_at  # the line of a stream offset, for messages
        self._depth = 0
        self._in_text = False
        self._text_bytes = 0  # bytes of the open text value so far, to a block
        self._offset = 0  # of the block being checked, in the stream
        self._held = b""  # backslashes at a block's end, checked with the next block

    def __enter__(self) -> DepthGuard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, size: int = -1) -> bytes:
        """The next block of the feed, once its depth is known to be within the limit."""
        block = self._raw.read(size)
        if block:
            self._check(block)
        return block

    def close(self) -> None:
        """Close the underlying file."""
        self._raw.close()

    def _check(self, block: bytes) -> None:
        data = self._held + block
        end = len(data.rstrip(b"\\"))  # an escape is never split between two blocks
        data, self._held = data[:end], data[end:]
        # Escaped backslashes first, so that in \\" the quote still ends the text.
        plain = data.replace(b"\\\\", b"").replace(b'\\"', b"") if b"\\" in data else data
        # Two quotes in a row hold no bracket between them, whichever side they are on.
        kept = plain.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
        parts = kept.split(b'"')
        started_in_text = self._in_text
        outside = b"".join(parts[1::2] if started_in_text else parts[::2])
        if len(parts) % 2 == 0:
            self._in_text = not self._in_text
        if self._in_text:
            continued = started_in_text and b'"' not in plain
            self._text_bytes = len(data) + (self._text_bytes if continued else 0)
            if self._text_bytes > limits.JSON_TEXT:
                size = limits.size(limits.JSON_TEXT)
                raise FeedError(
                    f"line {self._line_at(self._offset + len(data))}: a text of the JSON feed "
                    f"runs over {size}; syncbeat reads at most {size} a value"
                )
        opens = outside.count(b"[") + outside.count(b"{")
        if self._depth + opens > limits.JSON_DEPTH and not self._within(outside):
            self._walk(data, started_in_text)
        self._depth += 2 * opens - len(outside)
        self._offset += len(data)

    def _within(self, brackets: bytes) -> bool:
        """Is this block's depth surely within the limit? Removes matched pairs, innermost
        first; each replace removes one level at most (its output is not searched again), so
        what is left (brackets open or closed from before) plus the replaces bound the depth."""
        levels = 0
        while levels <= limits.JSON_DEPTH:
            shorter = brackets.replace(b"{}", b"")
            shortest = shorter.replace(b"[]", b"")
            if len(shortest) == len(brackets):
                left_open = shortest.count(b"[") + shortest.count(b"{")
                return self._depth + left_open + levels <= limits.JSON_DEPTH
            levels += (len(shorter) != len(brackets)) + (len(shortest) != len(shorter))
            brackets = shortest
        return False

    def _walk(self, data: bytes, in_text: bool) -> None:
        """The rare path: follow the block byte by byte; raise at the first level too deep."""
        depth = self._depth
        escaped = False
        for at, byte in enumerate(data):
            if in_text:
                if escaped:
                    escaped = False
                elif byte == 0x5C:  # backslash
                    escaped = True
                elif byte == 0x22:  # quote
                    in_text = False
            elif byte == 0x22:
                in_text = True
            elif byte in (0x5B, 0x7B):  # [ {
                depth += 1
                if depth > limits.JSON_DEPTH:
                    raise FeedError(
                        f"line {self._line_at(self._offset + at)}: the JSON is nested {depth} "
                        f"levels deep; syncbeat reads at most {limits.JSON_DEPTH}"
                    )
            elif byte in (0x5D, 0x7D):  # ] }
                depth -= 1
