"""The feed limits in the docs are the ones the readers use (docs that cannot drift)."""

from __future__ import annotations

import pathlib

from syncbeat.feeds import limits

DOCS = pathlib.Path(__file__).parents[2] / "docs" / "profiles.md"


def test_every_limit_is_in_the_docs_with_its_value() -> None:
    text = DOCS.read_text(encoding="utf-8")
    table = text[text.index("### Limits") : text.index("## Export")]
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip()
            for line in table.splitlines() if line.startswith("| ") and "---" not in line}
    assert rows["JSON: nesting of lists and objects, counting the feed's own list"] == (
        f"{limits.JSON_DEPTH} levels"
    )
    assert rows["JSON: one text value"] == limits.size(limits.JSON_TEXT)
    assert rows["JSON lines: one line"] == limits.size(limits.JSONL_LINE)
    assert rows["CSV: one field"] == limits.size(limits.CSV_FIELD)
    assert rows["CSV: line breaks in one quoted field"] == str(limits.CSV_QUOTED_LINE_BREAKS)
    assert rows["XML: one product element (from the end of the previous one)"] == limits.size(
        limits.XML_ELEMENT
    )
    part = "XLSX: one part of the workbook other than a sheet (shared texts, styles), unpacked"
    assert rows[part] == limits.size(limits.XLSX_PART)
    assert rows["XLSX: texts in the shared strings table"] == f"{limits.XLSX_SHARED_STRINGS:,}"
