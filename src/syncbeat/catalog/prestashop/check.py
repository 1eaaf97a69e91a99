"""Check a PrestaShop shop's database: reach it, compare its tables with what syncbeat reads
and writes (schema.TABLES), find the shop and language to use, count products."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.catalog.base import CatalogUnusable
from syncbeat.catalog.check import CatalogReport
from syncbeat.catalog.location import PrestashopLocation
from syncbeat.catalog.prestashop import batches
from syncbeat.catalog.prestashop.schema import (
    LANG_KEY,
    OLDEST_VERSION,
    SHOP_KEY,
    TABLES,
    VERSION_KEY,
)

CONNECT_TIMEOUT = 5  # seconds: a check answers quickly, even about a server that does not
LISTED = 5  # shops or languages an error lists as the ones that exist


class ShopUnreachable(CatalogUnusable):
    """The shop's database could not be reached; the message is for the operator. Raised
    from the driver's error, which says whether it is an outage (`store.db.is_outage`)."""


@contextmanager
def shop_connection(location: PrestashopLocation) -> Iterator[Connection]:
    """A read-only connection to the shop's database; ShopUnreachable in operator words
    (never with the password) when the server, the user or the database is not there."""
    engine = sa.create_engine(location.sqlalchemy_url(), poolclass=sa.pool.NullPool,
                              connect_args={"connect_timeout": CONNECT_TIMEOUT})
    try:
        try:
            conn = engine.connect()
        except sa.exc.DBAPIError as exc:
            raise ShopUnreachable(connect_problem(location, exc)) from None
        with conn, conn.begin():
            yield conn
    finally:
        engine.dispose()


def connect_problem(location: PrestashopLocation, exc: sa.exc.DBAPIError) -> str:
    """Why a connection to the shop's database failed, in one line without the password."""
    args: tuple[Any, ...] = tuple(getattr(exc.orig, "args", ()))
    code = args[0] if args and isinstance(args[0], int) else None
    text = str(args[1]) if len(args) > 1 else ""
    where = location.server
    if code == 1045:
        return (f"the server at {where} refused the user '{location.user}' with this password "
                "(access denied): check the user and password in the catalog URL")
    if code == 1044:
        return (f"the user '{location.user}' may not use the database '{location.database}' "
                f"on {where} (access denied): grant it, or use another user")
    if code == 1049:
        return (f"the database '{location.database}' does not exist on {where}: check its "
                "name in the catalog URL (the part after the port)")
    if code in (2002, 2003, 2005, 2006, 2013):
        reason = "the connection was refused" if "refused" in text.lower() else (
            "the host name is not known" if "name or service" in text.lower()
            or "nodename" in text.lower() else
            f"no answer within {CONNECT_TIMEOUT} seconds" if "timed out" in text.lower()
            else "no MySQL or MariaDB server answered")
        return f"cannot reach the database server at {where}: {reason}"
    return f"cannot open the database '{location.database}' on {where}: error {code or '?'}"


def check_shop(location: PrestashopLocation) -> CatalogReport:
    """What `syncbeat catalog check` reports about the shop at `location`."""
    base: dict[str, Any] = {"kind": location.kind, "shown_url": location.shown}
    try:
        with shop_connection(location) as conn:
            return _check(conn, location, base)
    except ShopUnreachable as exc:
        return CatalogReport(**base, problems=(str(exc),), reached=False)


def _check(conn: Connection, location: PrestashopLocation, base: dict[str, Any]
           ) -> CatalogReport:
    missing = missing_parts(conn, location)
    problems: list[str] = []
    if missing:
        problems.append(f"the database '{location.database}' lacks what syncbeat reads and "
                        f"writes (prefix '{location.prefix}'): {', '.join(missing)}")
    found: dict[str, Any] = {}

    def whole(*tables: str) -> bool:  # these tables are there with every column syncbeat uses
        names = {location.table(t) for t in tables}
        return not any(m.partition(".")[0] in names for m in missing)

    config = _configuration(conn, location) if whole("configuration") else {}
    found["version"] = config.get(VERSION_KEY)
    if whole("configuration"):
        problems += _version_problems(found["version"])
    if whole("configuration", "shop"):
        shop_id, problem = _id(location.shop, config, SHOP_KEY, "shop")
        if problem:
            problems.append(problem)
        else:
            assert shop_id is not None
            name, problem = _shop(conn, location, shop_id)
            found.update(shop_id=shop_id, shop_name=name)
            if problem:
                problems.append(problem)
            elif whole("lang", "lang_shop"):
                problems += _language(conn, location, config, shop_id, found)
            if not problem:
                counted = [t for t in ("product_shop", "product_attribute_shop") if whole(t)]
                found.update(_counts(conn, location, shop_id, counted))
    return CatalogReport(**base, **found, problems=tuple(problems), missing=tuple(missing),
                         records=_records(conn, location))


