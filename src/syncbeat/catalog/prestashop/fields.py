"""The fields a PrestaShop shop offers a profile, declared once: where each lives in the shop's
tables, how feed text reads as its value, and whether it may be a [match] key.

A product's fields read its row in `product`, its row for the shop in `product_shop` (prices
and active are per shop), its names in `product_lang` (the shop and language of the catalog
URL) and its own stock row in `stock_available` (id_product_attribute = 0). Matching by a
`combination.` field finds a combination: then quantity, price (its impact on the product's
price), wholesale_price and weight are the combination's, and any other field is its
product's, read only.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from syncbeat.catalog.base import Converter
from syncbeat.domain.catalog_fields import KnownFields
from syncbeat.domain.convert import to_bool, to_decimal, to_int, to_text

COMBINATION = "combination."  # the prefix of the fields that match combinations
# A combination found by a combination field has this plus its id_product_attribute as its id
# in `fetch` (product ids are INT UNSIGNED, below it), so `apply` knows what it writes.
COMBINATION_ID = 2**32


class ShopField(NamedTuple):
    """One field: its SQL on a product (p: product, ps: product_shop, pl: product_lang,
    sa: stock_available) and on a combination (pa, pas, its own sa), its kind, its reader."""

    product: str  # the column read for a product (and for a combination, unless below)
    combination: str | None  # the combination's own column; None: its product's, read only
    kind: str  # "int", "text", "decimal", "bool", "datetime"
    convert: Converter
    match: bool = False  # may be a [match] key


_F = ShopField
SHOP_FIELDS: MappingProxyType[str, ShopField] = MappingProxyType({
    "id": _F("p.id_product", None, "int", to_int, match=True),
    "reference": _F("p.reference", None, "text", to_text, match=True),
    "supplier_reference": _F("p.supplier_reference", None, "text", to_text, match=True),
    "ean13": _F("p.ean13", None, "text", to_text, match=True),
    "upc": _F("p.upc", None, "text", to_text, match=True),
    "isbn": _F("p.isbn", None, "text", to_text, match=True),
    "mpn": _F("p.mpn", None, "text", to_text, match=True),
    "name": _F("pl.name", None, "text", to_text),
    "description": _F("pl.description", None, "text", to_text),
    "description_short": _F("pl.description_short", None, "text", to_text),
    "price": _F("ps.price", "pas.price", "decimal", to_decimal),
    "wholesale_price": _F("ps.wholesale_price", "pas.wholesale_price", "decimal", to_decimal),
    "weight": _F("p.weight", "pas.weight", "decimal", to_decimal),
    "active": _F("ps.active", None, "bool", to_bool),
    "quantity": _F("sa.quantity", "sa.quantity", "int", to_int),
    "date_upd": _F("ps.date_upd", None, "datetime", to_text),  # read only: syncbeat sets it
    # Export only: the product's combinations, a list of objects (see docs/profiles.md).
    "combinations": _F("NULL", None, "combinations", to_text),
    "combination.reference": _F("NULL", "pa.reference", "text", to_text, match=True),
    "combination.supplier_reference": _F("NULL", "pa.supplier_reference", "text", to_text,
                                         match=True),
    "combination.ean13": _F("NULL", "pa.ean13", "text", to_text, match=True),
})

FIELDS: Mapping[str, Converter] = MappingProxyType(
    {name: f.convert for name, f in SHOP_FIELDS.items()})
MATCH_FIELDS = tuple(name for name, f in SHOP_FIELDS.items() if f.match)
READ_ONLY = ("id", "date_upd", "combinations")
# The combination's own values, as an export's "combinations" lists them.
COMBINATION_EXPORT = ("id", "reference", "supplier_reference", "ean13", "price",
                      "wholesale_price", "weight", "quantity")
# Written on a combination found by a combination field.
COMBINATION_WRITES = tuple(n for n, f in SHOP_FIELDS.items()
                           if f.combination is not None and not n.startswith(COMBINATION))
# Where a product's written fields go.
PRODUCT_COLUMNS = ("reference", "supplier_reference", "ean13", "upc", "isbn", "mpn", "price",
                   "wholesale_price", "weight", "active")
SHOP_COLUMNS = ("price", "wholesale_price", "active")
LANG_COLUMNS = ("name", "description", "description_short")
COMBINATION_COLUMNS = ("price", "wholesale_price", "weight")  # product_attribute(_shop)
# A combination's identifiers, written to product_attribute when the profile maps them.
COMBINATION_IDS = ("combination.reference", "combination.supplier_reference",
                   "combination.ean13")


_COMBINATION_MATCH = tuple(n for n in MATCH_FIELDS if n.startswith(COMBINATION))
_PRODUCT_WRITES = tuple(n for n in FIELDS if not n.startswith(COMBINATION) and n not in READ_ONLY)
SHOP_KNOWN = KnownFields(
    "the PrestaShop catalog", FIELDS, MATCH_FIELDS, READ_ONLY, categories=True,
    writes_by_match=MappingProxyType({
        **{n: _PRODUCT_WRITES for n in MATCH_FIELDS if not n.startswith(COMBINATION)},
        **{n: (*COMBINATION_WRITES, *COMBINATION_IDS) for n in _COMBINATION_MATCH}}),
    no_create=_COMBINATION_MATCH,
    # Deleting a shop's product is not done: images, carts and orders refer to it.
    missing_modes=("leave", "zero_stock", "disable"),
    missing_refused="its images, carts and orders refer to its products: use disable",
    no_missing=_COMBINATION_MATCH,
    unscoped=tuple(n for n, f in SHOP_FIELDS.items() if f.product == "NULL"))


def is_combination_match(match: str) -> bool:
    """Does matching by `match` find combinations?"""
    return match.startswith(COMBINATION)


def is_combination_id(found_id: int) -> bool:
    """Is this id, as `fetch` gives it, a combination's?"""
    return found_id >= COMBINATION_ID


def combination_key(values: Mapping[str, object]) -> str | None:
    """The first combination field among a new product's values (its match key, when the
    import matches combinations)."""
    return next((name for name in values if name.startswith(COMBINATION)), None)
