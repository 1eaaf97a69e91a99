"""Benchmark data for the PrestaShop catalog: a shop of N products (one in ten with five
combinations) built with multi-row inserts, and a supplier's stock-and-price feeds.

The schema is the tests' (tests/prestashop/schema.sql, loaded by tests/shopdb.py, which needs
no pytest); the products are inserted here a few thousand rows a statement, since
`ShopDatabase.add_products` inserts one row a statement.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from shopdb import LANGS, ShopDatabase, server_url

PREFIX = "ps_"
NOW = datetime(2026, 11, 2, 9, 0)
COMBINATIONS = 5  # of every tenth product
ROWS = 5_000  # rows a statement while building
# Of every 20 sellable items (a simple product, or a combination): 10 change price or stock,
# 8 are unchanged, 1 is bad, and 1 is replaced in the feed by an item the shop does not know.
CHANGED, UNCHANGED, BAD, UNKNOWN = "changed", "unchanged", "bad", "unknown"
PATTERN = [CHANGED] * 10 + [UNCHANGED] * 8 + [BAD, UNKNOWN]
TABLES = ("product", "product_shop", "product_lang", "category_product", "product_attribute",
          "product_attribute_shop", "stock_available")  # the tables `build` fills


def has_combinations(product_id: int) -> bool:
    return product_id % 10 == 0


def price(product_id: int) -> str:
    return f"{(product_id * 7919) % 100_000 / 100 + 1:.2f}"


def quantity(product_id: int, k: int = 0) -> int:
    return (product_id * 31 + k * 7) % 500


def impact(k: int) -> str:
    return f"{k * 0.5:.2f}"  # a combination's price impact


def combination_id(product_id: int, k: int) -> int:
    """The id_product_attribute of a product's k-th combination (ids given in order)."""
    return (product_id // 10 - 1) * COMBINATIONS + k + 1


def build(name: str, n: int) -> ShopDatabase:
    """A new database `name` with the schema and n products, as PrestaShop stores them."""
    admin = sa.create_engine(server_url(), poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    admin.dispose()
    shop = ShopDatabase(name)
    shop.install(PREFIX)
    raw = shop.engine.raw_connection()
    try:
        cur = raw.cursor()
        t = {table: f"`{PREFIX}{table}`" for table in TABLES}
        ids = range(1, n + 1)
        simple = [i for i in ids if not has_combinations(i)]
        _insert(cur, f"INSERT INTO {t['product']} (id_product, id_category_default, "
                "id_tax_rules_group, reference, price, active, date_add, date_upd, "
                "product_type) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                ((i, 2, 1, f"P{i:07d}", price(i), 1, NOW, NOW,
                  "combinations" if has_combinations(i) else "standard") for i in ids))
        _insert(cur, f"INSERT INTO {t['category_product']} VALUES (%s, %s, %s)",
                ((2, i, i) for i in ids))
        _insert(cur, f"INSERT INTO {t['product_shop']} (id_product, id_shop, "
                "id_category_default, id_tax_rules_group, price, active, date_add, date_upd) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                ((i, 1, 2, 1, price(i), 1, NOW, NOW) for i in ids))
        _insert(cur, f"INSERT INTO {t['product_lang']} (id_product, id_shop, id_lang, name, "
                "link_rewrite) VALUES (%s, %s, %s, %s, %s)",
                ((i, 1, lang, f"Product {i}", f"product-{i}") for i in ids for lang in LANGS))
        combos = [(i, k) for i in ids if has_combinations(i) for k in range(COMBINATIONS)]
        _insert(cur, f"INSERT INTO {t['product_attribute']} (id_product_attribute, id_product, "
                "reference, price, default_on) VALUES (%s, %s, %s, %s, %s)",
                ((combination_id(i, k), i, f"P{i:07d}-{k}", impact(k), 1 if k == 0 else None)
                 for i, k in combos))
        _insert(cur, f"INSERT INTO {t['product_attribute_shop']} (id_product, "
                "id_product_attribute, id_shop, price, default_on) VALUES (%s, %s, %s, %s, %s)",
                ((i, combination_id(i, k), 1, impact(k), 1 if k == 0 else None) for i, k in combos))
        stock = f"INSERT INTO {t['stock_available']} (id_product, id_product_attribute, " \
            "id_shop, id_shop_group, quantity, physical_quantity, reserved_quantity, " \
            "out_of_stock) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        _insert(cur, stock, ((i, 0, 1, 0, quantity(i), quantity(i), 0, 2) for i in simple))
        _insert(cur, stock, ((i, combination_id(i, k), 1, 0, quantity(i, k), quantity(i, k),
                              0, 2) for i, k in combos))
        sums = ((i, 0, 1, 0, s, s, 0, 2) for i in ids if has_combinations(i)
                for s in [sum(quantity(i, k) for k in range(COMBINATIONS))])
        _insert(cur, stock, sums)
        raw.commit()
    finally:
        raw.close()
    return shop


def _insert(cur: Any, sql: str, rows: Iterator[tuple[Any, ...]]) -> None:
    """PyMySQL's executemany sends an INSERT ... VALUES as multi-row statements."""
    part: list[tuple[Any, ...]] = []
    for row in rows:
        part.append(row)
        if len(part) == ROWS:
            cur.executemany(sql, part)
            part = []
    if part:
        cur.executemany(sql, part)


def clone(template: str, name: str) -> ShopDatabase:
    """A copy of the database `template` (MariaDB has no CREATE DATABASE ... TEMPLATE)."""
    admin = sa.create_engine(server_url(), poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        tables = [str(r[0]) for r in conn.exec_driver_sql(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
            (template,))]
        for table in tables:  # every table of the tests' schema, whatever it holds
            conn.exec_driver_sql(f"CREATE TABLE `{name}`.`{table}` LIKE `{template}`.`{table}`")
            conn.exec_driver_sql(f"INSERT INTO `{name}`.`{table}` "
                                 f"SELECT * FROM `{template}`.`{table}`")
        conn.commit()
    admin.dispose()
    return ShopDatabase(name)


def exists(name: str) -> bool:
    admin = sa.create_engine(server_url(), poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        found = conn.exec_driver_sql("SHOW DATABASES LIKE %s", (name,)).first()
    admin.dispose()
    return found is not None


def drop(name: str) -> None:
    admin = sa.create_engine(server_url(), poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    admin.dispose()


@dataclass(frozen=True)
class Feeds:
    """The supplier's two feeds (simple products by reference, combinations by combination
    reference) and how many rows of each kind each holds."""

    products: Path
    combinations: Path
    kinds: dict[str, Counter[str]]

    @property
    def rows(self) -> int:
        return sum(sum(c.values()) for c in self.kinds.values())


def write_feeds(folder: Path, n: int) -> Feeds:
    """A stock-and-price feed of every sellable item of the shop, in two files."""
    folder.mkdir(parents=True, exist_ok=True)
    kinds: dict[str, Counter[str]] = {"products": Counter(), "combinations": Counter()}
    products, combinations = folder / "products.csv", folder / "combinations.csv"
    with products.open("w", newline="") as p, combinations.open("w", newline="") as c:
        pw, cw = csv.writer(p, delimiter=";"), csv.writer(c, delimiter=";")
        pw.writerow(["reference", "price", "quantity"])
        cw.writerow(["combination_reference", "price", "quantity"])
        at = {"products": 0, "combinations": 0}
        for i in range(1, n + 1):
            if has_combinations(i):
                items = [("combinations", f"P{i:07d}-{k}", impact(k), quantity(i, k), cw)
                         for k in range(COMBINATIONS)]
            else:
                items = [("products", f"P{i:07d}", price(i), quantity(i), pw)]
            for feed, reference, cost, stock, writer in items:
                j = at[feed]
                at[feed] += 1
                kind = PATTERN[j % len(PATTERN)]
                kinds[feed][kind] += 1
                writer.writerow(_row(kind, j, feed, reference, cost, stock))
    return Feeds(products, combinations, kinds)


def _row(kind: str, j: int, feed: str, reference: str, cost: str, stock: int) -> list[str]:
    if kind == CHANGED:  # half a new price, half a new stock
        return ([reference, f"{float(cost) + 1:.2f}", str(stock)] if j % 2 else
                [reference, cost, str(stock + 3)])
    if kind == UNCHANGED:
        return [reference, cost, str(stock)]
    if kind == UNKNOWN:
        return [f"X{reference}", cost, str(stock)]
    if j % 40 < 20:
        return [reference, "n/a", str(stock)]  # a price that is no number
    if feed == "products":
        return [reference, "-4.50", str(stock)]  # a negative price: the shop refuses it
    return [reference, cost, "lots"]  # a stock that is no number


def checksum(name: str) -> dict[str, tuple[int, int]]:
    """What an import may change, summed per table, to compare two shops."""
    queries = {
        "product": "SELECT COUNT(*), SUM(CRC32(CONCAT_WS(',', id_product, price))) FROM {}",
        "product_shop": "SELECT COUNT(*), SUM(CRC32(CONCAT_WS(',', id_product, price))) "
                        "FROM {}",
        "product_attribute": "SELECT COUNT(*), SUM(CRC32(CONCAT_WS(',', id_product_attribute, "
                             "price))) FROM {}",
        "product_attribute_shop": "SELECT COUNT(*), SUM(CRC32(CONCAT_WS(',', "
                                  "id_product_attribute, price))) FROM {}",
        "stock_available": "SELECT COUNT(*), SUM(CRC32(CONCAT_WS(',', id_product, "
                           "id_product_attribute, quantity, physical_quantity))) FROM {}",
    }
    engine = sa.create_engine(server_url(name), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        found = {table: tuple(int(v or 0) for v in conn.exec_driver_sql(
            sql.format(f"`{PREFIX}{table}`")).one()) for table, sql in queries.items()}
    engine.dispose()
    return found  # type: ignore[return-value]
