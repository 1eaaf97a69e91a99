"""`syncbeat catalog check` and the Configure tab's Catalog panel: what the configured
catalog holds, or exactly what is wrong with it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from syncbeat.catalog.location import BuiltinLocation, CatalogLocation


@dataclass(frozen=True, kw_only=True)
class CatalogReport:
    """What a check found. `problems` are one line each, in operator words, never with a
    password; the catalog is usable when there is none."""

    kind: str  # "builtin" or "prestashop"
    shown_url: str  # the setting with its password as ***
    problems: tuple[str, ...] = ()
    reached: bool = True  # False: the shop's database could not be opened at all
    version: str | None = None  # PrestaShop's PS_VERSION_DB
    shop_id: int | None = None
    shop_name: str | None = None
    lang_id: int | None = None
    lang_iso: str | None = None
    products: int | None = None
    combinations: int | None = None
    missing: tuple[str, ...] = ()  # "ps_product" (a table) or "ps_product.mpn" (a column)
    records: str | None = None  # the shop's batch record table, and whether it is there

    @property
    def usable(self) -> bool:
        """Whether syncbeat can work with this catalog."""
        return not self.problems

    def facts(self) -> list[tuple[str, str]]:
        """(label, value) pairs of what was found, for the CLI and the page."""
        found = [("catalog", self.shown_url)]
        if self.kind == "builtin":
            found.append(("kind", "the built-in catalog (the products table in syncbeat's "
                                  "own database)"))
        elif self.reached:
            found.append(("PrestaShop version", self.version or "unknown"))
            if self.shop_id is not None:
                found.append(("shop", f"{self.shop_id} ({self.shop_name})" if self.shop_name
                              else str(self.shop_id)))
            if self.lang_id is not None:
                found.append(("language", f"{self.lang_id} ({self.lang_iso})" if self.lang_iso
                              else str(self.lang_id)))
        if self.products is not None:
            found.append(("products", f"{self.products:,}"))
        if self.combinations is not None:
            found.append(("combinations", f"{self.combinations:,}"))
        if self.records is not None:
            found.append(("batch records", self.records))
        return found


def check_catalog(location: CatalogLocation, db: Engine | None = None) -> CatalogReport:
    """Check the configured catalog: the built-in one counts its products in syncbeat's
    database `db`; a shop's database is reached and its schema compared with what syncbeat
    reads and writes."""
    if isinstance(location, BuiltinLocation):
        return _check_builtin(location, db)
    from syncbeat.catalog.prestashop.check import check_shop  # the edge: only when asked

    return check_shop(location)


def _check_builtin(location: BuiltinLocation, db: Engine | None) -> CatalogReport:
    from syncbeat.store.catalog_queries import count_products
    from syncbeat.store.db import read_tx

    if db is None:
        return CatalogReport(kind=location.kind, shown_url=location.shown)
    with read_tx(db) as conn:
        count = count_products(conn)
    return CatalogReport(kind=location.kind, shown_url=location.shown, products=count)
