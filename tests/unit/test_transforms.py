"""Field rules: every step, rounding at its edges, conditions, maps, templates, constants,
exact decimals, and the mistakes a save refuses, each named by its field."""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from typing import Any

import pytest

from syncbeat.domain.convert import ConversionError, to_decimal, to_int, to_text
from syncbeat.domain.profile import ProfileError, parse_profile
from syncbeat.domain.transforms import (
    TransformError,
    inline_toml,
    parse_rule,
    read_inline,
)

COLUMNS = ["sku", "net_price", "stock", "category", "brand", "model"]


def rule_of(toml: str) -> Any:
    """A rule from the TOML body of [mapping.price], read as the CLI reads a file."""
    data = tomllib.loads(toml, parse_float=Decimal)
    rule, errors = parse_rule("price", data, "mapping.price")
    assert not errors, errors
    assert rule is not None
    return rule.bind(COLUMNS, "value", to_text)  # the value as text, to show its digits


def row(net_price: str | None = "10", stock: str | None = "5", category: str | None = "Toys",
        brand: str | None = "Acme", model: str | None = "X1") -> list[str | None]:
    return ["A1", net_price, stock, category, brand, model]


def computed(toml: str, **values: Any) -> str | None:
    bound = rule_of(toml)
    value = bound.compute(row(**values))[0]
    assert bound.value(row(**values)) == value  # what a batch asks, without the trace
    return value


def explained(toml: str, **values: Any) -> str:
    bound = rule_of(toml)
    text, trace = bound.compute(row(**values))
    assert trace is not None
    return f"{text} ({bound.explain(trace)})"


@pytest.mark.parametrize(("step", "value", "expected"), [
    ("{multiply = 1.35}", "7.40", "9.9900"),
    ("{divide = 4}", "10", "2.5"),
    ("{add = 0.50}", "10", "10.50"),
    ("{add = -1}", "10", "9"),
    ("{min = 0}", "-3", "0"),  # a floor: at least 0
    ("{min = 0}", "3", "3"),
    ("{max = 100}", "250", "100"),  # a ceiling: at most 100
    ("{max = 100}", "7", "7"),
    ("{round = 2}", "10.125", "10.13"),  # half up, not half even
    ("{round = 2}", "10.135", "10.14"),
    ("{round = 0}", "2.5", "3"),
    ('{round = "0.99"}', "14.04", "14.99"),
    ('{round = "0.99"}', "14.99", "14.99"),
    ('{round = "0.99"}', "15", "15.99"),  # at or above: a whole number goes up
    ('{round = "0.99"}', "14.995", "15.99"),
    ('{round = "0.9"}', "3.2", "3.9"),
    ('{ending = "0.95"}', "3.96", "4.95"),
    ('{round = "0.05"}', "14.02", "14.00"),  # the nearest 0.05
    ('{round = "0.05"}', "14.025", "14.05"),  # half up
    ('{round = "0.05"}', "14.03", "14.05"),
    ('{round = "0.5"}', "1.74", "1.5"),
    ("{nearest = 5}", "12.5", "15"),
    ("{remove_tax = 21}", "12.10", "10"),
    ("{add_tax = 21}", "10", "12.10"),
    ("{divide = 3}", "10", "3.333333"),  # more decimals than the catalog keeps: 6, half up
])
def test_each_step(step, value, expected):
    assert computed(f'from = "net_price"\nsteps = [{step}]', net_price=value) == expected


def test_toml_floats_are_exact_decimals():
    # 1.35 as a binary float is 1.350000000000000088817841970012523233890533447265625.
    assert computed('from = "net_price"\nsteps = [{multiply = 1.35}]', net_price="7.40") \
        == "9.9900"
    # The same through JSON (a float): read from its text too.
    rule, errors = parse_rule("price", {"from": "net_price", "steps": [{"multiply": 1.35}]}, "m")
    assert rule is not None and not errors
    bound = rule.bind(COLUMNS, "price", to_decimal)
    assert bound.compute(row(net_price="7.40"))[0] == Decimal("9.99")


