"""Turn feed text into catalog values the way a shop writes them."""

from __future__ import annotations

import re
from decimal import Context, Decimal, InvalidOperation

_TRUE = frozenset({"1", "yes", "y", "true", "on", "t", "enabled", "active"})
_FALSE = frozenset({"0", "no", "n", "false", "off", "f", "disabled", "inactive"})
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")  # 1,000 or 12,345,678


class ConversionError(ValueError):
    """A value that cannot be read as its field's type; str() is the operator's message."""


MAX_DIGITS = 15  # digits before the point: more is no shop amount, and would overflow


def _checked(value: Decimal, text: str, field: str) -> Decimal:
    if len(text) <= MAX_DIGITS and value.is_finite() and "e" not in text and "E" not in text:
        return value  # short and plain: cannot be too large or too precise (the usual case)
    if not value.is_finite():
        raise ConversionError(f"{field} '{text}' is not a number")
    if value and value.adjusted() >= MAX_DIGITS:
        raise ConversionError(f"{field} '{text}' is too large")
    if value.as_tuple().exponent < -MAX_DIGITS:  # type: ignore[operator]
        raise ConversionError(f"{field} '{text}' has too many decimals")
    return value


def to_decimal(text: str, field: str = "value") -> Decimal:
    """Read "12.50", "12,50", "1 234,50" or "1,234.50" as an exact decimal.

    A lone comma followed by exactly three digits ("1,000") could be a thousands separator
    or a decimal comma: it is refused as ambiguous rather than guessed.
    """
    if "," not in text and "_" not in text:
        # The common case, "12.50", without the cleaning below (a feed has millions).
        try:
            return _checked(Decimal(text), text, field)
        except InvalidOperation:
            pass
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace("_", "x")
    if "," in cleaned:
        if "." in cleaned:
            # The last separator is the decimal one: "1.234,50" or "1,234.50".
            if cleaned.rfind(",") > cleaned.rfind("."):
                cleaned = cleaned.replace(".", "").replace(",", ".")
            else:
                cleaned = cleaned.replace(",", "")
        elif _GROUPED.match(cleaned):
            raise ConversionError(
                f"{field} '{text}' is ambiguous: write 1000 or 1,000.00 (or 1.000,00)"
            )
        else:
            cleaned = cleaned.replace(",", ".")
    try:
        return _checked(Decimal(cleaned), text, field)
    except InvalidOperation:
        raise ConversionError(f"{field} '{text}' is not a number") from None


def to_int(text: str, field: str = "value") -> int:
    """Read "12", "12.0", "1 200" or "1,200" as an integer; "12.5" is refused, not rounded."""
    if len(text) <= MAX_DIGITS:
        try:
            return int(text)  # "12", " 12 ": the usual case, before any cleaning
        except ValueError:
            pass
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if _GROUPED.match(cleaned):
        cleaned = cleaned.replace(",", "")  # a whole number with thousands commas
    if cleaned.isdecimal() and len(cleaned) <= MAX_DIGITS:
        return int(cleaned)
    try:
        number = to_decimal(cleaned, field)
    except ConversionError as exc:
        if "too large" in str(exc):
            raise ConversionError(f"{field} '{text}' is too large") from None
        raise ConversionError(f"{field} '{text}' is not a whole number") from None
    if number != number.to_integral_value():
        raise ConversionError(f"{field} '{text}' is not a whole number")
    return int(number)


def to_bool(text: str, field: str = "value") -> bool:
    """Read yes/no, 1/0, true/false, on/off (any case) as a boolean."""
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConversionError(f"{field} '{text}' is not yes/no, true/false or 1/0")


def to_text(text: str, field: str = "value") -> str:
    """Text is kept as written, without the spaces around it."""
    return text.strip()


_CENTS = Decimal("0.01")


def canonical_decimal(value: Decimal) -> Decimal:
    """The same amount written the same way on every database: no trailing zeros past the
    cents ("12.000000" and "12.0" are both "12.00"; "0.125" stays "0.125")."""
    text = str(value)
    point = text.find(".")
    if point > 0 and len(text) - point == 3 and "E" not in text:
        return value  # "12.50": already written with its cents, the usual case
    reduced = value.normalize()
    exponent = reduced.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        # Enough digits for any amount a feed can hold (the default 28 would overflow).
        digits = len(reduced.as_tuple().digits) + max(exponent, 0) + 3
        return value.quantize(_CENTS, context=Context(prec=max(28, digits)))
    return reduced
