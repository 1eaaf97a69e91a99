"""XML feeds: fields by path and attribute, safety against entities, broken documents."""

from __future__ import annotations

import pathlib

import feedtools
import pytest
from feedtools import read_until_error

from syncbeat.feeds import FeedError, FeedSpec, limits, open_feed

XML = FeedSpec(format="xml")
CATALOG = b"""<?xml version="1.0" encoding="UTF-8"?>
<catalog>
  <info><source>shop</source></info>
  <product id="1">
    <sku>A-1</sku>
    <name>Chair &amp; cushion</name>
    <price currency="EUR"><net>10.00</net><gross>12.10</gross></price>
    <description>Soft <b>and</b> strong</description>
    <note/>
  </product>
  <product id="2">
    <sku>A-2</sku>
    <name><![CDATA[Table <large>]]></name>
  </product>
</catalog>
"""


def write(tmp_path: pathlib.Path, data: bytes | str) -> pathlib.Path:
    return feedtools.write(tmp_path, data, "feed.xml")


def read(path: pathlib.Path, spec: FeedSpec, fields: list[str]) -> list[object]:
    with open_feed(path, spec, fields) as feed:
        assert feed.columns is None  # XML has no header row
        return list(feed.records())


def test_children_attributes_and_nested_paths(tmp_path: pathlib.Path) -> None:
    fields = ["sku", "@id", "name", "price/net", "price/@currency", "description", "note", "ean"]
    assert read(write(tmp_path, CATALOG), XML, fields) == [
        ("A-1", "1", "Chair & cushion", "10.00", "EUR", "Soft and strong", "", None),
        ("A-2", "2", "Table <large>", None, None, None, None, None),
    ]


def test_another_item_tag_and_a_namespace(tmp_path: pathlib.Path) -> None:
    data = (
        '<feed xmlns="http://example.com/ns"><offer><id>1</id></offer>'
        "<offer><id>2</id></offer></feed>"
    )
    spec = FeedSpec(format="xml", item="offer")
    assert read(write(tmp_path, data), spec, ["id"]) == [("1",), ("2",)]


def test_an_empty_catalog_has_no_records(tmp_path: pathlib.Path) -> None:
    assert read(write(tmp_path, "<catalog/>"), XML, ["sku"]) == []


def test_a_wrong_item_tag_names_the_tags_found(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "<catalog><item><sku>A</sku></item></catalog>")
    with pytest.raises(FeedError) as failure:
        open_feed(path, XML, ["sku"])
    assert str(failure.value) == (
        "the XML feed has no <product> elements; it holds <catalog>, <item>, <sku>; "
        "set source.item to the tag of one product"
    )


def test_external_entities_are_refused(tmp_path: pathlib.Path) -> None:
    data = """<?xml version="1.0"?>
<!DOCTYPE catalog [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<catalog><product><sku>&xxe;</sku></product></catalog>"""
    with pytest.raises(FeedError, match=r"declares entities .* which syncbeat refuses for safety"):
        open_feed(write(tmp_path, data), XML, ["sku"])


def test_billion_laughs_is_refused(tmp_path: pathlib.Path) -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE lolz [{"".join(entities)}]>\n'
        "<catalog><product><sku>&lol9;</sku></product></catalog>"
    )
    with pytest.raises(FeedError, match="declares entities"):
        open_feed(write(tmp_path, data), XML, ["sku"])


def test_a_doctype_without_entities_is_fine(tmp_path: pathlib.Path) -> None:
    data = (
        '<!DOCTYPE catalog SYSTEM "http://example.com/catalog.dtd"><catalog><product>'
        "<sku>A</sku></product></catalog>"
    )
    assert read(write(tmp_path, data), XML, ["sku"]) == [("A",)]


def test_xml_broken_in_the_middle_yields_the_good_records_first(tmp_path: pathlib.Path) -> None:
    products = "".join(f"<product><sku>P{i}</sku></product>\n" for i in range(1, 2001))
    data = f"<catalog>\n{products}<product><sku>bad</skux></product>\n</catalog>"
    got, message = read_until_error(write(tmp_path, data), XML, ["sku"])
    assert got == [(f"P{i}",) for i in range(1, 2001)]
    assert message.startswith(
        "the XML feed is malformed at line 2002 after record 2000: "
        "Opening and ending tag mismatch: sku line 2002 and skux"
    )


