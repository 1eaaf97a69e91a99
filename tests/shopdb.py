"""A PrestaShop-shaped database on the machine's MariaDB for the tests: a fresh database per
test module (tests/conftest.py's `shop_db`), the schema of tests/prestashop/schema.sql loaded
under any table prefix, and a small seeding helper."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

SCHEMA = Path(__file__).parent / "prestashop" / "schema.sql"
SERVER = os.environ.get("SYNCBEAT_TEST_MARIADB", "root@127.0.0.1:3306")
NOW = datetime(2026, 11, 2, 9, 0)
LANGS = {1: ("English", "en"), 2: ("Français", "fr")}


@dataclass
class Combination:
    reference: str
    quantity: int = 0
    price: Decimal = Decimal("0")  # the impact on the product's price
    ean13: str | None = None


@dataclass
class Product:
    reference: str
    names: dict[int, str] = field(default_factory=dict)  # id_lang -> name
    price: Decimal = Decimal("10")
    quantity: int = 0  # the product's own stock, or the sum of its combinations'
    active: bool = True
    ean13: str | None = None
    combinations: list[Combination] = field(default_factory=list)


def server_url(database: str | None = None, password: str | None = None) -> sa.URL:
    """The test server (SYNCBEAT_TEST_MARIADB, default root@127.0.0.1:3306) as a URL."""
    user, _, hostport = SERVER.rpartition("@")
    host, _, port = hostport.partition(":")
    return sa.URL.create("mysql+pymysql", username=user or "root", password=password,
                         host=host, port=int(port or 3306), database=database,
                         query={"charset": "utf8mb4"})


class ShopDatabase:
    """One MariaDB database holding any number of PrestaShop schemas, one per prefix."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.engine = sa.create_engine(server_url(name), poolclass=sa.pool.NullPool)
        user, _, hostport = SERVER.rpartition("@")
        self.user, self.hostport = user or "root", hostport

    @classmethod
    def create(cls) -> ShopDatabase:
        """A new, empty database with a unique sb_test_ name; OperationalError if the
        server cannot be reached."""
        name = f"sb_test_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(server_url(), poolclass=sa.pool.NullPool,
                                 connect_args={"connect_timeout": 5})
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        finally:
            admin.dispose()
        return cls(name)

    def drop(self) -> None:
        self.engine.dispose()
        admin = sa.create_engine(server_url(), poolclass=sa.pool.NullPool)
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{self.name}`")
        admin.dispose()

    def url(self, prefix: str = "ps_", *, password: str = "", database: str | None = None,
            **query: Any) -> str:
        """The catalog URL of the schema under `prefix`, e.g. with shop=2 or lang=1."""
        secret = f":{password}" if password else ""
        params = "&".join([f"prefix={prefix}"] + [f"{k}={v}" for k, v in query.items()])
        return (f"prestashop://{self.user}{secret}@{self.hostport}/"
                f"{database or self.name}?{params}")

    def install(self, prefix: str = "ps_", *, version: str = "8.1.7", shops: int = 1,
                products: list[Product] | None = None) -> None:
        """Create the schema under `prefix` and seed it: shop group 1, `shops` shops,
        languages 1 (en) and 2 (fr) in every shop, the configuration PrestaShop writes at
        install (PS_VERSION_DB, PS_SHOP_DEFAULT=1, PS_LANG_DEFAULT=1), then `products`."""
        ddl = SCHEMA.read_text(encoding="utf-8").replace("PREFIX_", prefix)
        statements = [s for s in ddl.split(";\n") if s.strip() and not _only_comments(s)]
        with self.engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
            t = _Tables(prefix)
            conn.execute(sa.text(f"INSERT INTO {t.shop_group} (id_shop_group, name, "
                                 "share_customer, share_order, share_stock, active, deleted) "
                                 "VALUES (1, 'Default', 0, 0, 0, 1, 0)"))
            for shop in range(1, shops + 1):
                conn.execute(sa.text(
                    f"INSERT INTO {t.shop} (id_shop, id_shop_group, name, id_category, "
                    "theme_name, active, deleted) VALUES (:id, 1, :name, 2, 'classic', 1, 0)"),
                    {"id": shop, "name": "Main shop" if shop == 1 else f"Shop {shop}"})
                for category in (1, 2):  # Root and Home, as PrestaShop installs them
                    conn.execute(sa.text(f"INSERT INTO {t.category_shop} VALUES (:c, :s, 0)"),
                                 {"c": category, "s": shop})
            for id_lang, (name, iso) in LANGS.items():
                conn.execute(sa.text(
                    f"INSERT INTO {t.lang} (id_lang, name, active, iso_code, language_code, "
                    "locale, date_format_lite, date_format_full, is_rtl) VALUES "
                    "(:id, :name, 1, :iso, :iso, :iso, 'Y-m-d', 'Y-m-d H:i:s', 0)"),
                    {"id": id_lang, "name": name, "iso": iso})
                for shop in range(1, shops + 1):
                    conn.execute(sa.text(f"INSERT INTO {t.lang_shop} VALUES (:lang, :shop)"),
                                 {"lang": id_lang, "shop": shop})
            self.configure(conn, prefix, PS_VERSION_DB=version, PS_SHOP_DEFAULT="1",
                           PS_LANG_DEFAULT="1")
            self.add_products(conn, prefix, products or [], shops=shops)

    def configure(self, conn: sa.Connection, prefix: str, **values: str) -> None:
        """Shop-wide configuration values (id_shop and id_shop_group NULL)."""
        table = _Tables(prefix).configuration
        for name, value in values.items():
            conn.execute(sa.text(f"DELETE FROM {table} WHERE name = :name"), {"name": name})
            conn.execute(sa.text(
                f"INSERT INTO {table} (name, value, date_add, date_upd) "
                "VALUES (:name, :value, :now, :now)"),
                {"name": name, "value": value, "now": NOW})

    def add_products(self, conn: sa.Connection, prefix: str, products: list[Product],
                     shops: int = 1) -> None:
        """Products as PrestaShop stores them: product, product_shop and product_lang per
        shop, category_product, combinations with their shop rows, stock_available rows
        (the product's row holds the sum of its combinations')."""
        t = _Tables(prefix)
        for p in products:
            product_id = conn.execute(sa.text(
                f"INSERT INTO {t.product} (id_category_default, id_tax_rules_group, reference, "
                "ean13, price, active, date_add, date_upd, product_type) VALUES "
                "(2, 1, :ref, :ean, :price, :active, :now, :now, :type)"),
                {"ref": p.reference, "ean": p.ean13, "price": p.price, "active": p.active,
                 "now": NOW, "type": "combinations" if p.combinations else "standard"},
            ).lastrowid
            conn.execute(sa.text(f"INSERT INTO {t.category_product} VALUES (2, :id, 0)"),
                         {"id": product_id})
            stock = sum(c.quantity for c in p.combinations) if p.combinations else p.quantity
            for shop in range(1, shops + 1):
                conn.execute(sa.text(
                    f"INSERT INTO {t.product_shop} (id_product, id_shop, id_category_default, "
                    "id_tax_rules_group, price, active, date_add, date_upd) VALUES "
                    "(:id, :shop, 2, 1, :price, :active, :now, :now)"),
                    {"id": product_id, "shop": shop, "price": p.price, "active": p.active,
                     "now": NOW})
                for id_lang in LANGS:
                    name = p.names.get(id_lang) or p.names.get(1) or p.reference
                    conn.execute(sa.text(
                        f"INSERT INTO {t.product_lang} (id_product, id_shop, id_lang, name, "
                        "link_rewrite) VALUES (:id, :shop, :lang, :name, :slug)"),
                        {"id": product_id, "shop": shop, "lang": id_lang, "name": name,
                         "slug": name.lower().replace(" ", "-")})
                self._stock(conn, t, product_id, 0, shop, stock)
            for n, c in enumerate(p.combinations):
                attribute_id = conn.execute(sa.text(
                    f"INSERT INTO {t.product_attribute} (id_product, reference, ean13, price, "
                    "default_on) VALUES (:id, :ref, :ean, :price, :default)"),
                    {"id": product_id, "ref": c.reference, "ean": c.ean13, "price": c.price,
                     "default": 1 if n == 0 else None},
                ).lastrowid
                for shop in range(1, shops + 1):
                    conn.execute(sa.text(
                        f"INSERT INTO {t.product_attribute_shop} (id_product, "
                        "id_product_attribute, id_shop, price, default_on) VALUES "
                        "(:id, :attr, :shop, :price, :default)"),
                        {"id": product_id, "attr": attribute_id, "shop": shop,
                         "price": c.price, "default": 1 if n == 0 else None})
                    self._stock(conn, t, product_id, attribute_id, shop, c.quantity)

    def add_simple(self, prefix: str, products: list[Product]) -> None:
        """Many simple products at once (ids from 1, one shop, names in every language), as
        `add_products` stores them, in a few multi-row statements."""
        t = _Tables(prefix)
        ids = range(1, len(products) + 1)
        with self.engine.begin() as conn:
            raw = conn.connection.cursor()
            raw.executemany(
                f"INSERT INTO {t.product} (id_product, id_category_default, id_tax_rules_group, "
                "reference, ean13, price, active, date_add, date_upd, product_type) VALUES "
                "(%s, 2, 1, %s, %s, %s, %s, %s, %s, 'standard')",
                [(i, p.reference, p.ean13, p.price, p.active, NOW, NOW)
                 for i, p in zip(ids, products, strict=True)])
            raw.executemany(f"INSERT INTO {t.category_product} VALUES (2, %s, 0)",
                            [(i,) for i in ids])
            raw.executemany(
                f"INSERT INTO {t.product_shop} (id_product, id_shop, id_category_default, "
                "id_tax_rules_group, price, active, date_add, date_upd) VALUES "
                "(%s, 1, 2, 1, %s, %s, %s, %s)",
                [(i, p.price, p.active, NOW, NOW) for i, p in zip(ids, products, strict=True)])
            raw.executemany(
                f"INSERT INTO {t.product_lang} (id_product, id_shop, id_lang, name, "
                "link_rewrite) VALUES (%s, 1, %s, %s, %s)",
                [(i, lang, name, name.lower().replace(" ", "-"))
                 for i, p in zip(ids, products, strict=True) for lang in LANGS
                 for name in [p.names.get(lang) or p.names.get(1) or p.reference]])
            raw.executemany(
                f"INSERT INTO {t.stock_available} (id_product, id_product_attribute, id_shop, "
                "id_shop_group, quantity, physical_quantity, reserved_quantity, out_of_stock) "
                "VALUES (%s, 0, 1, 0, %s, %s, 0, 2)",
                [(i, p.quantity, p.quantity) for i, p in zip(ids, products, strict=True)])

    @staticmethod
    def _stock(conn: sa.Connection, t: _Tables, product_id: int, attribute_id: int,
               shop: int, quantity: int) -> None:
        conn.execute(sa.text(
            f"INSERT INTO {t.stock_available} (id_product, id_product_attribute, id_shop, "
            "id_shop_group, quantity, physical_quantity, reserved_quantity, out_of_stock) "
            "VALUES (:id, :attr, :shop, 0, :qty, :qty, 0, 2)"),
            {"id": product_id, "attr": attribute_id, "shop": shop, "qty": quantity})

    def execute(self, sql: str) -> None:
        """Change the schema or data by hand (drop a table, a column...)."""
        with self.engine.begin() as conn:
            conn.exec_driver_sql(sql)


class _Tables:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __getattr__(self, name: str) -> str:
        return f"`{self.prefix}{name}`"


def _only_comments(statement: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--")
               for line in statement.splitlines())


def sample_products() -> list[Product]:
    """Three products: two simple ones, one with three combinations."""
    return [
        Product(reference="MUG-1", names={1: "Mug", 2: "Tasse"}, price=Decimal("8.90"),
                quantity=12, ean13="4006381333931"),
        Product(reference="CAP-1", names={1: "Cap", 2: "Casquette"}, price=Decimal("15")),
        Product(reference="TEE-1", names={1: "T-shirt", 2: "T-shirt"}, price=Decimal("19.90"),
                combinations=[Combination("TEE-1-S", 3), Combination("TEE-1-M", 5),
                              Combination("TEE-1-L", 0, Decimal("1.50"))]),
    ]
