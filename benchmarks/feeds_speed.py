"""A by-hand speed check (not a test): python benchmarks/feeds_speed.py [rows].

Writes a CSV (and smaller JSON lines, JSON and XML) feed to a temporary folder, snapshots it,
reads it through open_feed().records() with three fields, and prints rows per second.
"""

from __future__ import annotations

import csv
import json
import pathlib
import resource
import sys
import tempfile
import time
from collections import deque

from syncbeat.feeds import FeedSpec, open_feed, snapshot
from syncbeat.feeds.reach import Reach

FIELDS = ["sku", "price", "stock"]


def _write_csv(path: pathlib.Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["sku", "name", "price", "stock", "ean", "description"])
        for i in range(rows):
            writer.writerow(
                [f"SKU-{i:07d}", f"Product n°{i}", f"{i % 1000}.{i % 100:02d}", i % 50,
                 4_000_000_000_000 + i, "A plain description, with a comma"]
            )  # fmt: skip


def _product(i: int) -> str:
    return json.dumps({"sku": f"SKU-{i:07d}", "name": f"Product {i}", "price": i % 1000 + 0.5,
                       "stock": i % 50})  # fmt: skip


def _time(label: str, path: pathlib.Path, spec: FeedSpec, rows: int) -> None:
    started = time.perf_counter()
    with open_feed(path, spec, FIELDS) as feed:
        deque(feed.records(), 0)
    seconds = time.perf_counter() - started
    size = path.stat().st_size / 1e6
    rate = rows / seconds
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{label:6} {rows:>9,} rows {size:6.1f} MB {seconds:6.2f} s {rate:>10,.0f} rows/s", end=""
    )
    print(f"  (peak memory so far {peak:.0f} MB)")


def main(rows: int = 1_000_000) -> None:
    """Run the check and print the figures."""
    with tempfile.TemporaryDirectory() as folder:
        base = pathlib.Path(folder)
        _write_csv(base / "feed.csv", rows)
        started = time.perf_counter()
        # The temporary folder stands for a folder allowed with SYNCBEAT_ALLOWED_PATHS.
        reach = Reach.create(data_dir=base / "data", allowed_paths=(base,))
        snapshot(str(base / "feed.csv"), base / "snap.csv", reach=reach)
        print(f"snapshot of the CSV: {time.perf_counter() - started:.2f} s")
        _time("csv", base / "snap.csv", FeedSpec(format="csv"), rows)
        started = time.perf_counter()
        snapshot(str(base / "feed.csv"), base / "snap2.csv", reach=reach)
        _time("csv", base / "snap2.csv", FeedSpec(format="csv"), rows)
        print(f"csv end to end (snapshot + read): {time.perf_counter() - started:.2f} s")

        small = rows // 4
        with (base / "feed.jsonl").open("w") as out:
            out.writelines(_product(i) + "\n" for i in range(small))
        _time("jsonl", base / "feed.jsonl", FeedSpec(format="jsonl"), small)
        with (base / "feed.json").open("w") as out:
            out.write("[\n" + _product(0))
            out.writelines(",\n" + _product(i) for i in range(1, small))
            out.write("\n]\n")
        _time("json", base / "feed.json", FeedSpec(format="json"), small)
        with (base / "feed.xml").open("w") as out:
            out.write("<catalog>\n")
            for i in range(small):
                out.write(
                    f'<product id="{i}"><sku>SKU-{i:07d}</sku><name>Product {i}</name>'
                    f"<price>{i % 1000}.50</price><stock>{i % 50}</stock></product>\n"
                )
            out.write("</catalog>\n")
        _time("xml", base / "feed.xml", FeedSpec(format="xml"), small)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
