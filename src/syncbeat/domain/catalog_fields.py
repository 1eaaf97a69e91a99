"""The fields of the built-in catalog, and how feed text becomes each one's value."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

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


class KnownFields(NamedTuple):
    """A catalog's fields as a profile names them: what [mapping], [filter], [fields] and
    [match] may use, and how feed text reads as each one's value."""

    catalog: str  # the catalog's name in messages: "the built-in catalog", "the shop"
    converters: Mapping[str, Callable[[str, str], Any]]  # field -> reading of feed text
    match: tuple[str, ...]  # the fields a [match] may use
    read_only: tuple[str, ...]  # fields an import cannot write
    free_prefix: str | None = None  # free attributes ("attributes.NAME"), where there are
    categories: bool = False  # may a profile say which category new products go in?
    # match field -> the fields a profile matching by it may write (absent: any of them)
    writes_by_match: Mapping[str, tuple[str, ...]] = {}
    no_create: tuple[str, ...] = ()  # match fields whose missing keys cannot be created
    # What may become of products a feed did not list ([options] missing, `domain.missing`),
    # and why a mode the catalog does not do is not done.
    missing_modes: tuple[str, ...] = ("leave", "zero_stock", "disable", "delete")
    missing_refused: str = ""
    no_missing: tuple[str, ...] = ()  # match fields with which no product can be "missing"
    unscoped: tuple[str, ...] = ()  # fields a [scope] cannot test

    def has(self, name: str) -> bool:
        """Is `name` one of these fields (a free attribute included)?"""
        if name in self.converters:
            return True
        prefix = self.free_prefix
        return prefix is not None and name.startswith(prefix) and len(name) > len(prefix)

    def converter(self, name: str) -> Callable[[str, str], Any]:
        """How feed text reads as the field's value (a free attribute's is plain text)."""
        return self.converters.get(name, to_text)

    def listed(self) -> str:
        """The fields, for an error message."""
        extra = f", or {self.free_prefix}NAME" if self.free_prefix else ""
        return ", ".join(self.converters) + extra


def is_catalog_field(name: str) -> bool:
    """Is `name` a field of the catalog (a column, or a free attribute)?"""
    if name in CATALOG_FIELDS:
        return True
    return name.startswith(ATTRIBUTE_PREFIX) and len(name) > len(ATTRIBUTE_PREFIX)


def converter(name: str) -> Callable[[str, str], Any]:
    """The function that reads feed text as the field's value."""
    return CATALOG_FIELDS.get(name, to_text)


BUILTIN_FIELDS = KnownFields("the built-in catalog", CATALOG_FIELDS, MATCH_FIELDS, ("id",),
                             ATTRIBUTE_PREFIX)
