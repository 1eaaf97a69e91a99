"""JSON and JSON lines feeds: values as text, bad records, whole-feed failures."""

from __future__ import annotations

import io
import json
import pathlib
import random

import feedtools
import pytest
from feedtools import read, read_until_error

from syncbeat.feeds import FeedError, FeedSpec, RowError, limits, open_feed
from syncbeat.feeds.jsonfeed import DepthGuard

JSON = FeedSpec(format="json")
JSONL = FeedSpec(format="jsonl")


def write(tmp_path: pathlib.Path, data: bytes | str, name: str = "feed.json") -> pathlib.Path:
    return feedtools.write(tmp_path, data, name)


def test_values_become_their_text(tmp_path: pathlib.Path) -> None:
    path = write(
        tmp_path,
        '[{"sku": "A", "price": 12.5, "cost": 12.50, "stock": 7, "on": true, "off": false,'
        ' "note": null, "big": 123456789012345678901234567890},'
        ' {"sku": "B"}]',
    )
    fields = ["sku", "price", "cost", "stock", "on", "off", "note", "big"]
    assert read(path, JSON, fields) == [
        ("A", "12.5", "12.50", "7", "true", "false", None, "123456789012345678901234567890"),
        ("B", None, None, None, None, None, None, None),
    ]


def test_dots_reach_into_nested_objects_and_lists(tmp_path: pathlib.Path) -> None:
    path = write(
        tmp_path,
        '[{"sku": "A", "price": {"net": 10.00, "gross": 12.10}, "images": [{"url": "a.jpg"}],'
        ' "tags": ["x", 1.5], "odd.key": "dotted"}]',
    )
    fields = ["price.net", "images.0.url", "images.1.url", "tags", "odd.key", "sku.x"]
    assert read(path, JSON, fields) == [("10.00", "a.jpg", None, '["x", 1.5]', "dotted", None)]


def test_products_under_a_key_of_the_top_object(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, '{"generated": "today", "meta": {"n": [1]}, "products": [{"sku": "A"}]}')
    assert read(path, FeedSpec(format="json", item="products"), ["sku"]) == [("A",)]


def test_an_item_that_is_not_an_object_is_a_row_error(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, '[{"sku": "A"}, 5, ["B"], "C", null, {"sku": "D"}]')
    assert read(path, JSON, ["sku"]) == [
        ("A",),
        RowError(line=2, key=None, message="record 2 is a number, not an object"),
        RowError(line=3, key=None, message="record 3 is a list, not an object"),
        RowError(line=4, key=None, message="record 4 is a text, not an object"),
        RowError(line=5, key=None, message="record 5 is null, not an object"),
        ("D",),
    ]


def test_truncated_json_yields_the_good_records_first(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, '[{"sku": "A"}, {"sku": "B"}, {"sku": "C", "na')
    got, message = read_until_error(path, JSON, ["sku"])
    assert got == [("A",), ("B",)]
    assert message == "the JSON feed ends too early after record 2: is the file cut off?"


def test_broken_json_in_the_middle_names_the_record(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, '[{"sku": "A"} {"sku": "B"}]')
    got, message = read_until_error(path, JSON, ["sku"])
    assert got == [("A",)]
    assert message.startswith("the JSON feed is malformed after record 1: ")


@pytest.mark.parametrize(
    ("data", "item", "message"),
    [
        ("", None, "the feed is empty"),
        ("   \n", None, "the feed is empty"),
        ('"hello"', None, "the JSON feed is a text, not a list of products"),
        (
            '{"meta": 1, "items": []}',
            None,
            "the JSON feed is an object, not a list; set source.item to the key that holds the "
            "products (its keys are: meta, items)",
        ),
        (
            '{"meta": 1, "items": []}',
            "products",
            "the JSON feed has no key 'products' at its top level; its keys are: meta, items",
        ),
        (
            '{"products": {"a": 1}}',
            "products",
            "'products' in the JSON feed is an object, not a list",
        ),
        (
            "[]",
            "products",
            "the JSON feed is a list, not an object with the key 'products'; "
            "leave source.item empty to read it",
        ),
        ("<xml/>", None, "the JSON feed is malformed near its start: invalid char in json text."),
    ],
)
def test_whole_feed_failures_at_open(
    tmp_path: pathlib.Path, data: str, item: str | None, message: str
) -> None:
    with pytest.raises(FeedError) as failure:
        open_feed(write(tmp_path, data), FeedSpec(format="json", item=item), ["sku"])
    assert str(failure.value) == message


def test_byte_order_mark(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, b'\xef\xbb\xbf[{"sku": "A"}]')
    assert read(path, JSON, ["sku"]) == [("A",)]


