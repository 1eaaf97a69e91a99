"""Turn feed text into catalog values the way a shop writes them."""

from __future__ import annotations

from decimal import Context, Decimal, InvalidOperation

_TRUE = frozenset({"1", "yes", "y", "true", "on", "t", "enabled", "active"})
_FALSE = frozenset({"0", "no", "n", "false", "off", "f", "disabled", "inactive", ""})


class ConversionError(ValueError):
    """A value that cannot be read as its field's type; str() is the operator's message."""


def to_decimal(text: str, field: str = "value") -> Decimal:
    """Read "12.50", "12,50", "1 234,50" or "1,234.50" as an exact decimal."""
    if "," not in text:
        # The common case, "12.50", without the cleaning below (a feed has millions).
        try:
            value = Decimal(text)
        except InvalidOperation:
            pass
        else:
            if value.is_finite():
                return value
            raise ConversionError(f"{field} '{text}' is not a number")
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if "," in cleaned:
        if "." in cleaned:
            # The last separator is the decimal one: "1.234,50" or "1,234.50".
            if cleaned.rfind(",") > cleaned.rfind("."):
                cleaned = cleaned.replace(".", "").replace(",", ".")
            else:
                cleaned = cleaned.replace(",", "")
        else:
            cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ConversionError(f"{field} '{text}' is not a number") from None
    if not value.is_finite():
        raise ConversionError(f"{field} '{text}' is not a number")
    return value


def to_int(text: str, field: str = "value") -> int:
    """Read "12", "12.0" or "1 200" as an integer; "12.5" is refused, not rounded."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    try:
        return int(cleaned)
    except ValueError:
        pass
    try:
        number = to_decimal(cleaned, field)
    except ConversionError:
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
