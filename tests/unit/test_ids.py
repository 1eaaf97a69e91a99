"""Ids as people type them: ASCII digits in the id columns' range, nothing else."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from syncbeat.domain.ids import MAX_ID, parse_id, parse_ref


@pytest.mark.parametrize("text, expected", [("1", 1), ("42", 42), ("007", 7),
                                            (str(MAX_ID), MAX_ID)])
def test_ascii_digits_in_range_are_ids(text, expected):
    assert parse_id(text) == expected


@pytest.mark.parametrize("text", [
    "", "0", "-1", "+1", " 1", "1 ", "1.0", "1e3", "0x1f", "1_000",
    "¹", "²³", "٣", "\uff11", "߁",  # digits of other scripts: isdigit() says yes, int() may not
    str(MAX_ID + 1), "1" + "0" * 30, "9" * 400,
])
def test_anything_else_is_no_id(text):
    assert parse_id(text) is None


def test_a_reference_that_is_no_id_is_a_name():
    assert parse_ref("12") == 12
    assert parse_ref("¹") == "¹"
    assert parse_ref("Supplier A") == "Supplier A"
    assert parse_ref("1" + "0" * 30) == "1" + "0" * 30


def test_the_largest_id_is_the_id_columns_largest_value():
    from syncbeat.store.tables import metadata

    id_columns = [c for t in metadata.tables.values() for c in t.columns
                  if c.name == "id" or c.name.endswith("_id")]
    assert id_columns
    # INTEGER everywhere: 32 bits on PostgreSQL. A column made BIGINT moves MAX_ID with it.
    assert all(type(c.type) is sa.Integer for c in id_columns), id_columns
    assert MAX_ID == 2**31 - 1