def test_the_three_step_price_rule_explains_itself():
    toml = 'from = "net_price"\nsteps = [{multiply = 1.35}, {add = 0.50}, {round = "0.99"}]'
    assert explained(toml, net_price="7.40") == \
        "10.99 (net_price 7.40 x 1.35 = 9.99, + 0.50 = 10.49, ending .99)"
    assert explained(toml, net_price="7,40") == \
        "10.99 (net_price 7,40 x 1.35 = 9.99, + 0.50 = 10.49, ending .99)"


def test_a_step_on_text_is_the_rows_error_naming_step_value_and_column():
    toml = 'from = "net_price"\nsteps = [{multiply = 1.35}]'
    with pytest.raises(TransformError) as caught:
        computed(toml, net_price="n/a")
    assert str(caught.value) == \
        "step 1 (multiply 1.35) needs a number, the feed has 'n/a' in net_price"


def test_a_blank_or_missing_column_leaves_the_field_as_it_is():
    toml = 'from = "net_price"\nsteps = [{multiply = 2}]'
    assert computed(toml, net_price="") is None
    assert computed(toml, net_price="  ") is None
    assert computed(toml, net_price=None) is None


def test_when_a_column_equals():
    toml = ('from = "net_price"\nsteps = [{multiply = 2, when = {column = "category", '
            'equals = "Phones"}}]')
    assert computed(toml, net_price="10", category="Phones") == "20"
    assert computed(toml, net_price="10", category="Toys") == "10"
    assert explained(toml, net_price="10", category="Phones") == \
        "20 (net_price 10 x 2 (when category is 'Phones'))"


def test_markup_by_price_range_tests_the_feed_column_not_the_value_being_changed():
    toml = """from = "net_price"
steps = [{multiply = 1.50, when = {column = "net_price", below = 10}},
         {multiply = 1.25, when = {column = "net_price", at_least = 10}}]"""
    assert computed(toml, net_price="8") == "12.00"  # 50%, and not 25% on top of it
    assert computed(toml, net_price="10") == "12.50"
    assert computed(toml, net_price="20") == "25.00"


def test_when_without_a_column_tests_the_value_at_that_step():
    toml = 'from = "net_price"\nsteps = [{add = 5, when = {below = 10}}, {multiply = 2}]'
    assert computed(toml, net_price="4") == "18"
    assert computed(toml, net_price="12") == "24"
    toml = 'from = "net_price"\nsteps = [{max = 50, when = {at_least = 10, below = 100}}]'
    assert computed(toml, net_price="60") == "50"
    assert computed(toml, net_price="160") == "160"


def test_when_on_a_column_that_is_no_number_is_the_rows_error():
    toml = 'from = "net_price"\nsteps = [{multiply = 2, when = {column = "stock", below = 3}}]'
    with pytest.raises(TransformError, match="tests stock as a number, the feed has 'lots'"):
        computed(toml, stock="lots")
    assert computed(toml, stock="") == "10"  # blank: the test does not hold


def test_a_value_map_with_a_default():
    toml = ('from = "stock"\nmap = { "in stock" = 100, "out of stock" = 0 }\ndefault = 5\n'
            'steps = [{min = 0}]')
    assert computed(toml, stock="in stock") == "100"
    assert computed(toml, stock=" out of stock ") == "0"
    assert computed(toml, stock="ask us") == "5"
    assert explained(toml, stock="in stock") == \
        "100 (stock 'in stock' mapped to 100, at least 0)"
    assert explained(toml, stock="ask us") == "5 (stock 'ask us' not in the map: 5, at least 0)"


def test_a_value_map_without_default_lets_other_values_through():
    toml = 'from = "stock"\nmap = { "in stock" = 100 }'
    assert computed(toml, stock="in stock") == "100"
    assert computed(toml, stock="7") == "7"
    assert computed(toml, stock="") is None
    toml = 'from = "stock"\nmap = { "in stock" = 100, "" = 0 }'  # a blank mapped explicitly
    assert computed(toml, stock="") == "0"


