"""CSV and XML export files from the same [fields] as JSON (issue 11): written from the
parts file product by product, delivered to a folder and to a real HTTP server on 127.0.0.1
with their content type."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from helpers import add_products, add_profile, drain, task_of

from feedserver import header_server
from syncbeat.domain.profile import ProfileError, parse_profile
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.context import sqlite_file
from syncbeat.feeds.netguard import HostPolicy
from syncbeat.feeds.reach import Reach
from syncbeat.store.db import write_tx
from syncbeat.store.tables import products


def export(ctx: Any, destination: dict[str, Any], **fields: str) -> Any:
    profile = add_profile(ctx, {
        "name": f"Export {destination}", "kind": "export", "batch_size": 2,
        "fields": fields or {"sku": "reference", "title": "name", "price": "price",
                             "qty": "quantity", "active": "active"},
        "destination": destination})
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED, task.message
    return task


@pytest.fixture
def catalog(ctx: Any) -> Any:
    add_products(ctx, ("A1", "10.50", 3), ("A2", "5.00", 0), ("A3", "7.25", 9))
    with write_tx(ctx.db) as conn:
        conn.execute(products.update().where(products.c.reference == "A2").values(
            name='Tom & "Jerry" <mug>;\x01', active=False))
    return ctx


def test_a_csv_export_has_a_header_and_a_row_per_product(catalog):
    task = export(catalog, {"location": "exports/", "format": "csv", "delimiter": ";"})
    [delivered] = list((catalog.data_dir / "exports").iterdir())
    assert delivered.name.endswith(".csv")
    assert delivered.read_bytes() == (
        b"sku;title;price;qty;active\r\n"
        b"A1;A1;10.50;3;true\r\n"
        b'A2;"Tom & ""Jerry"" <mug>;\x01";5.00;0;false\r\n'
        b"A3;A3;7.25;9;true\r\n")
    assert (catalog.task_dir(task.id) / "export.csv").read_bytes() == delivered.read_bytes()


def test_an_xml_export_has_an_element_per_product_and_field(catalog):
    task = export(catalog, {"location": "exports/", "format": "xml", "item": "offer"})
    [delivered] = list((catalog.data_dir / "exports").iterdir())
    assert delivered.name.endswith(".xml")
    root = ET.fromstring(delivered.read_bytes())
    assert root.tag == "products"
    assert (root.get("profile"), root.get("task"), root.get("count")) == (
        task.profile_name, str(task.id), "3")
    offers = [{child.tag: child.text for child in offer} for offer in root.findall("offer")]
    assert offers == [
        {"sku": "A1", "title": "A1", "price": "10.50", "qty": "3", "active": "true"},
        {"sku": "A2", "title": 'Tom & "Jerry" <mug>;\ufffd', "price": "5.00", "qty": "0",
         "active": "false"},
        {"sku": "A3", "title": "A3", "price": "7.25", "qty": "9", "active": "true"},
    ]


def test_a_csv_export_is_sent_with_its_content_type(catalog):
    catalog.reach = Reach.create(data_dir=catalog.data_dir, database=sqlite_file(catalog.db),
                                 hosts=HostPolicy.parse("127.0.0.1"))
    with header_server({}) as server:
        export(catalog, {"location": server.url("/in"), "format": "csv"},
               sku="reference", price="price")
    sent = server.seen[-1]
    assert sent["headers"]["Content-Type"] == "text/csv; charset=utf-8"  # type: ignore[index]
    assert sent["body"] == b"sku,price\r\nA1,10.50\r\nA2,5.00\r\nA3,7.25\r\n"


def test_an_export_without_a_destination_keeps_its_format(catalog):
    task = export(catalog, {"format": "xml"}, sku="reference")
    assert (catalog.task_dir(task.id) / "export.xml").read_bytes().startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<products ')


@pytest.mark.parametrize(("destination", "fields", "error"), [
    ({"format": "yaml"}, {"sku": "reference"},
     ("destination.format", "'yaml' is not one of json, csv, xml")),
    ({"format": "xml"}, {"1st": "reference"},
     ("fields.1st", "'1st' cannot be an XML element name (letters, digits, _ . and -, "
                    "starting with a letter or _, not with xml)")),
    ({"format": "csv", "delimiter": "ab"}, {"sku": "reference"},
     ("destination.delimiter", "must be one character, not 'ab'")),
])
def test_a_wrong_format_is_refused_naming_the_setting(destination, fields, error):
    with pytest.raises(ProfileError) as refused:
        parse_profile({"name": "X", "kind": "export", "fields": fields,
                       "destination": destination})
    assert error in refused.value.errors
