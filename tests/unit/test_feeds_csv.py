"""CSV feeds: values, bad rows, encodings, dialects and whole-feed failures."""

from __future__ import annotations

import pathlib

import pytest
from feedtools import read, read_until_error, write

from syncbeat.feeds import FeedError, FeedSpec, RowError, open_feed
from syncbeat.feeds.csvfeed import FIELD_LIMIT

CSV = FeedSpec(format="csv")


def test_reads_the_fields_in_the_order_asked(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, " sku , name,price\nA-1,Chair,12.50\nA-2,,7\n")
    with open_feed(path, CSV, ["price", "sku"]) as feed:
        assert feed.columns == ["sku", "name", "price"]
        assert list(feed.records()) == [("12.50", "A-1"), ("7", "A-2")]


def test_one_field_still_gives_tuples(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "sku,name\nA,Chair\nB,Table\n")
    assert read(path, CSV, ["name"]) == [("Chair",), ("Table",)]


def test_a_row_of_the_wrong_width_is_a_row_error_and_reading_goes_on(
    tmp_path: pathlib.Path,
) -> None:
    path = write(tmp_path, "sku,name,price\nA,Chair,1\nB,Table\nC,Lamp,3,extra\nD,Desk,4\n")
    assert read(path, CSV, ["sku", "price"]) == [
        ("A", "1"),
        RowError(line=2, key="B", message="row 2 has 2 columns, the header has 3"),
        RowError(line=3, key="C", message="row 3 has 4 columns, the header has 3"),
        ("D", "4"),
    ]


def test_row_error_key_is_none_when_the_key_column_is_missing(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "name,price,sku\nChair,1\n")
    assert read(path, CSV, ["sku"]) == [
        RowError(line=1, key=None, message="row 1 has 2 columns, the header has 3")
    ]


def test_blank_lines_are_skipped_and_not_counted(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "\nsku,name\n\nA,Chair\n\n\nB\r\nC,Lamp\n\n")
    assert read(path, CSV, ["sku", "name"]) == [
        ("A", "Chair"),
        RowError(line=2, key="B", message="row 2 has 1 columns, the header has 2"),
        ("C", "Lamp"),
    ]


def test_semicolons_quotes_and_newlines_inside_quotes(tmp_path: pathlib.Path) -> None:
    data = 'sku;description;price\nA;"two\r\nlines; and ""quotes""";1,50\nB;plain;2\n'
    spec = FeedSpec(format="csv", delimiter=";")
    assert read(write(tmp_path, data), spec, ["sku", "description", "price"]) == [
        ("A", 'two\r\nlines; and "quotes"', "1,50"),
        ("B", "plain", "2"),
    ]


def test_tab_delimiter_and_another_quote_character(tmp_path: pathlib.Path) -> None:
    spec = FeedSpec(format="csv", delimiter="\\t", quotechar="'")
    path = write(tmp_path, "sku\tname\nA\t'a\tb'\n")
    assert read(path, spec, ["name"]) == [("a\tb",)]


def test_no_header_names_columns_by_number(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "A,Chair,1\nB,Table\nC,Lamp,3\n")
    with open_feed(path, FeedSpec(format="csv", header=False), ["1", "3"]) as feed:
        assert feed.columns == ["1", "2", "3"]
        assert list(feed.records()) == [
            ("A", "1"),
            RowError(line=2, key="B", message="row 2 has 2 columns, the first row has 3"),
            ("C", "3"),
        ]


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbfsku,name\nA,Kr\xc3\xa9me\n")
    assert read(path, CSV, ["sku", "name"]) == [("A", "Kr\u00e9me")]


def test_windows_1257_feed_read_with_its_encoding(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "sku,name\nLT-1,Šilutės sūris\n".encode("windows-1257"))
    spec = FeedSpec(format="csv", encoding="windows-1257")
    assert read(path, spec, ["name"]) == [("Šilutės sūris",)]


def test_latin1_bytes_in_a_utf8_feed_after_many_good_rows(tmp_path: pathlib.Path) -> None:
    good = "".join(f"SKU-{i:05d},Product {i}\n" for i in range(1, 3001))
    head = ("sku,name\n" + good).encode()
    path = write(tmp_path, head + b"SKU-BAD,Cr\xe8me\nSKU-AFTER,x\n")
    got, message = read_until_error(path, CSV, ["sku"])
    assert got == [(f"SKU-{i:05d}",) for i in range(1, 3001)]  # every good row before it
    assert message == (
        f"the feed is not valid utf-8 at byte {len(head) + 11} (0xE8), line 3002; "
        "set source.encoding to the feed's real encoding (for example windows-1257)"
    )