def test_invalid_utf8_is_named_as_an_encoding_problem(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, b'[{"sku": "A"},\n {"sku": "Cr\xe8me"}]')
    with pytest.raises(FeedError) as failure, open_feed(path, JSON, ["sku"]) as feed:
        list(feed.records())
    assert str(failure.value).startswith("the feed is not valid utf-8 at byte 28 (0xE8), line 2;")


def test_windows_1257_json(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, '[{"name": "Šilutės sūris"}]'.encode("windows-1257"))
    spec = FeedSpec(format="json", encoding="windows-1257")
    assert read(path, spec, ["name"]) == [("Šilutės sūris",)]


def test_json_lines_values_and_bad_lines(tmp_path: pathlib.Path) -> None:
    path = write(
        tmp_path,
        '{"sku": "A", "price": 1.50, "dims": {"w": 3}}\n'
        "\n"
        '{"sku": "B", \n'
        "[1, 2]\n"
        '{"sku": "C", "price": 2}\r\n',
        "feed.jsonl",
    )
    assert read(path, JSONL, ["sku", "price", "dims.w"]) == [
        ("A", "1.50", "3"),
        RowError(
            line=2,
            key=None,
            message="line 3 is not valid JSON: "
            "Expecting property name enclosed in double quotes (column 14)",
        ),
        RowError(line=3, key=None, message="line 4 is a list, not an object"),
        ("C", "2", None),
    ]


def test_json_lines_with_spaces_around_or_more_after_the_object(tmp_path: pathlib.Path) -> None:
    path = write(
        tmp_path,
        '{"sku": "A"}\n'
        '   {"sku": "B"}  \t\n'
        '{"sku": "C"} x\n'
        '{"sku": "D"}{"sku": "E"}\n'
        '{"sku": "F", "price": 1e2}',
        "feed.jsonl",
    )
    assert read(path, JSONL, ["sku", "price"]) == [
        ("A", None),
        ("B", None),
        RowError(line=3, key=None, message="line 3 is not valid JSON: Extra data (column 14)"),
        RowError(line=4, key=None, message="line 4 is not valid JSON: Extra data (column 13)"),
        ("F", "1E+2"),
    ]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("", "the feed is empty"),
        ("\n \n", "the feed is empty"),
        ('[{"sku": "A"}]\n', "line 1) is a list, not an object; is it a JSON file"),
        ('[\n  {"sku": "A"}\n]\n', "line 1) is not valid JSON: Expecting value; is it a JSON file"),
    ],
)
def test_json_lines_whole_feed_failures(tmp_path: pathlib.Path, data: str, words: str) -> None:
    with pytest.raises(FeedError, match=words.replace("(", r"\(").replace(")", r"\)")):
        open_feed(write(tmp_path, data, "feed.jsonl"), JSONL, ["sku"])


def test_json_lines_with_a_bad_byte_midway(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, b'{"sku": "A"}\n{"sku": "Cr\xe8me"}\n{"sku": "C"}\n', "feed.jsonl")
    got, message = read_until_error(path, JSONL, ["sku"])
    assert got == [("A",)]
    assert message.startswith("the feed is not valid utf-8 at byte 25 (0xE8), line 2;")


def test_json_lines_in_utf16(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, '{"sku": "Ą"}\n{"sku": "B"}\n'.encode("utf-16"), "feed.jsonl")
    assert read(path, FeedSpec(format="jsonl", encoding="utf-16"), ["sku"]) == [("Ą",), ("B",)]


def failure(path: pathlib.Path, spec: FeedSpec = JSON) -> str:
    """The FeedError of a feed, whether it stops at open (its first block) or while read."""
    with pytest.raises(FeedError) as failed, open_feed(path, spec, ["sku"]) as feed:
        list(feed.records())
    return str(failed.value)


def test_a_feed_nested_far_too_deep_is_refused_before_it_is_parsed(tmp_path: pathlib.Path) -> None:
    # 390 KB of "[": the JSON reader's memory grows with the square of the depth (gigabytes).
    path = write(tmp_path, "[" * 390_000)
    assert failure(path) == "line 1: the JSON is nested 65 levels deep; syncbeat reads at most 64"


def test_a_product_nested_too_deep_names_its_line(tmp_path: pathlib.Path) -> None:
    deep = '{"sku": "B", "x": ' + "[" * 63 + "]" * 63 + "}"  # 65 levels with the feed's list
    path = write(tmp_path, f'[\n{{"sku": "A"}},\n{deep}\n]')
    assert failure(path) == "line 3: the JSON is nested 65 levels deep; syncbeat reads at most 64"


def test_nesting_up_to_the_limit_is_read(tmp_path: pathlib.Path) -> None:
    deep = '{"sku": "B", "x": ' + "[" * 62 + "]" * 62 + "}"  # 64 levels with the feed's list
    path = write(tmp_path, f'[{{"sku": "A"}}, {deep}]')
    assert read(path, JSON, ["sku"]) == [("A",), ("B",)]