def test_a_result_the_field_cannot_hold_is_an_error_saying_how_it_was_computed():
    rule, _ = parse_rule("quantity", {"from": "stock", "steps": [{"multiply": 1.5}]}, "m")
    assert rule is not None
    bound = rule.bind(COLUMNS, "quantity", to_int)
    assert bound.compute(row(stock="4"))[0] == 6
    with pytest.raises(ConversionError) as caught:
        bound.compute(row(stock="3"))
    assert str(caught.value) == (
        "quantity '4.5' is not a whole number (from stock 3 x 1.50)")


def test_a_constant_value():
    bound = rule_of("value = true")
    assert bound.compute(row())[0] == "true"
    assert computed("value = 3") == "3"
    assert computed('value = "Imported"') == "Imported"


def test_a_template_joins_columns_and_a_missing_one_is_empty():
    assert computed('template = "{brand} {model}"') == "Acme X1"
    assert computed('template = "{brand} {model}"', brand="") == "X1"
    assert computed('template = "{brand} {model}"', brand=None, model=None) is None
    assert computed('template = "{brand} {{{model}}}"') == "Acme {X1}"


def test_a_rule_is_shown_and_read_back_unchanged():
    toml = """from = "stock"
map = { "in stock" = 100, "out of stock" = 0 }
default = 1.5
steps = [{min = 0}, {multiply = 1.35, when = {column = "category", equals = "Phönes"}},
         {round = "0.99"}]"""
    rule, _ = parse_rule("quantity", tomllib.loads(toml, parse_float=Decimal), "m")
    assert rule is not None
    shown = inline_toml(rule.data)
    again, errors = parse_rule("quantity", read_inline(shown), "m")
    assert not errors and again is not None and again.data == rule.data
    again, errors = parse_rule("quantity", shown, "m")  # as the web form posts it
    assert not errors and again is not None and again.data == rule.data


PROFILE = """
name = "Supplier A"
kind = "import"
[source]
location = "feeds/a.csv"
[match]
feed = "sku"
[mapping]
quantity = "stock"
[mapping.price]
from = "net_price"
steps = [ {multiply = 1.35}, {add = 0.50}, {round = "0.99"} ]
[mapping.name]
template = "{brand} {model}"
[mapping.active]
value = true
[mapping."attributes.tier"]
from = "tier"
steps = [{add = 1, when = {column = "category", equals = "Phones"}}]
"""


def test_a_profile_reads_the_columns_its_rules_need():
    profile = parse_profile(tomllib.loads(PROFILE, parse_float=Decimal))
    assert profile.feed_fields == ["sku", "stock", "net_price", "brand", "model", "tier",
                                   "category"]
    again = parse_profile(profile.to_dict())
    assert again.to_dict() == profile.to_dict()
    assert again.to_dict()["mapping"]["price"] == {
        "from": "net_price", "steps": [{"multiply": 1.35}, {"add": 0.5}, {"round": "0.99"}]}


def errors_of(mapping_toml: str) -> list[tuple[str, str]]:
    text = PROFILE.split("[mapping]")[0] + "[mapping]\n" + mapping_toml
    with pytest.raises(ProfileError) as caught:
        parse_profile(tomllib.loads(text, parse_float=Decimal))
    return caught.value.errors