def test_latin1_bytes_early_in_the_feed_still_yield_the_rows_before(
    tmp_path: pathlib.Path,
) -> None:
    path = write(tmp_path, b"sku,name\nA,ok\nB,Cr\xe8me\nC,after\n")
    got, message = read_until_error(path, CSV, ["sku", "name"])
    assert got == [("A", "ok")]
    assert message.startswith("the feed is not valid utf-8 at byte 19 (0xE8), line 3;")


def test_latin1_bytes_in_the_header_fail_at_open(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, b"sku,d\xe9signation\nA,x\n")
    with pytest.raises(FeedError, match=r"not valid utf-8 at byte 6 \(0xE9\), line 1;"):
        open_feed(path, CSV, ["sku"])


def test_a_missing_column_names_the_columns_there_are(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "id,name,price\n1,Chair,3\n")
    with pytest.raises(FeedError) as failure:
        open_feed(path, CSV, ["sku", "price"])
    assert (
        str(failure.value) == "the CSV feed has no column 'sku'; its columns are: id, name, price"
    )


def test_a_wrong_delimiter_is_hinted_at(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "sku;name\nA;Chair\n")
    with pytest.raises(FeedError, match=r"is the delimiter really ','\? set source.delimiter"):
        open_feed(path, CSV, ["sku"])


@pytest.mark.parametrize("data", ["", "\n\n\r\n"])
def test_an_empty_feed_fails_at_open(tmp_path: pathlib.Path, data: str) -> None:
    with pytest.raises(FeedError, match="the feed is empty"):
        open_feed(write(tmp_path, data), CSV, ["sku"])


def test_a_header_without_rows_has_no_records(tmp_path: pathlib.Path) -> None:
    assert read(write(tmp_path, "sku,name\n"), CSV, ["sku"]) == []


