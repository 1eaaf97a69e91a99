"""Telling a quote left open in a CSV feed from a quoted field that really holds line breaks.

A product description may hold paragraphs; a quote left open swallows the rows after it into
one field, until the next quote character closes it somewhere. Such a field is called runaway
when its lines look like rows of the feed (as many delimiters as the header, a key without
spaces in the key column), or when it holds more line breaks than any description would.
"""

from __future__ import annotations

import re

from syncbeat.feeds import limits

_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what ends a line of a file opened with newline=""


def line_breaks(row: list[str]) -> int:
    """How many line breaks the fields of `row` hold (so the row spans that many more lines)."""
    text = "\x00".join(row)  # a separator that never pairs a "\r" with a "\n"
    if "\r" not in text:
        return text.count("\n")
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def runaway(
    row: list[str], breaks: int, width: int, key_at: int, delimiter: str
) -> tuple[str, bool] | None:
    """Why a field of `row` (holding `breaks` line breaks in all) is a quote left open, and
    whether the lines it swallowed should be read again as rows; None when every field holding
    line breaks looks like real text."""
    for field in row:
        if "\n" not in field and "\r" not in field:
            continue
        if width >= 2 and field.count(delimiter) >= width - 1:  # else no line can be a row
            lines = _LINE_BREAK.split(field)[1:]  # the lines after the one the quote opened on
            filled = [line for line in lines if line.strip()]
            shaped = sum(1 for line in filled if _looks_like_a_row(line, width, key_at, delimiter))
            if shaped and 2 * shaped >= len(filled):
                noun = "line that looks" if shaped == 1 else "lines that look"
                return f"swallows {shaped} {noun} like rows of the feed", True
        most = limits.CSV_QUOTED_LINE_BREAKS
        if breaks > most and line_breaks([field]) > most:
            return f"runs over {limits.CSV_QUOTED_LINE_BREAKS} line breaks without closing", False
    return None


def _looks_like_a_row(line: str, width: int, key_at: int, delimiter: str) -> bool:
    if line.count(delimiter) != width - 1:
        return False
    key = line.split(delimiter)[key_at]
    return bool(key) and len(key.split()) == 1 and key == key.strip()