def _records(conn: Connection, location: PrestashopLocation) -> str:
    """Where imports keep each batch's record (`batches`), and whether it is there yet."""
    name = location.table(batches.TABLE)
    there = conn.exec_driver_sql(
        "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME = %s", (name,)).scalar_one()
    return (f"{name} (there)" if there else f"{name} (made by the first import: the user "
            "needs CREATE on the database once)")


def missing_parts(conn: Connection, location: PrestashopLocation) -> list[str]:
    """Every table ("ps_product") and column ("ps_product.mpn") of schema.TABLES that the
    shop's database lacks, in the order they are declared."""
    names = [location.table(t) for t in TABLES]
    rows = conn.execute(sa.text(
        "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN :names"
    ).bindparams(sa.bindparam("names", expanding=True)), {"names": names})
    present: dict[str, set[str]] = {}
    for table, column in rows:
        present.setdefault(str(table), set()).add(str(column))
    missing: list[str] = []
    for table, columns in TABLES.items():
        name = location.table(table)
        if name not in present:
            missing.append(name)
        else:
            missing += [f"{name}.{c}" for c in columns if c not in present[name]]
    return missing


def _configuration(conn: Connection, location: PrestashopLocation) -> dict[str, str]:
    """The shop-wide values of the keys syncbeat reads (a shop's own overrides aside)."""
    table = location.table("configuration")
    rows = conn.execute(sa.text(
        f"SELECT name, value FROM `{table}` WHERE name IN ({_keys()}) "
        "ORDER BY (id_shop IS NULL AND id_shop_group IS NULL) DESC, id_configuration"))
    found: dict[str, str] = {}
    for name, value in rows:
        found.setdefault(str(name), "" if value is None else str(value))
    return found


def _keys() -> str:
    return ", ".join(f"'{k}'" for k in (VERSION_KEY, SHOP_KEY, LANG_KEY))


def _version_problems(version: str | None) -> list[str]:
    if not version:
        return [f"the shop's configuration has no {VERSION_KEY}: is this a PrestaShop "
                "database, and is the prefix right?"]
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:2])
    if numbers and numbers < OLDEST_VERSION:
        return [f"PrestaShop {version} is too old: syncbeat works with PrestaShop 1.7 and 8"]
    return []


def _id(given: int | None, config: dict[str, str], key: str, what: str
        ) -> tuple[int | None, str | None]:
    if given is not None:
        return given, None
    value = config.get(key, "").strip()
    if not value.isdigit():
        return None, (f"the shop's configuration has no {key} to choose the {what}: "
                      f"give {what}=ID in the catalog URL")
    return int(value), None


def _shop(conn: Connection, location: PrestashopLocation, shop_id: int
          ) -> tuple[str | None, str | None]:
    table = location.table("shop")
    rows = conn.execute(sa.text(
        f"SELECT id_shop, name FROM `{table}` WHERE deleted = 0 ORDER BY id_shop")).all()
    names = {int(r[0]): str(r[1]) for r in rows}
    if shop_id in names:
        return names[shop_id], None
    known = ", ".join(f"{i} ({n})" for i, n in list(names.items())[:LISTED]) or "none"
    return None, f"the shop {shop_id} does not exist in {table} (shops: {known})"


def _language(conn: Connection, location: PrestashopLocation, config: dict[str, str],
              shop_id: int, found: dict[str, Any]) -> list[str]:
    lang_id, problem = _id(location.lang, config, LANG_KEY, "lang")
    if problem:
        return [problem]
    assert lang_id is not None
    lang, lang_shop = location.table("lang"), location.table("lang_shop")
    rows = conn.execute(sa.text(
        f"SELECT l.id_lang, l.iso_code, ls.id_shop IS NOT NULL FROM `{lang}` l "
        f"LEFT JOIN `{lang_shop}` ls ON ls.id_lang = l.id_lang AND ls.id_shop = :shop "
        "ORDER BY l.id_lang"), {"shop": shop_id}).all()
    langs = {int(r[0]): (str(r[1]), bool(r[2])) for r in rows}
    if lang_id not in langs:
        known = ", ".join(f"{i} ({iso})" for i, (iso, _) in list(langs.items())[:LISTED])
        return [f"the language {lang_id} does not exist in {lang} (languages: "
                f"{known or 'none'})"]
    iso, in_shop = langs[lang_id]
    found.update(lang_id=lang_id, lang_iso=iso)
    if not in_shop:
        used = ", ".join(f"{i} ({iso})" for i, (iso, on) in langs.items() if on) or "none"
        return [f"the language {lang_id} ({iso}) is not one of the shop {shop_id}'s "
                f"languages ({used})"]
    return []


def _counts(conn: Connection, location: PrestashopLocation, shop_id: int,
            tables: list[str]) -> dict[str, int]:
    """Products and combinations of the shop (their rows in its *_shop tables)."""
    keys = {"product_shop": "products", "product_attribute_shop": "combinations"}
    return {keys[table]: int(conn.execute(sa.text(
        f"SELECT COUNT(*) FROM `{location.table(table)}` WHERE id_shop = :shop"),
        {"shop": shop_id}).scalar_one()) for table in tables}
