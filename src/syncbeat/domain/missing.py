"""Products missing from the feed: which catalog products an import speaks for (its scope),
and what becomes of one the feed did not list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from syncbeat.domain.statuses import ItemOutcome

MISSING_MODES = ("leave", "zero_stock", "disable", "delete")
# The catalog fields a mode reads to say what it changed.
MODE_FIELDS = {"zero_stock": ("quantity",), "disable": ("active",), "delete": ()}


@dataclass(frozen=True, kw_only=True, slots=True)
class Scope:
    """The catalog products a feed speaks for: `field` starts with `prefix`, or equals
    `equals`. No scope at all: every product of the catalog."""

    field: str
    prefix: str | None = None
    equals: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The TOML shape of the scope."""
        data = {"field": self.field}
        if self.prefix is not None:
            data["prefix"] = self.prefix
        if self.equals is not None:
            data["equals"] = self.equals
        return data

    def contains(self, value: Any) -> bool:
        """Is a product with this value of `field` in the scope?"""
        if value is None:
            return False
        text = str(value)
        if self.prefix is not None:
            return text.startswith(self.prefix)
        return text == self.equals


def decide_missing(mode: str, values: Mapping[str, Any]) -> tuple[ItemOutcome, str, bool]:
    """What `mode` does to a product the feed did not list (its current `values`): the item's
    outcome, its detail, and whether the catalog changes."""
    if mode == "zero_stock":
        quantity = values.get("quantity")
        if quantity == 0:
            return ItemOutcome.SKIPPED, "not in the feed: stock already 0", False
        return ItemOutcome.PROCESSED, f"not in the feed: stock {quantity} -> 0", True
    if mode == "disable":
        if not values.get("active"):
            return ItemOutcome.SKIPPED, "not in the feed: already inactive", False
        return ItemOutcome.PROCESSED, "not in the feed: active yes -> no", True
    if mode == "delete":
        return ItemOutcome.PROCESSED, "not in the feed: deleted", True
    raise ValueError(f"no products are acted on when missing is {mode!r}")