def test_brackets_quotes_and_backslashes_in_texts_do_not_count(tmp_path: pathlib.Path) -> None:
    # Texts full of brackets, escaped quotes and backslashes, long enough to cross the blocks
    # the depth check reads (64 KB), escapes split at a block's end included.
    noisy = r"[[{{ \"[[[\" \\ \\\" {{[" * 3000
    pair = "\\" * 2  # an escaped backslash
    records = [f'{{"sku": "S{i}", "note": "{pair * i}{noisy}"}}' for i in range(40)]
    path = write(tmp_path, "[" + ",\n".join(records) + "]")
    assert read(path, JSON, ["sku"]) == [(f"S{i}",) for i in range(40)]
    deep = '{"sku": "D", "x": ' + "[" * 63 + "]" * 63 + "}"
    path = write(tmp_path, "[" + ",\n".join([*records, deep]) + "]")
    assert failure(path) == "line 41: the JSON is nested 65 levels deep; syncbeat reads at most 64"


def test_deep_nesting_beside_the_products_is_refused_at_open(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, '{"meta": ' + "[" * 100_000)
    with pytest.raises(FeedError) as failure:
        open_feed(path, FeedSpec(format="json", item="products"), ["sku"])
    assert str(failure.value) == (
        "line 1: the JSON is nested 65 levels deep; syncbeat reads at most 64"
    )


def test_a_text_over_the_limit_stops_the_feed(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "JSON_TEXT", 200_000)
    path = write(tmp_path, '[{"sku": "A"},\n{"sku": "B", "note": "' + "x" * 300_000 + '"}]')
    assert failure(path).startswith("line 2: a text of the JSON feed runs over 200,000 bytes;")


def test_a_json_line_over_the_limit_is_that_lines_error(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "JSONL_LINE", 1000)
    long = '{"sku": "B", "note": "' + "é" * 2000 + '"}'  # cut inside a character, too
    path = write(tmp_path, f'{{"sku": "A"}}\n{long}\n{long}\n{{"sku": "C"}}\n', "feed.jsonl")
    too_long = "is longer than 1,000 bytes; syncbeat reads at most 1,000 bytes a line"
    assert read(path, JSONL, ["sku"]) == [
        ("A",),
        RowError(line=2, key=None, message=f"line 2 {too_long}"),
        RowError(line=3, key=None, message=f"line 3 {too_long}"),
        ("C",),
    ]


def test_a_json_lines_feed_whose_first_line_is_too_long_is_refused(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "JSONL_LINE", 1000)
    path = write(tmp_path, "[" + ", ".join(['{"sku": "A"}'] * 200) + "]\n", "feed.jsonl")
    with pytest.raises(FeedError, match=r"line 1\) is longer than 1,000 bytes, the most"):
        open_feed(path, JSONL, ["sku"])


def test_a_json_line_nested_too_deep_is_that_lines_error(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, '{"sku": "A"}\n' + "[" * 390_000 + '\n{"sku": "C"}\n', "feed.jsonl")
    assert read(path, JSONL, ["sku"]) == [
        ("A",),
        RowError(
            line=2, key=None, message="line 2: the JSON is nested too deeply for the JSON reader"
        ),
        ("C",),
    ]


def random_json(rng: random.Random, depth: int, budget: list[int]) -> object:
    """A random value nested at most `depth` levels, texts full of quotes and brackets."""
    budget[0] -= 1
    if depth == 0 or budget[0] <= 0 or rng.random() < 0.3:
        return "".join(rng.choice('ab"\\[]{}\n é') for _ in range(rng.randrange(12)))
    if rng.random() < 0.5:
        return [random_json(rng, depth - 1, budget) for _ in range(rng.randrange(4))]
    return {f"k{i}[\\": random_json(rng, depth - 1, budget) for i in range(rng.randrange(4))}


def nested(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("seed", range(20))
def test_the_depth_check_agrees_with_the_parser_whatever_the_blocks(seed: int) -> None:
    rng = random.Random(seed)
    over = seed % 2 == 1
    items = [random_json(rng, 62, [300]) for _ in range(20)]
    # The deepest item: 63 levels under the feed's list (64 in all), or one more.
    items.insert(rng.randrange(21), {"deep": nested(62 + over)})
    data = json.dumps(items, ensure_ascii=False).encode()
    block = rng.choice([1, 2, 3, 7, 64, 4096])
    guard = DepthGuard(io.BytesIO(data), lambda offset: data.count(b"\n", 0, offset) + 1)
    read = b""
    if over:
        with pytest.raises(FeedError, match="nested 65 levels deep"):
            while chunk := guard.read(block):
                read += chunk
    else:
        while chunk := guard.read(block):
            read += chunk
        assert read == data
