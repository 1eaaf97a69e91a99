"""A by-hand speed check (not a test) of the MySQL drivers syncbeat could use through
SQLAlchemy: python benchmarks/mysql_driver.py [--rows 200000] [--server URL].

For each driver installed (mysqlclient as mysql+mysqldb, PyMySQL as mysql+pymysql) it makes a
fresh database on the server, fills a product-shaped table with N rows, then times, through
SQLAlchemy Core: selecting every row by reference (1,000 references a statement, the shape of
a batch's fetch), and an upsert of N/2 rows (INSERT ... ON DUPLICATE KEY UPDATE executed with
1,000 rows at a time, which each driver sends as multi-row statements). The database is dropped
at the end.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.mysql import insert

DRIVERS = {"mysqlclient": ("MySQLdb", "mysql+mysqldb"), "PyMySQL": ("pymysql", "mysql+pymysql")}
CHUNK = 1_000

meta = sa.MetaData()
product = sa.Table(
    "bench_product", meta,
    sa.Column("id_product", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reference", sa.String(64), nullable=False, unique=True),
    sa.Column("ean13", sa.String(13)),
    sa.Column("price", sa.Numeric(20, 6), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("date_upd", sa.DateTime, nullable=False),
)


def _rows(n: int, salt: int) -> list[dict[str, object]]:
    now = datetime.now().replace(microsecond=0)
    return [{"reference": f"REF-{i:07d}", "ean13": f"{4_000_000_000_000 + i}",
             "price": Decimal(f"{(i + salt) % 1000}.{i % 100:02d}"), "quantity": (i + salt) % 50,
             "date_upd": now} for i in range(n)]  # fmt: skip


def _upsert(conn: sa.Connection, rows: list[dict[str, object]]) -> None:
    """executemany of one INSERT ... ON DUPLICATE KEY UPDATE: both drivers send it as
    multi-row statements (CHUNK rows each), with no SQL compiled per chunk."""
    stmt = insert(product)
    stmt = stmt.on_duplicate_key_update(price=stmt.inserted.price,
                                        quantity=stmt.inserted.quantity,
                                        date_upd=stmt.inserted.date_upd)
    for start in range(0, len(rows), CHUNK):
        conn.execute(stmt, rows[start:start + CHUNK])


def _select(conn: sa.Connection, refs: list[str]) -> int:
    found = 0
    query = sa.select(product.c.id_product, product.c.reference, product.c.price,
                      product.c.quantity)
    for start in range(0, len(refs), CHUNK):
        result = conn.execute(query.where(product.c.reference.in_(refs[start:start + CHUNK])))
        found += len(result.all())
    return found


def measure(label: str, url: sa.URL, rows: int) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        meta.create_all(conn)
        _upsert(conn, _rows(rows, 0))
    refs = [f"REF-{i:07d}" for i in range(rows)]
    started = time.perf_counter()
    with engine.connect() as conn:
        found = _select(conn, refs)
    select_s = time.perf_counter() - started
    assert found == rows, f"{label}: found {found} of {rows}"
    half = _rows(rows // 2, 7)
    started = time.perf_counter()
    with engine.begin() as conn:
        _upsert(conn, half)
    upsert_s = time.perf_counter() - started
    with engine.begin() as conn:
        meta.drop_all(conn)
    engine.dispose()
    print(f"{label:12} select {rows:,} by reference {select_s:6.2f} s "
          f"({rows / select_s:>9,.0f} rows/s)   upsert {len(half):,} "
          f"{upsert_s:6.2f} s ({len(half) / upsert_s:>9,.0f} rows/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--server", default="mysql://root@127.0.0.1:3306/",
                        help="the server (no database), as user:password@host:port")
    args = parser.parse_args()
    name = f"sb_test_bench_{uuid.uuid4().hex[:8]}"
    server = sa.make_url(args.server)
    admin_driver = next((d for _, (m, d) in DRIVERS.items() if importlib.util.find_spec(m)), None)
    if admin_driver is None:
        raise SystemExit("install mysqlclient or PyMySQL first")
    admin = sa.create_engine(server.set(drivername=admin_driver, database=None),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        for label, (module, driver) in DRIVERS.items():
            if importlib.util.find_spec(module) is None:
                print(f"{label:12} not installed")
                continue
            measure(label, server.set(drivername=driver, database=name), args.rows)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        admin.dispose()


if __name__ == "__main__":
    main()
