"""What a PrestaShop shop can hold: a value past its column's limit is that product's error,
in words naming the field and the limit, found before anything is written.

The limits are the columns' (`install-dev/data/db_structure.sql`) and PrestaShop's own
validation (`Validate::isEan13`, `isUpc`, `isPrice`...): a reference is VARCHAR(64), a name
VARCHAR(128), a price DECIMAL(20,6) that PrestaShop keeps positive (a combination's price is an
impact and may be negative). A negative stock is accepted: PrestaShop itself records one when
it sells past its stock, and a supplier feed may mean it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

MAX_TEXT = {"reference": 64, "supplier_reference": 64, "isbn": 32, "mpn": 40, "name": 128,
            "combination.reference": 64, "combination.supplier_reference": 64}
DIGITS = {"ean13": 13, "upc": 12, "combination.ean13": 13}
TEXT_BYTES = 65_535  # description, description_short: TEXT columns
WHOLE_DIGITS, DECIMALS = 14, 6  # DECIMAL(20,6)
INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # stock_available.quantity: INT
# Fields that may be below zero: a combination's price and weight are impacts.
SIGNED_ON_COMBINATION = ("price", "weight")
_DIGITS_RE = {n: re.compile(rf"[0-9]{{{d}}}") for n, d in DIGITS.items()}


def problem(name: str, value: Any, *, combination: bool = False) -> str | None:
    """Why the shop cannot hold `value` as field `name`, or None."""
    if value is None:
        return None
    if name in MAX_TEXT:
        limit = MAX_TEXT[name]
        if len(str(value)) > limit:
            return f"{name}: at most {limit} characters in PrestaShop, not {len(str(value))}"
    elif name in DIGITS:
        if value != "" and not _DIGITS_RE[name].fullmatch(str(value)):
            return (f"{name}: {DIGITS[name]} digits in PrestaShop (or empty), "
                    f"not '{_short(str(value))}'")
    elif name in ("description", "description_short"):
        size = len(str(value).encode("utf-8"))
        if size > TEXT_BYTES:
            return f"{name}: at most {TEXT_BYTES:,} bytes in PrestaShop, not {size:,}"
    elif name in ("price", "wholesale_price", "weight") and isinstance(value, Decimal):
        return _decimal_problem(name, value, signed=combination and name in
                                SIGNED_ON_COMBINATION)
    elif name == "quantity" and isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            return f"quantity: PrestaShop holds a stock from {INT_MIN:,} to {INT_MAX:,}"
    return None


def _decimal_problem(name: str, value: Decimal, *, signed: bool) -> str | None:
    if not value.is_finite():
        return f"{name}: not a number PrestaShop can hold"
    if value < 0 and not signed:
        return f"{name}: PrestaShop holds no negative {name.replace('_', ' ')} ({value})"
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    decimals = max(-exponent, 0)
    whole = max(len(digits) + exponent, 0)
    if decimals > DECIMALS and value != value.quantize(Decimal(1).scaleb(-DECIMALS)):
        return f"{name}: at most {DECIMALS} decimals in PrestaShop ({value})"
    if whole > WHOLE_DIGITS and value.copy_abs() >= Decimal(10) ** WHOLE_DIGITS:
        return f"{name}: at most {WHOLE_DIGITS} digits before the point in PrestaShop ({value})"
    return None


def problems(values: Mapping[str, Any], fields: list[str], *, combination: bool = False
             ) -> list[str]:
    """Every problem of a product's `fields` in `values`."""
    found = []
    for name in fields:
        why = problem(name, values.get(name), combination=combination)
        if why is not None:
            found.append(why)
    return found


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."
