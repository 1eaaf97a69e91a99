"""The floor of the PrestaShop benchmark: the feeds' rows applied by plain driver code (PyMySQL,
no SQLAlchemy, no tracking, no report), as a merchant's own script would do it well.

Per 1,000 rows of a feed (the default batch size) in one transaction: select the products (or
combinations) by reference, compare price and stock, then multi-row upserts
(`INSERT ... ON DUPLICATE KEY UPDATE`) of the changed ones into product and product_shop (price,
date_upd) or product_attribute and product_attribute_shop (price impact), and stock_available;
a changed combination's product gets the sum of its combinations' stock and date_upd, as
syncbeat writes them. Bad and unknown rows are skipped.
"""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pymysql
from shopdata import PREFIX

CHUNK = 1_000


def apply_feeds(database: str, products: Path, combinations: Path) -> float:
    """Seconds to apply both feeds to `database`."""
    import time

    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", database=database,
                           charset="utf8mb4", autocommit=False)
    started = time.perf_counter()
    try:
        for path, combination in ((products, False), (combinations, True)):
            with path.open(newline="") as f:
                reader = csv.reader(f, delimiter=";")
                next(reader)
                part: list[list[str]] = []
                for row in reader:
                    part.append(row)
                    if len(part) == CHUNK:
                        _chunk(conn, part, combination)
                        part = []
                if part:
                    _chunk(conn, part, combination)
    finally:
        conn.close()
    return time.perf_counter() - started


def _parse(rows: list[list[str]]) -> dict[str, tuple[Decimal, int]]:
    good: dict[str, tuple[Decimal, int]] = {}
    for reference, price, quantity in rows:
        try:
            value = Decimal(price)
            stock = int(quantity)
        except (InvalidOperation, ValueError):
            continue
        good[reference] = (value, stock)
    return good


def _chunk(conn: Any, rows: list[list[str]], combination: bool) -> None:
    t = {name: f"`{PREFIX}{name}`" for name in (
        "product", "product_shop", "product_attribute", "product_attribute_shop",
        "stock_available")}
    good = _parse(rows)
    if not good:
        return
    now = datetime.now().replace(microsecond=0)
    marks = ", ".join(["%s"] * len(good))
    cur = conn.cursor()
    if combination:
        cur.execute(
            f"SELECT pa.reference, pa.id_product_attribute, pa.id_product, pas.price, "
            f"sa.quantity FROM {t['product_attribute']} pa JOIN {t['product_attribute_shop']} "
            "pas ON pas.id_product_attribute = pa.id_product_attribute AND pas.id_shop = 1 "
            f"LEFT JOIN {t['stock_available']} sa ON sa.id_product = pa.id_product AND "
            "sa.id_product_attribute = pa.id_product_attribute AND sa.id_shop = 1 AND "
            f"sa.id_shop_group = 0 WHERE pa.reference IN ({marks})", list(good))
    else:
        cur.execute(
            f"SELECT p.reference, p.id_product, p.id_product, ps.price, sa.quantity "
            f"FROM {t['product']} p JOIN {t['product_shop']} ps ON ps.id_product = "
            f"p.id_product AND ps.id_shop = 1 LEFT JOIN {t['stock_available']} sa ON "
            "sa.id_product = p.id_product AND sa.id_product_attribute = 0 AND sa.id_shop = 1 "
            f"AND sa.id_shop_group = 0 WHERE p.reference IN ({marks})", list(good))
    prices: list[tuple[Any, ...]] = []
    stocks: list[tuple[Any, ...]] = []
    touched: set[int] = set()
    for reference, row_id, product_id, price, quantity in cur.fetchall():
        value, stock = good[reference]
        if not combination and value < 0:
            continue  # the shop cannot hold it
        if value != price:
            prices.append((row_id, product_id, format(value, "f")))
        if stock != quantity:
            stocks.append((product_id, row_id if combination else 0, stock, stock))
        if value != price or stock != quantity:
            touched.add(product_id)
    priced = {i: p for i, _, p in prices}
    if combination:
        _upsert(cur, f"INSERT INTO {t['product_attribute']} (id_product_attribute, id_product, "
                "price) VALUES (%s, %s, %s) ON DUPLICATE KEY UPDATE price = VALUES(price)",
                prices)
        _upsert(cur, f"INSERT INTO {t['product_attribute_shop']} (id_product_attribute, "
                "id_product, id_shop, price) VALUES (%s, %s, %s, %s) ON DUPLICATE KEY UPDATE "
                "price = VALUES(price)", [(a, p, 1, v) for a, p, v in prices])
        priced = {}
    _upsert(cur, f"INSERT INTO {t['stock_available']} (id_product, id_product_attribute, "
            "id_shop, id_shop_group, quantity, physical_quantity, reserved_quantity, "
            "out_of_stock) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE "
            "physical_quantity = VALUES(quantity) + reserved_quantity, "
            "quantity = VALUES(quantity)", [(p, a, 1, 0, q, q, 0, 2) for p, a, q, _ in stocks])
    if combination and touched:
        ids = sorted(touched)
        marks = ", ".join(["%s"] * len(ids))
        cur.execute(
            f"INSERT INTO {t['stock_available']} (id_product, id_product_attribute, "
            "id_shop, id_shop_group, quantity, physical_quantity, reserved_quantity, "
            "out_of_stock) SELECT id_product, 0, 1, 0, total, total, 0, 2 FROM (SELECT "
            f"id_product, SUM(quantity) AS total FROM {t['stock_available']} WHERE "
            "id_product_attribute > 0 AND id_shop = 1 AND id_shop_group = 0 AND "
            f"id_product IN ({marks}) GROUP BY id_product) AS sums ON DUPLICATE KEY UPDATE "
            "physical_quantity = VALUES(quantity) + reserved_quantity, "
            "quantity = VALUES(quantity)", ids)
    # The new prices with date_upd on both product rows (PrestaShop keeps the default
    # shop's price in product too); date_upd alone on the other changed products.
    for table, shop in (("product", ()), ("product_shop", (1,))):
        key = "id_product, id_shop" if shop else "id_product"
        head = (f"INSERT INTO {t[table]} ({key}, id_tax_rules_group, price, date_add, "
                f"date_upd) VALUES ({', '.join(['%s'] * (5 + len(shop)))}) "
                "ON DUPLICATE KEY UPDATE ")
        _upsert(cur, head + "price = VALUES(price), date_upd = VALUES(date_upd)",
                [(i, *shop, 0, p, now, now) for i, p in priced.items()])
        _upsert(cur, head + "date_upd = VALUES(date_upd)",
                [(i, *shop, 0, 0, now, now) for i in sorted(touched) if i not in priced])
    conn.commit()


def _upsert(cur: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        cur.executemany(sql, rows)  # PyMySQL sends these as multi-row statements
