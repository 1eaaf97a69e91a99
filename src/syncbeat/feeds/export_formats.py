"""The export file as CSV or XML: written from the parts file (a JSON object per product, see
feeds.export) a line at a time, the columns or elements in the order of the profile's
[fields]; never the whole export in memory."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape, quoteattr

from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.jsonvalues import dumps

CONTENT_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8",
                 "xml": "application/xml"}
# Characters XML 1.0 cannot hold at all (control characters but tab and line breaks).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, kw_only=True)
class ExportFormat:
    """What the export file is: its format, and the options of that format."""

    format: str = "json"  # one of domain.transfer.EXPORT_FORMATS
    fields: tuple[str, ...] = ()  # the output fields, in order (CSV's header, XML's elements)
    delimiter: str = ","  # csv
    item: str = "product"  # xml: the element of one product (inside <products>)


def products(parts: Path, size: int) -> Iterator[dict[str, Any]]:
    """The products of the first `size` bytes of a parts file, in order."""
    if not size:
        return
    with parts.open("rb") as source:
        left = size
        for line in source:
            piece = line[:left]
            left -= len(piece)
            text = piece.rstrip(b"\n").removesuffix(b",")
            if text:
                yield json.loads(text, parse_float=Decimal)
            if left <= 0:
                break
    if left > 0:
        raise FeedError(f"the export's parts file {parts} is shorter than the {size} bytes "
                        "recorded; the export must be run again")


def write_csv(out: BinaryIO, rows: Iterator[Mapping[str, Any]], how: ExportFormat) -> None:
    """A header of the output fields, then a row per product (UTF-8)."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, delimiter=how.delimiter, lineterminator="\r\n")
    writer.writerow(how.fields)
    for row in rows:
        writer.writerow([_text(row.get(name)) for name in how.fields])
    text.flush()
    text.detach()


def write_xml(out: BinaryIO, rows: Iterator[Mapping[str, Any]], how: ExportFormat,
              header: Mapping[str, Any], count: int) -> None:
    """<products profile=... task=... generated_at=... count=...>, an element per product
    with an element per output field (empty for a value the product does not have)."""
    said = "".join(f" {name}={quoteattr(_clean(_text(value)))}"
                   for name, value in {**header, "count": count}.items())
    out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<products{said}>\n'.encode())
    for row in rows:
        inner = "".join(_element(name, row.get(name)) for name in how.fields)
        out.write(f"  <{how.item}>{inner}</{how.item}>\n".encode())
    out.write(b"</products>\n")


def _element(name: str, value: Any) -> str:
    if value is None:
        return f"<{name}/>"
    return f"<{name}>{escape(_clean(_text(value)))}</{name}>"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    return dumps(value)  # a list or an object: its JSON text


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
