"""Profiles: TOML settings validated into Profile values, with mistakes named by field."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest

from syncbeat.domain.profile import (
    Profile,
    ProfileError,
    SourceSpec,
    parse_profile,
    resolved_batch_size,
    set_dotted,
    shown_batch_size,
)
from syncbeat.domain.statuses import TaskKind

SUPPLIER_A = """
name = "Supplier A stock"
kind = "import"
schedule = "*/15 * * * *"
timezone = "Europe/Vilnius"
batch_size = 500
enabled = true
[source]
location = "feeds/supplier-a.csv"
format = "csv"
delimiter = ";"
encoding = "utf-8"
[match]
feed = "sku"
catalog = "reference"
[mapping]
price = "net_price"
quantity = "stock"
name = "title"
[options]
create_missing = false
skip_unchanged = true
"""

CATALOG_TO_APP = """
name = "Catalog to app"
kind = "export"
schedule = "0 * * * *"
batch_size = 1000
[filter]
active = true
changed_since_last_export = true
[fields]
sku = "reference"
price = "price"
qty = "quantity"
[destination]
location = "exports/"
"""


def import_settings() -> dict[str, Any]:
    return tomllib.loads(SUPPLIER_A)


def export_settings() -> dict[str, Any]:
    return tomllib.loads(CATALOG_TO_APP)


def mistakes(data: dict[str, Any]) -> dict[str, str]:
    """The mistakes parse_profile reports, by the field they name."""
    with pytest.raises(ProfileError) as caught:
        parse_profile(data)
    return dict(caught.value.errors)


# --- the two examples -------------------------------------------------------------------------


def test_the_import_example() -> None:
    assert parse_profile(import_settings()) == Profile(
        name="Supplier A stock",
        kind=TaskKind.IMPORT,
        schedule="*/15 * * * *",
        timezone="Europe/Vilnius",
        batch_size=500,
        enabled=True,
        source=SourceSpec(
            location="feeds/supplier-a.csv", format="csv", delimiter=";", encoding="utf-8"
        ),
        match_feed="sku",
        match_catalog="reference",
        mapping={"price": "net_price", "quantity": "stock", "name": "title"},
        create_missing=False,
        skip_unchanged=True,
    )


def test_the_import_example_reads_the_match_key_first() -> None:
    assert parse_profile(import_settings()).feed_fields == ["sku", "net_price", "stock", "title"]


def test_the_export_example() -> None:
    assert parse_profile(export_settings()) == Profile(
        name="Catalog to app",
        kind=TaskKind.EXPORT,
        schedule="0 * * * *",
        timezone="UTC",
        batch_size=1000,
        enabled=True,
        filter_active=True,
        changed_since_last_export=True,
        fields={"sku": "reference", "price": "price", "qty": "quantity"},
        destination="exports/",
    )


def test_defaults_come_from_the_settings_of_the_installation() -> None:
    data = export_settings()
    del data["batch_size"]
    profile = parse_profile(data, default_timezone="Europe/Vilnius")
    assert (profile.batch_size, profile.timezone) == (None, "Europe/Vilnius")


def test_a_profile_without_a_batch_size_stores_none_and_follows_the_default() -> None:
    data = export_settings()
    del data["batch_size"]
    profile = parse_profile(data)
    assert "batch_size" not in profile.to_dict()
    assert parse_profile(profile.to_dict()).batch_size is None
    assert resolved_batch_size(profile, 250) == 250
    assert shown_batch_size(profile.batch_size, 1000) == "default (1,000)"
    chosen = parse_profile({**data, "batch_size": 500})
    assert resolved_batch_size(chosen, 250) == 500
    assert shown_batch_size(chosen.batch_size, 1000) == "500"
    assert parse_profile({**data, "batch_size": ""}).batch_size is None  # an emptied field


# --- round trip -------------------------------------------------------------------------------


def _variants() -> list[dict[str, Any]]:
    tab = import_settings()
    tab["source"].update(delimiter="tab", header=False, quotechar="'")
    del tab["schedule"]
    json_feed = import_settings()
    json_feed["source"] = {"location": "https://example.com/feed.json", "item": "products"}
    json_feed["mapping"] = {"attributes.colour": "colour", "active": "on_sale"}
    xlsx = import_settings()
    xlsx["source"] = {"location": "feeds/stock.xlsx", "sheet": "Stock"}
    xlsx["options"] = {"create_missing": True, "skip_unchanged": False}
    xlsx["enabled"] = False
    no_filter = export_settings()
    del no_filter["filter"]
    del no_filter["destination"]
    return [import_settings(), export_settings(), tab, json_feed, xlsx, no_filter]


@pytest.mark.parametrize(
    "data", _variants(), ids=["import", "export", "tab-csv", "json", "xlsx", "export-no-filter"]
)
def test_to_dict_round_trips_through_parse_profile(data: dict[str, Any]) -> None:
    profile = parse_profile(data)
    assert parse_profile(profile.to_dict()) == profile


def test_to_dict_is_the_shape_of_the_toml_file() -> None:
    data = parse_profile(import_settings()).to_dict()
    assert data["source"]["delimiter"] == ";"
    assert data["match"] == {"feed": "sku", "catalog": "reference"}
    assert data["options"] == {"create_missing": False, "skip_unchanged": True}
    assert parse_profile(export_settings()).to_dict()["destination"] == {"location": "exports/"}


# --- mistakes, each named by its field ----------------------------------------------------------


def test_a_bad_schedule_is_named() -> None:
    data = import_settings()
    data["schedule"] = "61 * * * *"
    found = mistakes(data)
    assert list(found) == ["schedule"]
    assert found["schedule"].startswith("'61 * * * *' is not a valid cron expression")


def test_six_cron_fields_are_refused() -> None:
    data = import_settings()
    data["schedule"] = "0 0 * * * *"
    assert "needs 5 fields" in mistakes(data)["schedule"]


def test_a_mapping_to_no_catalog_field_is_named() -> None:
    data = import_settings()
    data["mapping"]["prise"] = "net_price"
    with pytest.raises(ProfileError) as caught:
        parse_profile(data)
    assert "mapping.prise: no such catalog field" in str(caught.value)
    assert [name for name, _ in caught.value.errors] == ["mapping.prise"]


def test_the_product_id_cannot_be_imported() -> None:
    data = import_settings()
    data["mapping"]["id"] = "product_id"
    assert "cannot be imported" in mistakes(data)["mapping.id"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"colour": "red"}, "colour", "is not a setting of this profile"),
        ({"fields": {"sku": "reference"}}, "fields", "is not a setting of this profile"),
        ({"kind": "sync"}, "kind", "'sync' is neither import nor export"),
        ({"name": "  "}, "name", "is required"),
        ({"timezone": "Mars/Base"}, "timezone", "'Mars/Base' is not a known time zone"),
        ({"timezone": "Europe"}, "timezone", "'Europe' is not a known time zone"),
        ({"batch_size": 0}, "batch_size", "must be between 1 and 100,000, not 0"),
        ({"batch_size": 100_001}, "batch_size", "must be between 1 and 100,000, not 100001"),
        ({"batch_size": "abc"}, "batch_size", "must be a whole number, not 'abc'"),
        ({"batch_size": 2.5}, "batch_size", "must be a whole number, not 2.5"),
        ({"batch_size": True}, "batch_size", "must be a whole number, not True"),
        ({"enabled": "maybe"}, "enabled", "'maybe' is not yes/no, true/false or 1/0"),
    ],
)
def test_a_top_level_mistake_is_named(change: dict[str, Any], field: str, message: str) -> None:
    data = import_settings()
    data.update(change)
    found = mistakes(data)
    assert list(found) == [field]
    assert found[field].startswith(message)


@pytest.mark.parametrize(
    ("source", "field", "message"),
    [
        ({"format": "txt"}, "source.format", "'txt' is not one of csv, json, jsonl, xml, xlsx"),
        ({"delimiter": ";;"}, "source.delimiter", "must be one character, not ';;'"),
        ({"delimiter": ""}, "source.delimiter", "must be one character, not ''"),
        ({"quotechar": "''"}, "source.quotechar", "must be one character"),
        ({"encoding": "klingon"}, "source.encoding", "'klingon' is not a known encoding"),
        ({"location": ""}, "source.location", "is required"),
        ({"compression": "gz"}, "source.compression", "is not a setting of this profile"),
    ],
)
def test_a_source_mistake_is_named(source: dict[str, Any], field: str, message: str) -> None:
    data = import_settings()
    data["source"].update(source)
    found = mistakes(data)
    assert list(found) == [field]
    assert found[field].startswith(message)


def test_an_import_without_mapping_says_what_to_add() -> None:
    data = import_settings()
    del data["mapping"]
    assert mistakes(data) == {
        "mapping": "maps no field: add at least one 'catalog field = feed field' line"
    }


def test_an_export_without_fields_says_what_to_add() -> None:
    data = export_settings()
    del data["fields"]
    assert mistakes(data) == {
        "fields": "exports no field: add at least one 'output field = catalog field' line"
    }


def test_an_export_field_must_be_a_catalog_field() -> None:
    data = export_settings()
    data["fields"]["stock"] = "stok"
    assert mistakes(data)["fields.stock"].startswith("'stok' is no catalog field")


@pytest.mark.parametrize("match", ["sku", "name"])
def test_the_catalog_match_key_must_identify_a_product(match: str) -> None:
    data = import_settings()
    data["match"]["catalog"] = match
    assert mistakes(data) == {
        "match.catalog": f"'{match}' is not one of reference, ean13, id"
    }


def test_products_matched_by_id_cannot_be_created() -> None:
    data = import_settings()
    data["match"]["catalog"] = "id"
    data["options"]["create_missing"] = True
    assert mistakes(data) == {"options.create_missing": "cannot create products matched by id"}


def test_products_matched_by_id_may_be_updated() -> None:
    data = import_settings()
    data["match"]["catalog"] = "id"
    assert parse_profile(data).match_catalog == "id"


def test_several_mistakes_are_reported_together() -> None:
    data = import_settings()
    data.update(schedule="61 * * * *", timezone="Mars/Base", batch_size=0, colour="red")
    data["source"].update(format="txt", delimiter=";;")
    data["mapping"]["prise"] = "net_price"
    with pytest.raises(ProfileError) as caught:
        parse_profile(data)
    assert {name for name, _ in caught.value.errors} == {
        "schedule", "timezone", "batch_size", "colour",
        "source.format", "source.delimiter", "mapping.prise",
    }
    text = str(caught.value)
    assert "timezone: 'Mars/Base' is not a known time zone" in text
    assert "; batch_size: must be between 1 and 100,000, not 0" in text


def test_a_profile_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="name: is required"):
        parse_profile({"kind": "export", "fields": {"sku": "reference"}})


# --- words people write -----------------------------------------------------------------------


def test_booleans_from_words_in_options() -> None:
    data = import_settings()
    data["options"] = {"create_missing": "yes", "skip_unchanged": "Off"}
    data["enabled"] = "no"
    profile = parse_profile(data)
    assert (profile.create_missing, profile.skip_unchanged, profile.enabled) == (True, False, False)


def test_a_batch_size_typed_in_a_form_is_read_as_a_number() -> None:
    data = import_settings()
    data["batch_size"] = " 250 "
    assert parse_profile(data).batch_size == 250


@pytest.mark.parametrize("written", ["tab", "\\t", "\t"])
def test_a_tab_delimiter_may_be_written_as_a_word(written: str) -> None:
    data = import_settings()
    data["source"]["delimiter"] = written
    assert parse_profile(data).source == SourceSpec(
        location="feeds/supplier-a.csv", format="csv", delimiter="\t"
    )


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("feeds/a.json", "json"),
        ("feeds/a.ndjson", "jsonl"),
        ("https://example.com/a.xml?token=1", "xml"),
        ("feeds/a.XLSX", "xlsx"),
        ("feeds/a.txt", "csv"),
    ],
)
def test_the_format_is_guessed_from_the_location(location: str, expected: str) -> None:
    data = import_settings()
    data["source"] = {"location": location}
    source = parse_profile(data).source
    assert source is not None
    assert source.format == expected


def test_an_export_without_filter_exports_active_and_inactive_products() -> None:
    data = export_settings()
    del data["filter"]
    profile = parse_profile(data)
    assert (profile.filter_active, profile.changed_since_last_export) == (None, False)


# --- set_dotted (profile edit --set) ----------------------------------------------------------


def test_set_dotted_changes_a_nested_setting_and_nothing_else() -> None:
    data = import_settings()
    before = copy.deepcopy(data)
    set_dotted(data, "source.delimiter", ",")
    before["source"]["delimiter"] = ","
    assert data == before


def test_set_dotted_sets_a_top_level_setting() -> None:
    data = import_settings()
    set_dotted(data, "batch_size", 50)
    assert parse_profile(data).batch_size == 50


def test_set_dotted_creates_a_missing_table() -> None:
    data = import_settings()
    del data["options"]
    set_dotted(data, "options.create_missing", True)
    assert data["options"] == {"create_missing": True}
    assert parse_profile(data).create_missing is True


def test_set_dotted_replaces_a_value_that_is_not_a_table() -> None:
    data: dict[str, Any] = {"destination": "exports/"}
    set_dotted(data, "destination.location", "out/")
    assert data == {"destination": {"location": "out/"}}


def test_an_edit_that_makes_a_mistake_is_named() -> None:
    data = parse_profile(import_settings()).to_dict()
    set_dotted(data, "mapping.prise", "net_price")
    assert list(mistakes(data)) == ["mapping.prise"]