def test_a_quote_left_open_past_the_size_limit_is_that_rows_error(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write('sku,description\nA,short\nB,"never closed\n')
        out.write("x" * (FIELD_LIMIT + 10))
        out.write("\nC,after\n")
    assert read(path, CSV, ["sku"]) == [
        ("A",),
        RowError(
            line=2,
            key=None,
            message="row 2: a quoted field opened on row 2 (line 3) runs over 10 MB without "
            "closing; check the quotes of that row",
        ),
        # The lines after the opening one are read again as rows: the long one is too long.
        RowError(
            line=3,
            key=None,
            message="row 3 (line 4) has a field longer than 10 MB; syncbeat reads at most 10 MB "
            "a field",
        ),
        ("C",),
    ]


def test_a_field_over_the_size_limit_on_one_line_is_that_rows_error(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "huge.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("sku,description\nA,short\nB,")
        out.write("x" * (FIELD_LIMIT + 10))
        out.write("\nC,after\n")
    assert read(path, CSV, ["sku"]) == [
        ("A",),
        RowError(
            line=2,
            key=None,
            message="row 2 (line 3) has a field longer than 10 MB; syncbeat reads at most 10 MB "
            "a field",
        ),
        ("C",),
    ]


SEMI = FeedSpec(format="csv", delimiter=";")
HEADER = "sku;title;net_price;stock\n"


def rows(first: int, last: int) -> str:
    return "".join(f"A-{i};Item {i};{i}.00;{i}\n" for i in range(first, last + 1))


def test_a_description_of_paragraphs_in_quotes_stays_one_field(tmp_path: pathlib.Path) -> None:
    paragraphs = [
        "Solid oak chair, made by hand; oiled, not varnished.",
        "",
        "Seat height 45 cm, width 50 cm, depth 48 cm; weight 6 kg.",
        "Care: wipe with a damp cloth, dry at once; no detergents.",
        "- Oak, from Lithuanian forests",
        "- Linseed oil, two coats",
        "",
        "Delivered assembled.",
        "Guarantee: 5 years, on frame; 2 years, on finish.",
        "Questions? Write to us; we answer within a day.",
        "Made in Vilnius",
    ]
    text = "\n".join(paragraphs)  # ten line breaks
    path = write(tmp_path, f'{HEADER}A-1;"{text}";12.50;3\nA-2;Table;7.00;1\n')
    assert read(path, SEMI, ["sku", "title", "stock"]) == [
        ("A-1", text, "3"),
        ("A-2", "Table", "1"),
    ]


def test_a_quote_left_open_over_twenty_rows_is_that_rows_error_and_they_are_read(
    tmp_path: pathlib.Path,
) -> None:
    # The quote opened on row 2 closes only at the quote of row 23: today those twenty rows
    # became one product's name and the row had the right width.
    data = HEADER + "A-0;Stool;1.00;1\nA-1;\"Chair;12.50;3\n" + rows(2, 21)
    data += 'A-22;"Desk";9.00;1\nA-23;Lamp;1.00;1\n'
    got = read(write(tmp_path, data), SEMI, ["sku", "title"])
    assert got[:3] == [
        ("A-0", "Stool"),
        RowError(
            line=2,
            key="A-1",
            message="row 2: a quoted field opened on row 2 (line 3) swallows 20 lines that look "
            "like rows of the feed; check the quotes of that row",
        ),
        ("A-2", "Item 2"),
    ]
    assert got[3:] == [(f"A-{i}", f"Item {i}") for i in range(3, 22)] + [
        ("A-22", "Desk"),
        ("A-23", "Lamp"),
    ]


def test_a_quote_left_open_to_the_end_of_the_file(tmp_path: pathlib.Path) -> None:
    data = HEADER + "A-1;\"Chair;12.50;3\n" + rows(2, 4)
    assert read(write(tmp_path, data), SEMI, ["sku"]) == [
        RowError(
            line=1,
            key="A-1",
            message="row 1: a quoted field opened on row 1 (line 2) swallows 3 lines that look "
            "like rows of the feed; check the quotes of that row",
        ),
        ("A-2",),
        ("A-3",),
        ("A-4",),
    ]


def test_two_quotes_left_open_and_rows_numbered_past_blank_lines(tmp_path: pathlib.Path) -> None:
    data = (
        HEADER + "\n" + 'A-1;"two\nlines";1.00;1\n' + "A-2;\"Chair;1.00;1\n" + rows(3, 5)
        + "A-6;\"Desk;1.00;1\n\n" + rows(7, 8) + "A-9;Lamp\n"
    )
    assert read(write(tmp_path, data), SEMI, ["sku", "title"]) == [
        ("A-1", "two\nlines"),
        RowError(
            line=2,
            key="A-2",
            message="row 2: a quoted field opened on row 2 (line 5) swallows 3 lines that look "
            "like rows of the feed; check the quotes of that row",
        ),
        ("A-3", "Item 3"),
        ("A-4", "Item 4"),
        ("A-5", "Item 5"),
        RowError(
            line=6,
            key="A-6",
            message="row 6: a quoted field opened on row 6 (line 9) swallows 2 lines that look "
            "like rows of the feed; check the quotes of that row",
        ),
        ("A-7", "Item 7"),
        ("A-8", "Item 8"),
        RowError(line=9, key="A-9", message="row 9 has 2 columns, the header has 4"),
    ]


def test_line_numbers_hold_with_windows_line_ends(tmp_path: pathlib.Path) -> None:
    # A-1's field holds four line breaks ("\r", "\r\n", "\r", "\r\n"): lines 2 to 6.
    data = HEADER + 'A-1;"two\r\nlines\rand\nmore";1.00;1\n' + "A-2;\"Chair;1.00;1\n" + rows(3, 4)
    assert read(write(tmp_path, data.replace("\n", "\r\n")), SEMI, ["sku", "title"]) == [
        ("A-1", "two\r\r\nlines\rand\r\nmore"),
        RowError(
            line=2,
            key="A-2",
            message="row 2: a quoted field opened on row 2 (line 7) swallows 2 lines that look "
            "like rows of the feed; check the quotes of that row",
        ),
        ("A-3", "Item 3"),
        ("A-4", "Item 4"),
    ]


@pytest.mark.parametrize("good", [0, 3000])  # the bad byte found at open, or midway
def test_a_quote_left_open_before_a_bad_byte(tmp_path: pathlib.Path, good: int) -> None:
    data = (HEADER + rows(1, good) + "B-1;\"Chair;1.00;1\n" + rows(4001, 4003)).encode()
    path = write(tmp_path, data + b"B-2;Cr\xe8me;1.00;1\nB-3;x;1.00;1\n")
    got, message = read_until_error(path, SEMI, ["sku"])
    assert got == [(f"A-{i}",) for i in range(1, good + 1)] + [
        RowError(
            line=good + 1,
            key="B-1",
            message=f"row {good + 1}: a quoted field opened on row {good + 1} (line {good + 2}) "
            "swallows 5 lines that look like rows of the feed; check the quotes of that row",
        ),  # it runs to the end, over the bad byte: the rows before that byte are read again
        ("A-4001",),
        ("A-4002",),
        ("A-4003",),
    ]
    assert message.startswith(f"the feed is not valid utf-8 at byte {len(data) + 7} (0xE8), line")


def test_a_quoted_field_over_the_line_break_limit_is_that_rows_error(
    tmp_path: pathlib.Path,
) -> None:
    text = "\n".join(f"line {i} of a very long text" for i in range(201))  # 200 breaks
    data = f'{HEADER}A-1;"{text}";1.00;1\nA-2;"{text}\nand one more";1.00;1\nA-3;x;1.00;1\n'
    assert read(write(tmp_path, data), SEMI, ["sku", "stock"]) == [
        ("A-1", "1"),
        RowError(
            line=2,
            key="A-2",
            message="row 2: a quoted field opened on row 2 (line 203) runs over 200 line breaks "
            "without closing; check the quotes of that row",
        ),
        ("A-3", "1"),
    ]


def test_a_quote_left_open_in_a_large_feed_keeps_its_row_numbers(tmp_path: pathlib.Path) -> None:
    data = HEADER + rows(1, 1000) + "B-1;\"Chair;1.00;1\n" + rows(1002, 3000)
    data += 'B-2;"Desk";1.00;1\n'
    got = read(write(tmp_path, data), SEMI, ["sku"])
    assert len(got) == 3001
    assert got[1000] == RowError(
        line=1001,
        key="B-1",
        message="row 1001: a quoted field opened on row 1001 (line 1002) swallows 1999 lines "
        "that look like rows of the feed; check the quotes of that row",
    )
    assert got[1001:1003] == [("A-1002",), ("A-1003",)]
    assert got[-1] == ("B-2",)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (FeedSpec(format="csv", delimiter=";;"), "source.delimiter must be one character"),
        (FeedSpec(format="csv", encoding="klingon"), "the encoding 'klingon' is not known"),
        (FeedSpec(format="xls"), "the feed format 'xls' is not supported"),
    ],
)
def test_bad_options_are_named(tmp_path: pathlib.Path, spec: FeedSpec, words: str) -> None:
    with pytest.raises(FeedError, match=words):
        open_feed(write(tmp_path, "sku\nA\n"), spec, ["sku"])