def test_truncated_xml(tmp_path: pathlib.Path) -> None:
    data = "<catalog><product><sku>A</sku></product><product><sku>B</s"
    got, message = read_until_error(write(tmp_path, data), XML, ["sku"])
    assert got == [("A",)]
    assert message.startswith("the XML feed is malformed at line 1 after record 1: ")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the feed is empty"),
        (b"sku,name\nA,B\n", "the feed is not XML: Start tag expected, '<' not found"),
        (b"<catalog><info a=1></info>", "the XML feed is malformed at line 1: "),
    ],
)
def test_whole_feed_failures_at_open(tmp_path: pathlib.Path, data: bytes, message: str) -> None:
    with pytest.raises(FeedError) as failure:
        open_feed(write(tmp_path, data), XML, ["sku"])
    assert str(failure.value).startswith(message)


def test_latin1_bytes_in_a_utf8_feed(tmp_path: pathlib.Path) -> None:
    path = write(
        tmp_path,
        b"<catalog>\n<product><sku>A</sku></product>\n<product><sku>Cr\xe8me</sku></product></catalog>",
    )
    got, message = read_until_error(path, XML, ["sku"])
    assert got == [("A",)]
    assert message.startswith("the feed is not valid utf-8 at byte 59 (0xE8), line 3;")


def test_the_declared_encoding_is_honoured(tmp_path: pathlib.Path) -> None:
    data = (
        '<?xml version="1.0" encoding="windows-1257"?><catalog><product><sku>Šilutė</sku>'
        "</product></catalog>"
    )
    assert read(write(tmp_path, data.encode("windows-1257")), XML, ["sku"]) == [("Šilutė",)]


def test_source_encoding_overrides_a_missing_declaration(tmp_path: pathlib.Path) -> None:
    data = "<catalog><product><sku>Šilutė</sku></product></catalog>".encode("windows-1257")
    spec = FeedSpec(format="xml", encoding="windows-1257")
    assert read(write(tmp_path, data), spec, ["sku"]) == [("Šilutė",)]


def test_plain_children_the_first_of_a_tag_wins(tmp_path: pathlib.Path) -> None:
    data = (
        "<catalog><product><sku>A</sku><!-- note --><name>first</name><name>second</name>"
        "<d>x<i>y</i>z</d><e/></product></catalog>"
    )
    assert read(write(tmp_path, data), XML, ["name", "d", "e", "sku", "ean"]) == [
        ("first", "xyz", "", "A", None)
    ]


def test_paths_and_attributes_in_a_namespace(tmp_path: pathlib.Path) -> None:
    data = (
        '<c:catalog xmlns:c="urn:c" xmlns="urn:p"><product id="7"><price cur="EUR"><net>5</net>'
        "</price></product></c:catalog>"
    )
    fields = ["@id", "price/net", "price/@cur", "{urn:p}price/{urn:p}net", "{urn:p}price"]
    assert read(write(tmp_path, data), XML, fields) == [("7", "5", "EUR", "5", "5")]


def test_a_product_element_over_the_size_limit_stops_the_feed_after_the_ones_before(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "XML_ELEMENT", 100_000)
    products = "".join(f"<product><sku>A{i}</sku></product>\n" for i in range(3000))
    huge = "<product><sku>BIG</sku>" + "<line>a line of text</line>\n" * 20_000 + "</product>"
    data = f"<catalog>\n{products}{huge}\n<product><sku>C</sku></product></catalog>"
    got, message = read_until_error(write(tmp_path, data), XML, ["sku"])
    assert got == [(f"A{i}",) for i in range(3000)]
    assert message.startswith("line ")
    assert message.endswith(
        ": the <product> element after record 3000 runs over 100,000 bytes and is not closed "
        "yet; syncbeat reads at most 100,000 bytes a product"
    )


def test_products_under_the_size_limit_are_read_however_many(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "XML_ELEMENT", 100_000)
    products = "".join(f"<product><sku>A{i}</sku><d>{'x' * 500}</d></product>" for i in range(3000))
    got = read(write(tmp_path, f"<catalog>{products}</catalog>"), XML, ["sku"])
    assert got == [(f"A{i}",) for i in range(3000)]


def test_nesting_deeper_than_the_xml_parser_allows_is_refused(tmp_path: pathlib.Path) -> None:
    data = "<catalog><product><sku>A</sku></product>" + "<x>" * 5000 + "</x>" * 5000 + "</catalog>"
    got, message = read_until_error(write(tmp_path, data), XML, ["sku"])
    assert got == [("A",)]
    assert "Excessive depth in document: 256" in message
