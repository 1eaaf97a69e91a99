"""JSON feeds: a list of product objects, streamed with ijson (its C backend when installed)."""

from __future__ import annotations

import codecs
import pathlib
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

import ijson

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
        """The file as a UTF-8 byte stream, past any byte order mark (yajl refuses one)."""
        raw = self._path.open("rb", buffering=_BUFFER)
        if not is_utf8(self._codec):
            return Utf8Recoder(raw, self._codec)  # type: ignore[return-value]
        if raw.read(3) != codecs.BOM_UTF8:
            raw.seek(0)
        return raw

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
        except UnicodeDecodeError:  # raised by the recoder of a non-UTF-8 feed
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
        except UnicodeDecodeError:  # raised by the recoder of a non-UTF-8 feed
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