def test_a_missing_snapshot_is_a_feed_error(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FeedError, match="does not exist"):
        open_feed(tmp_path / "nope.csv", CSV, ["sku"])


def test_records_can_be_read_only_once(tmp_path: pathlib.Path) -> None:
    with open_feed(write(tmp_path, "sku\nA\n"), CSV, ["sku"]) as feed:
        assert list(feed.records()) == [("A",)]
        with pytest.raises(RuntimeError):
            feed.records()


@pytest.mark.parametrize(("fmt", "text"), [
    ("csv", "sku,name\nA,x\n"),
    ("json", '[{"sku": "A", "name": "x"}]'),
    ("jsonl", '{"sku": "A", "name": "x"}\n'),
])
def test_utf16_declared_without_a_byte_order_mark_is_refused_in_words(
    tmp_path: pathlib.Path, fmt: str, text: str
) -> None:
    path = write(tmp_path, text.encode("utf-16-le"), f"feed.{fmt}")
    with pytest.raises(FeedError) as failure:
        read(path, FeedSpec(format=fmt, encoding="utf-16"), ["sku", "name"])
    assert str(failure.value) == (
        "the feed does not start with a byte order mark, which utf-16 needs to know its byte "
        "order; set source.encoding to utf-16-le or utf-16-be, or to the feed's real encoding "
        "(for example utf-8)"
    )
    # With the byte order named, the same bytes read.
    assert read(path, FeedSpec(format=fmt, encoding="utf-16-le"), ["sku", "name"]) == [("A", "x")]
