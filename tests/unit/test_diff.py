"""What a feed row changes in a catalog product, and how the change is written for people."""

from __future__ import annotations

from decimal import Decimal

import pytest

from syncbeat.domain.convert import ConversionError, to_decimal
from syncbeat.domain.diff import Change, describe_changes, diff, show

PRODUCT = {"reference": "SKU-1", "name": "Shirt", "price": Decimal("10.50"), "quantity": 3}


def test_the_same_amount_written_with_more_decimals_is_no_change() -> None:
    assert diff({"price": Decimal("12.5")}, {"price": Decimal("12.50")}) == []


def test_equal_values_are_no_change() -> None:
    assert diff(PRODUCT, {"name": "Shirt", "quantity": 3, "price": Decimal("10.500")}) == []


def test_changes_come_in_the_feeds_order() -> None:
    incoming = {"quantity": 5, "name": "Shirt", "price": Decimal("12.00")}
    assert diff(PRODUCT, incoming) == [
        Change("quantity", 3, 5),
        Change("price", Decimal("10.50"), Decimal("12.00")),
    ]


def test_a_field_the_product_does_not_have_yet_changes_from_empty() -> None:
    assert diff(PRODUCT, {"attributes.colour": "blue"}) == [
        Change("attributes.colour", None, "blue")
    ]


def test_only_the_fields_of_the_feed_are_compared() -> None:
    assert diff(PRODUCT, {}) == []


def test_describe_changes_in_words() -> None:
    changes = diff(PRODUCT, {"price": Decimal("12.00"), "quantity": 5})
    assert describe_changes(changes) == "price: 10.50 -> 12.00; quantity: 3 -> 5"


def test_describe_no_changes() -> None:
    assert describe_changes([]) == ""


def test_describe_changes_from_empty_and_of_flags() -> None:
    changes = [Change("ean13", None, "4006381333931"), Change("active", True, False)]
    assert describe_changes(changes) == "ean13: (empty) -> 4006381333931; active: yes -> no"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "(empty)"),
        (True, "yes"),
        (False, "no"),
        # Amounts show at least their cents, and every decimal they really have.
        (Decimal("12.50"), "12.50"),
        (Decimal("12.5"), "12.50"),
        (Decimal("12.000000"), "12.00"),
        (Decimal("1E+3"), "1000.00"),
        (Decimal("0.125"), "0.125"),
        (Decimal("0.00001"), "0.00001"),
        (0, "0"),
        (5, "5"),
        ("Blue shirt", "Blue shirt"),
    ],
)
def test_show(value: object, shown: str) -> None:
    assert show(value) == shown


@pytest.mark.parametrize("text", ["123456789012345678901234567", "1e30"])
def test_amounts_no_shop_has_are_refused_but_any_decimal_can_be_shown(text: str) -> None:
    with pytest.raises(ConversionError, match=f"price '{text}' is too large"):
        to_decimal(text, "price")
    value = Decimal(text)  # a value already in a catalog can still be written in words
    assert show(value).startswith(format(value, "f"))
