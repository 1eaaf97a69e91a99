"""Feed text read as catalog values the way shops write them, and refusals in words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from syncbeat.domain.catalog_fields import converter
from syncbeat.domain.convert import ConversionError, to_bool, to_decimal, to_int, to_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.5", "12.5"),
        ("12,50", "12.50"),
        ("0,1", "0.1"),
        ("1 234,50", "1234.50"),
        ("1\u00a0234,50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("1.234.567,89", "1234567.89"),
        ("1,234,567.89", "1234567.89"),
        (" 7 ", "7"),
        ("-3,25", "-3.25"),
    ],
)
def test_decimals_with_comma_or_dot_are_read_exactly(text: str, expected: str) -> None:
    value = to_decimal(text, "price")
    assert isinstance(value, Decimal)
    # Compared as text: a float on the way would show as 0.1000000000000000055511151231257827.
    assert str(value) == expected


@pytest.mark.parametrize("text", ["abc", "", "12,50,1", "1.2.3", "NaN", "Infinity", "12 EUR"])
def test_a_price_that_is_not_a_number_is_refused_in_words(text: str) -> None:
    with pytest.raises(ConversionError) as caught:
        to_decimal(text, "price")
    assert str(caught.value) == f"price '{text}' is not a number"


def test_a_conversion_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^value 'abc' is not a number$"):
        to_decimal("abc")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), ("12.0", 12), ("12,0", 12), ("1 200", 1200), (" 3 ", 3), ("-4", -4), ("0", 0)],
)
def test_whole_numbers(text: str, expected: int) -> None:
    value = to_int(text, "quantity")
    assert type(value) is int
    assert value == expected


@pytest.mark.parametrize("text", ["12.5", "12,5", "abc", ""])
def test_a_quantity_that_is_not_whole_is_refused_not_rounded(text: str) -> None:
    with pytest.raises(ConversionError) as caught:
        to_int(text, "quantity")
    assert str(caught.value) == f"quantity '{text}' is not a whole number"


def test_the_message_for_a_fractional_quantity() -> None:
    with pytest.raises(ConversionError, match=r"^quantity '12\.5' is not a whole number$"):
        to_int("12.5", "quantity")


@pytest.mark.parametrize(
    "text", ["yes", "YES", "Yes", "1", "true", "True", "TRUE", "on", "On", " yes "]
)
def test_words_for_true(text: str) -> None:
    assert to_bool(text, "active") is True


@pytest.mark.parametrize("text", ["no", "NO", "No", "0", "false", "False", "off", "OFF", " no "])
def test_words_for_false(text: str) -> None:
    assert to_bool(text, "active") is False


@pytest.mark.parametrize("text", ["maybe", "2", "yess", "-1"])
def test_an_unknown_word_for_a_flag_is_refused_in_words(text: str) -> None:
    with pytest.raises(ConversionError) as caught:
        to_bool(text, "active")
    assert str(caught.value) == f"active '{text}' is not yes/no, true/false or 1/0"


def test_text_is_kept_without_surrounding_spaces() -> None:
    assert to_text("  Blue  shirt ") == "Blue  shirt"


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("price", "12,50", Decimal("12.50")),
        ("quantity", "1 200", 1200),
        ("active", "yes", True),
        ("reference", " SKU-1 ", "SKU-1"),
        ("attributes.colour", " blue ", "blue"),
    ],
)
def test_each_catalog_field_reads_feed_text_as_its_type(
    field: str, text: str, expected: object
) -> None:
    assert converter(field)(text, field) == expected


def test_a_catalog_field_names_itself_in_the_message() -> None:
    with pytest.raises(ConversionError, match=r"^price 'abc' is not a number$"):
        converter("price")("abc", "price")
