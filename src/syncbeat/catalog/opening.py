"""The catalog a setting names, opened: the built-in one, or a PrestaShop shop's."""

from __future__ import annotations

from syncbeat.catalog.base import Catalog
from syncbeat.catalog.builtin import BuiltinCatalog
from syncbeat.catalog.location import CatalogLocation, PrestashopLocation


def open_catalog(location: CatalogLocation) -> Catalog:
    """The catalog at `location` (SYNCBEAT_CATALOG, --catalog). A shop's database is not
    reached here: the first statement connects, and `syncbeat catalog check` says what is
    wrong when it cannot."""
    if isinstance(location, PrestashopLocation):
        from syncbeat.catalog.prestashop.catalog import PrestashopCatalog

        return PrestashopCatalog(location)
    return BuiltinCatalog()
