"""JSON values in and out: feed values as text, and products written with exact decimals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from json.encoder import encode_basestring  # the C encoder, keeping non-ASCII text as is
from typing import Any

from syncbeat.feeds.base import Values


def to_text(value: Any) -> str | None:
    """A parsed JSON value as the text a feed field carries: 12.5 -> "12.5", true -> "true"."""
    if value is None or value.__class__ is str:
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | Decimal):
        return str(value)
    return dumps(value)  # an object or a list: its JSON text


def kind(value: Any) -> str:
    """What a JSON value is, in words, for messages such as "record 5 is a list"."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a text"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    return "a number"


def object_picker(fields: Sequence[str]) -> Callable[[dict[str, Any]], Values]:
    """A function taking a JSON object to the text of `fields`; dots reach into nested objects."""
    keys = tuple(fields)
    if not any("." in field for field in keys):
        # The common flat case: dict.get mapped in C, conversion only for non-text values.
        def pick_flat(obj: dict[str, Any]) -> Values:
            return tuple([v if v.__class__ is str else to_text(v) for v in map(obj.get, keys)])

        return pick_flat
    paths = [(field, field.split(".")) for field in keys]

    def pick_nested(obj: dict[str, Any]) -> Values:
        return tuple([to_text(_lookup(obj, field, parts)) for field, parts in paths])

    return pick_nested


def _lookup(obj: dict[str, Any], field: str, parts: list[str]) -> Any:
    if field in obj:  # a key that really has a dot in its name
        return obj[field]
    value: Any = obj
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]  # "images.0.url": the first image's url
        else:
            return None
    return value


def dumps(value: Any) -> str:
    """JSON text: Decimal as a number exactly as its text, dates and times in ISO 8601."""
    encode = _ENCODERS.get(value.__class__)
    if encode is not None:
        return encode(value)
    # Subclasses (StrEnum, IntEnum, OrderedDict, ...) and other mappings and sequences.
    for base, encode in _BY_BASE:
        if isinstance(value, base):
            return encode(value)
    raise TypeError(f"a {type(value).__name__} cannot be written to JSON: {value!r}")


def _object(value: Mapping[Any, Any]) -> str:
    items = [
        f"{encode_basestring(key if key.__class__ is str else str(key))}: {dumps(item)}"
        for key, item in value.items()
    ]
    return "{" + ", ".join(items) + "}"


def _array(value: Sequence[Any]) -> str:
    return "[" + ", ".join([dumps(item) for item in value]) + "]"


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} is not a number JSON can hold")
    return str(value)  # str() keeps the digits as written: Decimal("12.50") -> 12.50


def _float(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{value} is not a number JSON can hold")
    return float.__repr__(value)


def _iso(value: dt.date | dt.time) -> str:
    return encode_basestring(value.isoformat())


_ENCODERS: dict[type, Callable[[Any], str]] = {
    str: encode_basestring,
    int: int.__repr__,
    bool: lambda value: "true" if value else "false",
    type(None): lambda value: "null",
    Decimal: _decimal,
    float: _float,
    dict: _object,
    list: _array,
    tuple: _array,
    dt.datetime: _iso,
    dt.date: _iso,
    dt.time: _iso,
}
_BY_BASE: tuple[tuple[type | tuple[type, ...], Callable[[Any], str]], ...] = (
    (str, lambda value: encode_basestring(str(value))),
    (bool, lambda value: "true" if value else "false"),
    (int, lambda value: int.__repr__(int(value))),
    (float, _float),
    (Decimal, _decimal),
    ((dt.date, dt.time), _iso),
    (Mapping, _object),
    ((list, tuple, set, frozenset), _array),
)
