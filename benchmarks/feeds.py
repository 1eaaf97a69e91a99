"""Benchmark data: a catalog of N products and import feeds of N rows with a realistic mix."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

# Of every 20 rows: 10 change price or quantity, 8 are unchanged, 1 is new, 1 is bad.
CHANGED, UNCHANGED, NEW, BAD = "changed", "unchanged", "new", "bad"
PATTERN = [CHANGED] * 10 + [UNCHANGED] * 8 + [NEW] + [BAD]


@dataclass(frozen=True)
class Row:
    sku: str
    title: str
    price: str
    stock: str


def catalog_price(i: int) -> str:
    return f"{(i * 7919) % 100_000 / 100:.2f}"


def catalog_quantity(i: int) -> int:
    return (i * 31) % 500


def rows(n: int) -> tuple[list[Row], Counter[str]]:
    """The feed rows for a catalog of n products, and how many of each kind."""
    out: list[Row] = []
    kinds: Counter[str] = Counter()
    new = 0
    for i in range(n):
        kind = PATTERN[i % len(PATTERN)]
        kinds[kind] += 1
        if kind == CHANGED:
            price = catalog_price(i) if i % 2 else f"{float(catalog_price(i)) + 1:.2f}"
            stock = str(catalog_quantity(i) + (1 if i % 2 else 0))
            out.append(Row(f"SKU{i:07d}", f"Product {i}", price, stock))
        elif kind == UNCHANGED:
            out.append(Row(f"SKU{i:07d}", f"Product {i}", catalog_price(i),
                           str(catalog_quantity(i))))
        elif kind == NEW:
            new += 1
            out.append(Row(f"NEW{i:07d}", f"New product {i}", "9.99", "5"))
        elif i % 40 < 20:
            out.append(Row(f"SKU{i:07d}", f"Product {i}", "abc", "1"))  # a price that is no number
        else:
            out.append(Row("", f"Product {i}", "1.00", "1"))  # no key
    return out, kinds


def make_catalog(path: Path, n: int, updated_at: str = "2026-01-01 00:00:00.000000") -> None:
    """Fill the products table of a migrated SQLite database with n products, fast."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executemany(
        "INSERT INTO products (reference, name, price, quantity, active, updated_at) "
        "VALUES (?, ?, ?, ?, 1, ?)",
        ((f"SKU{i:07d}", f"Product {i}", catalog_price(i), catalog_quantity(i), updated_at)
         for i in range(n)),
    )
    conn.commit()
    conn.close()


def write_csv(path: Path, feed: list[Row]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(["sku", "title", "net_price", "stock"])
        out.writerows((r.sku, r.title, r.price, r.stock) for r in feed)


def write_jsonl(path: Path, feed: list[Row]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for r in feed:
            f.write(json.dumps({"sku": r.sku, "title": r.title, "net_price": r.price,
                                "stock": r.stock}))
            f.write("\n")


def write_xml(path: Path, feed: list[Row]) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<products>\n')
        for r in feed:
            f.write(f"<product><sku>{escape(r.sku)}</sku><title>{escape(r.title)}</title>"
                    f"<net_price>{r.price}</net_price><stock>{r.stock}</stock></product>\n")
        f.write("</products>\n")


WRITERS = {"csv": write_csv, "jsonl": write_jsonl, "xml": write_xml}
