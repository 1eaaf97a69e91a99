"""The fields of the built-in catalog, and how feed text becomes each one's value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from syncbeat.domain.convert import to_bool, to_decimal, to_int, to_text

# name -> converter from feed text; "attributes.NAME" fields are free text.
CATALOG_FIELDS: dict[str, Callable[[str, str], Any]] = {
    "id": to_int,
    "reference": to_text,
    "ean13": to_text,
    "name": to_text,
    "price": to_decimal,
    "quantity": to_int,
    "active": to_bool,
}
MATCH_FIELDS = ("reference", "ean13", "id")
ATTRIBUTE_PREFIX = "attributes."


def is_catalog_field(name: str) -> bool:
    """Is `name` a field of the catalog (a column, or a free attribute)?"""
    if name in CATALOG_FIELDS:
        return True
    return name.startswith(ATTRIBUTE_PREFIX) and len(name) > len(ATTRIBUTE_PREFIX)


def converter(name: str) -> Callable[[str, str], Any]:
    """The function that reads feed text as the field's value."""
    return CATALOG_FIELDS.get(name, to_text)
