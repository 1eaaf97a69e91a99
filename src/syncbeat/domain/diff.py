"""What changes when a feed row meets a catalog product."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from syncbeat.domain.convert import canonical_decimal


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    old: Any
    new: Any


def diff(current: Mapping[str, Any], incoming: Mapping[str, Any]) -> list[Change]:
    """The fields whose incoming value differs from the current one, in incoming's order.

    Decimals compare by value, so "12.5" and "12.50" are no change.
    """
    return [
        Change(name, current.get(name), value)
        for name, value in incoming.items()
        if current.get(name) != value
    ]


def show(value: Any) -> str:
    """A value as the report and the log write it."""
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        text = str(value)
        point = text.find(".")
        if point > 0 and len(text) - point == 3 and "E" not in text:
            return text  # already written with its cents: the usual case
        return format(canonical_decimal(value), "f")
    return str(value)


def describe_changes(changes: list[Change]) -> str:
    """"price: 10.50 -> 12.00; quantity: 3 -> 5"."""
    return "; ".join(f"{c.field}: {show(c.old)} -> {show(c.new)}" for c in changes)