@pytest.mark.parametrize(("mapping", "error"), [
    ('price = {from = "p", steps = [{multiply = 1.35}, {add = 1}, {round = 2.5}]}',
     ("mapping.price.steps[2]", 'round must be a whole number of places (round = 2), an '
                                'ending like "0.99" or a step like "0.05", in quotes')),
    ('price = {from = "p", steps = [{round = "abc"}]}',
     ("mapping.price.steps[0]", 'round must be a whole number of places (round = 2), an '
                                'ending like "0.99" or a step like "0.05", in quotes')),
    ('price = {from = "p", steps = [{round = 9}]}',
     ("mapping.price.steps[0]", "round takes 0 to 6 places, not 9")),
    ('price = {from = "p", steps = [{multiply = "lots"}]}',
     ("mapping.price.steps[0]", "multiply needs a number, not 'lots'")),
    ('price = {from = "p", steps = [{divide = 0}]}',
     ("mapping.price.steps[0]", "divide by 0 is not possible")),
    ('price = {from = "p", steps = [{multiply = 2, add = 1}]}',
     ("mapping.price.steps[0]", "needs exactly one action (multiply, divide, add, min, max, "
                                "round, ending, nearest, remove_tax, add_tax)")),
    ('price = {from = "p", steps = [{markup = 2}]}',
     ("mapping.price.steps[0].markup", "is not a step (use one of multiply, divide, add, min, "
                                       "max, round, ending, nearest, remove_tax, add_tax, with "
                                       "an optional when)")),
    ('price = {from = "p", steps = [{add = 1, when = {column = "c", like = "x"}}]}',
     ("mapping.price.steps[0].when.like", "is not a condition (use column with equals, below "
                                          "or at_least)")),
    ('price = {from = "p", steps = [{add = 1, when = {column = "c"}}]}',
     ("mapping.price.steps[0].when", "needs a test: equals, below or at_least")),
    ('price = {from = "p", step = [{add = 1}]}',
     ("mapping.price.step", "is not a setting of a field rule (use from, template, value, map, "
                            "default, steps)")),
    ('price = {from = "p", template = "{a}"}',
     ("mapping.price", 'needs exactly one of from (a feed field), template ("{brand} {model}") '
                       "or value (a constant)")),
    ('price = {from = "p", default = 1}',
     ("mapping.price.default", "is the value for what the map does not list: add a map")),
    ('name = {template = "{brand!r}"}',
     ("mapping.name.template", "'{brand!r}' is not a column: write {column name} only")),
    ('name = {template = "no columns"}',
     ("mapping.name.template", 'names no column: write them in braces, like "{brand} {model}"')),
    ('price = {from = "p", steps = {multiply = 2}}',
     ("mapping.price.steps", "must be a list of steps, like [{multiply = 1.35}, {round = 2}]")),
    ('price = "{from = p"',
     ("mapping.price", "is not a rule table {from = ..., steps = [...]}: Invalid value "
                       "(at line 1, column 13)")),
])
def test_mistakes_are_refused_on_save_naming_the_field(mapping, error):
    assert error in errors_of(mapping)


def test_the_rules_in_the_docs_are_valid():
    from pathlib import Path

    docs = (Path(__file__).parents[2] / "docs" / "profiles.md").read_text(encoding="utf-8")
    section = docs.split("### Transforms", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```toml\n(.*?)```", section, re.S)
    assert len(blocks) == 2
    for block in blocks:
        head = PROFILE.split("[mapping]")[0]
        profile = parse_profile(tomllib.loads(head + block, parse_float=Decimal))
        assert profile.mapping


@pytest.mark.parametrize("convert", [to_decimal, to_int, to_text])
@pytest.mark.parametrize("steps", [
    "{multiply = 1.35}, {add = 0.50}, {round = \"0.99\"}",
    "{multiply = 1}, {add = 0}, {round = 2}",
    "{min = 0}, {max = 100}, {round = 0}",
    "{divide = 3}",
    "{remove_tax = 21}, {add_tax = 21}, {round = \"0.05\"}, {nearest = 5}",
    "{add = -1}, {multiply = 1.5}",
])
@pytest.mark.parametrize("text", ["7.40", "7,40", " 12.5 ", "-3", "1e3", "1_000", "NaN", "abc",
                                  "", "1 234,50", "14.995", "0.0000001", "99999999999999"])
def test_a_batchs_value_is_the_computed_one_or_the_same_error(convert, steps, text):
    """`value` (the steps written out in one function, no trace) gives what `compute` gives,
    written alike (9.9900, not 9.99), or fails with the same words."""
    rule, errors = parse_rule("price", read_inline(f'{{from = "net_price", steps = [{steps}]}}'),
                              "mapping.price")
    assert rule is not None, errors
    bound = rule.bind(COLUMNS, "price", convert)

    def outcome(compute: Any) -> tuple[str, str]:
        try:
            got = compute(row(net_price=text))
        except (TransformError, ConversionError) as exc:
            return type(exc).__name__, str(exc)
        return type(got).__name__, str(got)

    assert outcome(bound.value) == outcome(lambda values: bound.compute(values)[0])
