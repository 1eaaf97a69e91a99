"""The limits that keep one bad feed from taking the server's memory or time (docs/profiles.md)."""

from __future__ import annotations

MB = 1024 * 1024

# JSON: how deeply lists and objects may nest, counting the top-level list. The JSON parser's
# memory grows with the square of the depth, so a file of "[[[[..." is refused before it grows.
JSON_DEPTH = 64
# JSON: one text value; the parser holds it whole.
JSON_TEXT = 10 * MB
# JSON lines: one line, read with this bound so a line without an end never fills the memory.
JSONL_LINE = 10 * MB
# CSV: one field, in characters (Python's csv module keeps a field whole while reading it).
CSV_FIELD = 10 * MB
# CSV: line breaks inside one quoted field. Descriptions with paragraphs have a few dozen at most;
# a quote left open swallows the rows after it.
CSV_QUOTED_LINE_BREAKS = 200
# XML: the bytes of one product element (the parser builds each product whole).
XML_ELEMENT = 10 * MB
# XLSX: every part of a workbook but its sheets (shared text, styles) is read whole by openpyxl,
# unpacked: a few kilobytes can unpack to gigabytes.
XLSX_PART = 64 * MB
# XLSX: the texts of the shared strings table, each held as a Python string (about 100 bytes
# for a short one): the table's size alone does not bound the memory.
XLSX_SHARED_STRINGS = 500_000


def size(limit: int) -> str:
    """A limit in words: 10485760 -> "10 MB"."""
    return f"{limit // MB} MB" if limit >= MB and not limit % MB else f"{limit:,} bytes"
