"""Time and peak memory of opening an XLSX feed whose shared strings table holds N short texts.

openpyxl keeps the whole table as Python strings, so its size on disk does not bound the
memory; syncbeat refuses a table past `limits.XLSX_SHARED_STRINGS` before openpyxl reads it.
Run once per size (each run is its own process, for its peak):

    .venv/bin/python benchmarks/xlsx_shared_strings.py --texts 400000
    .venv/bin/python benchmarks/xlsx_shared_strings.py --texts 2000000
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from syncbeat.feeds import FeedError, FeedSpec, open_feed

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def workbook(path: Path, texts: int) -> int:
    """A one-cell sheet whose shared strings table holds `texts` texts; the table's bytes."""
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{TYPE}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{TYPE}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{TYPE}.sharedStrings+xml"/>'
            "</Types>"
        ).encode(),
        "_rels/.rels": (
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets><sheet name="S" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/worksheet" '
            f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{DOC}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>'
        ).encode(),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>'
            "</sheetData></worksheet>"
        ).encode(),
    }
    size = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in parts.items():
            book.writestr(name, data)
        # Written in slices, so that making the file does not raise this process's peak.
        with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as table:
            table.write(f'<sst xmlns="{MAIN}">'.encode())
            for start in range(0, texts, 10_000):
                chunk = b"".join(b"<si><t>%x</t></si>" % i
                                 for i in range(start, min(start + 10_000, texts)))
                table.write(chunk)
                size += len(chunk)
            table.write(b"</sst>")
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=400_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "feed.xlsx"
        size = workbook(path, args.texts)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        started = time.perf_counter()
        try:
            with open_feed(path, FeedSpec(format="xlsx"), ["0"]) as feed:
                outcome = f"read (its header and {sum(1 for _ in feed.records())} rows)"
        except FeedError as exc:
            outcome = f"refused: {exc}"
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"{args.texts:,} texts, table {size / 2**20:.1f} MB unpacked, file "
          f"{path.name}: {outcome}")
    print(f"  {seconds:.2f} s, peak RSS {peak} MB (before opening: {before} MB)")


if __name__ == "__main__":
    sys.exit(main())
