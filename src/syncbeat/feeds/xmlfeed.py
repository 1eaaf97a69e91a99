"""XML feeds: product elements streamed with lxml's iterparse, safely and in constant memory."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

from lxml import etree

from syncbeat.feeds import limits
from syncbeat.feeds.base import FeedSpec, FileFeedReader, Record
from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.textio import codec_name, decode_error, is_utf8
from syncbeat.feeds.xmlfields import picker

# Never expand entities, never fetch anything, never load a DTD: a feed comes from outside.
SAFE: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
}
_PROBE_LIMIT = 4 << 20  # how far open_feed looks for the first product element
_BLOCK = 1 << 16


class XmlFeed(FileFeedReader):
    """An XML feed: one record per `spec.item` element (default <product>), in any namespace."""

    def __init__(self, path: pathlib.Path, spec: FeedSpec, fields: Sequence[str]) -> None:
        self._path = path
        self._codec = codec_name(spec.encoding)
        self._tag = spec.item or "product"
        # "{*}product" matches <product> with or without a namespace.
        self._match = self._tag if self._tag.startswith("{") else "{*}" + self._tag
        # An encoding other than UTF-8 overrides the document's own declaration.
        self._options = SAFE if is_utf8(self._codec) else {**SAFE, "encoding": self._codec}
        first_tag = self._check_start()
        namespace = first_tag[1:].partition("}")[0] if first_tag.startswith("{") else ""
        self._pick = picker(fields, namespace)
        self._file: BinaryIO | None = path.open("rb")

    def _records(self) -> Iterator[Record]:
        pick = self._pick
        number = 0
        assert self._file is not None
        counted = _Counted(self._file)
        context = etree.iterparse(counted, events=("end",), tag=self._match, **self._options)
        try:
            for _, elem in context:
                number += 1
                counted.mark = counted.read_bytes
                yield pick(elem)
                # Constant memory: drop this product and every sibling already read.
                elem.clear(keep_tail=False)
                parent = elem.getparent()
                if parent is not None:
                    while elem.getprevious() is not None:
                        del parent[0]
        except etree.XMLSyntaxError as exc:
            raise self._syntax_error(exc, f" after record {number}") from None
        except _TooBig as exc:
            size = limits.size(limits.XML_ELEMENT)
            raise FeedError(
                f"line {exc.line}: the <{self._tag}> element after record {number} runs over "
                f"{size} and is not closed yet; syncbeat reads at most {size} a product"
            ) from None

    def _check_start(self) -> str:
        """Parse up to the first product: refuse entities, a broken start, a wrong item tag.

        Returns the first product's tag, with its namespace ("" for an empty catalog).
        """
        if self._path.stat().st_size == 0:
            raise FeedError("the feed is empty")
        parser = etree.XMLPullParser(events=("start",), **self._options)
        seen: list[str] = []
        root = None
        with self._path.open("rb") as raw:
            read = 0
            while read < _PROBE_LIMIT:
                block = raw.read(_BLOCK)
                read += len(block)
                failure = None
                try:
                    if block:
                        parser.feed(block)
                    else:
                        parser.close()
                except etree.XMLSyntaxError as exc:
                    failure = exc  # events before the break are still delivered
                for _, elem in parser.read_events():
                    if root is None:
                        root = elem
                        _refuse_entities(elem)
                    if isinstance(elem.tag, str):
                        if _local(elem.tag) == _local(self._match) and _ns_ok(elem.tag, self._tag):
                            return str(elem.tag)
                        if len(seen) < 8 and f"<{_local(elem.tag)}>" not in seen:
                            seen.append(f"<{_local(elem.tag)}>")
                if failure is not None:
                    if root is not None:
                        _refuse_entities(root)
                    raise self._syntax_error(failure, "")
                if not block:
                    break
        if len(seen) <= 1 and read < _PROBE_LIMIT:
            return ""  # only a root element: an empty catalog
        where = "" if read < _PROBE_LIMIT else f" in its first {_PROBE_LIMIT >> 20} MB"
        raise FeedError(
            f"the XML feed has no <{self._tag}> elements{where}; it holds {', '.join(seen)}; "
            "set source.item to the tag of one product"
        )

    def _syntax_error(self, exc: etree.XMLSyntaxError, where: str) -> FeedError:
        message = str(exc.msg or exc)
        if "encoding" in message or "UTF-8" in message:
            broken = decode_error(self._path, self._codec)
            if broken is not None:
                return broken
        if "Document is empty" in message or ("Start tag expected" in message and exc.lineno == 1):
            return FeedError(f"the feed is not XML: {message}")
        line = f" at line {exc.lineno}" if exc.lineno else ""
        return FeedError(f"the XML feed is malformed{line}{where}: {message}")


def _refuse_entities(root: Any) -> None:
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise FeedError(
            "the XML feed declares entities (<!ENTITY ...>), which syncbeat refuses for safety; "
            "ask the feed's publisher for a feed without a DOCTYPE"
        )


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _ns_ok(tag: str, wanted: str) -> bool:
    return not wanted.startswith("{") or tag == wanted


class _Counted:
    """The parser's byte stream, stopping it when one product element (or what lies between
    two) runs over `limits.XML_ELEMENT`: the parser builds an element whole before handing it
    on, and cannot skip one, so that is the task's error."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._lines = 1
        self.read_bytes = 0
        self.mark = 0  # read_bytes when the last product ended

    def read(self, size: int = -1) -> bytes:
        """The next block, once the product it belongs to is known to be within the limit."""
        block = self._raw.read(size)
        self.read_bytes += len(block)
        self._lines += block.count(b"\n")
        if self.read_bytes - self.mark > limits.XML_ELEMENT:
            raise _TooBig(self._lines)
        return block


class _TooBig(Exception):
    """A product element over the limit; `line` is where the reading stopped."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line
