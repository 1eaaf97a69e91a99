"""Field rules: a mapped catalog field computed from the feed by a small pipeline.

A rule reads a column (`from`), joins columns (`template`) or is a constant (`value`); an
optional value map translates the text; then steps do exact decimal arithmetic. `parse_rule`
validates a rule as its profile is saved (errors name the field and the step); `Rule.bind`
prepares it for the feed fields a task reads; `Bound.value` applies it to one row, giving
the field's value, as a batch does; `Bound.compute` gives the value with a trace of each
step, which `Bound.explain` words for the report, the log and the preview.
"""

from __future__ import annotations

import functools
import json
import operator
import string
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from syncbeat.domain.convert import ConversionError, to_decimal, to_int
from syncbeat.domain.diff import show

RULE_KEYS = ("from", "template", "value", "map", "default", "steps")
ACTIONS = ("multiply", "divide", "add", "min", "max", "round", "ending", "nearest",
           "remove_tax", "add_tax")
WHEN_KEYS = ("column", "equals", "below", "at_least")
MAX_PLACES = 6  # the catalog keeps prices to 6 decimals; results with more are rounded
LIMIT = Decimal(10) ** 15  # step numbers and results past this are no shop amount
_CTX = Context(prec=28, rounding=ROUND_HALF_UP)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
_KEEP = Decimal(1).scaleb(-MAX_PLACES)

Errors = list[tuple[str, str]]  # (dotted field, message), as ProfileError holds them


class TransformError(ValueError):
    """A rule that cannot be applied to a row; str() is the item's error."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Condition:
    """`when`: all of its tests hold. Without `column` they test the value at that step."""

    column: str | None = None
    equals: str | None = None  # compared as text, without surrounding spaces
    below: Decimal | None = None
    at_least: Decimal | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Step:
    action: str  # one of ACTIONS ("round" with a string is parsed as ending or nearest)
    number: Decimal
    label: str  # how the report writes it: "x 1.35", "ending .99"
    name: str  # how an error names it: "multiply 1.35"
    when: Condition | None = None


@dataclass(frozen=True, kw_only=True)
class Rule:
    """A validated field rule; `data` is its settings as the profile file writes them."""

    data: Mapping[str, Any]
    source: str | None = None
    template: str | None = None
    parts: tuple[tuple[str, str | None], ...] = ()  # template: (literal text, column or None)
    constant: str | None = None  # `value`, as the converter's text
    mapped: Mapping[str, str] | None = None
    default: str | None = None
    steps: tuple[Step, ...] = ()

    @property
    def columns(self) -> list[str]:
        """The feed fields the rule reads: its column, template columns, `when` columns."""
        names = [self.source] if self.source else []
        names += [column for _, column in self.parts if column]
        names += [s.when.column for s in self.steps if s.when and s.when.column]
        return list(dict.fromkeys(names))

    def bind(self, read: Sequence[str], name: str, convert: Convert) -> Bound:
        """The rule ready for rows holding the feed fields `read`, in that order, giving
        values of catalog field `name` (read from text by `convert`)."""
        return Bound(self, read, name, convert)


def _text_of(value: Any) -> str:
    """A TOML or JSON scalar as the text a converter reads (true, 100, 1.35, "in stock")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def number_of(value: Any) -> Decimal | None:
    """A setting's number, exact: a TOML float is read from its text (1.35 is 1.35, never
    the binary float nearest it); None if it is no finite number of a sensible size."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, int | Decimal):
            number = Decimal(value)
        elif isinstance(value, str):
            number = Decimal(value.strip().replace(",", "."))
        else:
            return None
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or abs(number) >= LIMIT:
        return None
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES * 2:
        return None
    return number


def plain_number(number: Decimal) -> int | float | str:
    """A step's number for the profile's JSON and TOML: an int or a float when that float
    reads back exactly, else its text (which `number_of` reads too)."""
    if number == number.to_integral_value() and number.as_tuple().exponent == 0:
        return int(number)
    as_float = float(number)
    if Decimal(repr(as_float)) == number:
        return as_float
    return format(number, "f")


def read_inline(text: str) -> Any:
    """A rule written as an inline TOML table (`{from = "net_price", steps = [...]}`), as
    the web form and `--set` take it; numbers exact. TOMLDecodeError if it is not one."""
    return tomllib.loads(f"v = {text}", parse_float=Decimal)["v"]


def parse_rule(name: str, data: Any, where: str) -> tuple[Rule | None, Errors]:
    """Validate a field rule's settings; the rule, or the errors naming `where...`."""
    if isinstance(data, str) and data.lstrip().startswith("{"):
        try:
            data = read_inline(data.strip())
        except tomllib.TOMLDecodeError as exc:
            return None, [(where, f"is not a rule table {{from = ..., steps = [...]}}: {exc}")]
    errors: Errors = []
    if not isinstance(data, Mapping):
        return None, [(where, "must name a feed field, or be a rule table")]
    for key in data:
        if key not in RULE_KEYS:
            errors.append((f"{where}.{key}", "is not a setting of a field rule (use "
                           + ", ".join(RULE_KEYS) + ")"))
    given = [key for key in ("from", "template", "value") if key in data]
    if len(given) != 1:
        errors.append((where, "needs exactly one of from (a feed field), template "
                              "(\"{brand} {model}\") or value (a constant)"))
    clean: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    if "from" in data:
        source = data["from"]
        if not isinstance(source, str) or not source.strip():
            errors.append((f"{where}.from", "must name a feed field"))
        else:
            clean["from"] = fields["source"] = source.strip()
    if "template" in data:
        parts = _template(data["template"], f"{where}.template", errors)
        if parts is not None:
            clean["template"] = fields["template"] = data["template"]
            fields["parts"] = parts
    if "value" in data:
        value = data["value"]
        if not isinstance(value, str | int | float | Decimal) or (
                isinstance(value, float | Decimal) and number_of(value) is None):
            errors.append((f"{where}.value", "must be text, a number or true/false"))
        else:
            clean["value"] = _plain(value)
            fields["constant"] = _text_of(value)
        if "map" in data or "default" in data:
            errors.append((where, "a constant value takes no map or default"))
    if "map" in data:
        mapped = _value_map(data["map"], f"{where}.map", errors)
        if mapped is not None:
            clean["map"] = {key: _plain(value) for key, value in data["map"].items()}
            fields["mapped"] = mapped
    if "default" in data:
        default = data["default"]
        if "map" not in data:
            errors.append((f"{where}.default", "is the value for what the map does not list: "
                                               "add a map"))
        elif not _scalar(default):
            errors.append((f"{where}.default", "must be text, a number or true/false"))
        else:
            clean["default"] = _plain(default)
            fields["default"] = _text_of(default)
    steps: list[Step] = []
    if "steps" in data:
        raw_steps = data["steps"]
        if not isinstance(raw_steps, list | tuple):
            errors.append((f"{where}.steps", "must be a list of steps, "
                                             "like [{multiply = 1.35}, {round = 2}]"))
        else:
            for n, raw in enumerate(raw_steps):
                step = _step(raw, f"{where}.steps[{n}]", n + 1, errors)
                if step is not None:
                    steps.append(step)
            clean["steps"] = [_plain_step(raw) for raw in raw_steps]
    if errors:
        return None, errors
    return Rule(data=clean, steps=tuple(steps), **fields), []


def _scalar(value: Any) -> bool:
    if isinstance(value, float | Decimal):
        return number_of(value) is not None
    return isinstance(value, str | int)


def _plain(value: Any) -> Any:
    """A setting as JSON can store it (Decimals as exact ints, floats or text)."""
    if isinstance(value, Decimal | float) and not isinstance(value, bool):
        number = number_of(value)
        return plain_number(number) if number is not None else value
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _plain_step(raw: Any) -> Any:
    if isinstance(raw, Mapping) and isinstance(raw.get("round"), str):
        return {key: (value if key == "round" else _plain(value)) for key, value in raw.items()}
    return _plain(raw)


def _template(value: Any, where: str, errors: Errors) -> tuple[tuple[str, str | None], ...] | None:
    if not isinstance(value, str) or not value.strip():
        errors.append((where, 'must be text naming columns in braces, like "{brand} {model}"'))
        return None
    try:
        parsed = list(string.Formatter().parse(value))
    except ValueError as exc:
        errors.append((where, f"is not a valid template ({exc}); write {{{{ for a brace"))
        return None
    parts: list[tuple[str, str | None]] = []
    for literal, column, spec, conversion in parsed:
        if column is not None and (not column.strip() or spec or conversion):
            errors.append((where, f"'{{{column}{'!' + conversion if conversion else ''}"
                                  f"{':' + spec if spec else ''}}}' is not a column: write "
                                  "{column name} only"))
            return None
        parts.append((literal, column.strip() if column is not None else None))
    if not any(column for _, column in parts):
        errors.append((where, "names no column: write them in braces, like \"{brand} {model}\""))
        return None
    return tuple(parts)


def _value_map(value: Any, where: str, errors: Errors) -> dict[str, str] | None:
    if not isinstance(value, Mapping) or not value:
        errors.append((where, 'must be a table of feed value = catalog value, like '
                              '{ "in stock" = 100, "out of stock" = 0 }'))
        return None
    mapped: dict[str, str] = {}
    fine = True
    for key, target in value.items():
        if not _scalar(target):
            errors.append((f"{where}.{key}", "must be text, a number or true/false"))
            fine = False
        elif str(key).strip() in mapped:
            errors.append((f"{where}.{key}", "is listed twice (spaces around a value "
                                             "do not count)"))
            fine = False
        else:
            mapped[str(key).strip()] = _text_of(target)
    return mapped if fine else None


def _step(raw: Any, where: str, position: int, errors: Errors) -> Step | None:
    if not isinstance(raw, Mapping):
        errors.append((where, "must be a table with one action, like {multiply = 1.35}"))
        return None
    actions = [key for key in raw if key in ACTIONS]
    for key in raw:
        if key not in ACTIONS and key != "when":
            errors.append((f"{where}.{key}", "is not a step (use one of "
                                             + ", ".join(ACTIONS) + ", with an optional when)"))
    if len(actions) != 1:
        if not [key for key in raw if key not in ACTIONS and key != "when"]:
            errors.append((where, "needs exactly one action (" + ", ".join(ACTIONS) + ")"))
        return None
    action = actions[0]
    argument = raw[action]
    when = _condition(raw["when"], f"{where}.when", errors) if "when" in raw else None
    made = _action(action, argument, where, errors)
    if made is None or ("when" in raw and when is None):
        return None
    action, number, label = made
    shown = f'"{argument}"' if isinstance(argument, str) else _text_of(_plain(argument))
    if when is not None:
        label = f"{label} ({_describe(when)})"
    return Step(action=action, number=number, label=label, when=when,
                name=f"{raw_action_name(actions[0])} {shown}")


def raw_action_name(action: str) -> str:
    """The action's word as the profile writes it."""
    return action


def _action(action: str, argument: Any, where: str, errors: Errors
            ) -> tuple[str, Decimal, str] | None:
    if action == "round":
        return _round(argument, where, errors)
    if action == "ending":
        number = number_of(argument)
        if number is None or not 0 <= number < 1:
            errors.append((where, 'ending must be a number from 0 to below 1, like "0.95"'))
            return None
        return "ending", number, f"ending {_ending(number)}"
    number = number_of(argument)
    if number is None:
        errors.append((where, f"{action} needs a number, not {argument!r}"))
        return None
    if action == "divide" and not number:
        errors.append((where, "divide by 0 is not possible"))
        return None
    if action in ("remove_tax", "add_tax") and not 0 <= number <= 100:
        errors.append((where, f"{action} is a tax rate in percent, from 0 to 100"))
        return None
    if action == "nearest" and number <= 0:
        errors.append((where, "nearest needs a step above 0, like 0.05"))
        return None
    text = _shown(number)
    labels = {
        "multiply": f"x {text}", "divide": f"/ {text}",
        "add": f"- {_shown(-number)}" if number < 0 else f"+ {text}",
        "min": f"at least {text}", "max": f"at most {text}", "nearest": f"nearest {text}",
        "remove_tax": f"less {text}% tax", "add_tax": f"plus {text}% tax",
    }
    return action, number, labels[action]


def _round(argument: Any, where: str, errors: Errors) -> tuple[str, Decimal, str] | None:
    message = ('round must be a whole number of places (round = 2), an ending like "0.99" '
               'or a step like "0.05", in quotes')
    if isinstance(argument, int) and not isinstance(argument, bool):
        if not 0 <= argument <= MAX_PLACES:
            errors.append((where, f"round takes 0 to {MAX_PLACES} places, not {argument}"))
            return None
        return "round", Decimal(argument), f"round to {argument} places"
    if isinstance(argument, str):
        number = number_of(argument) if argument.strip()[:1].isdigit() else None
        if number is None or number <= 0:
            errors.append((where, message))
            return None
        text = argument.strip()
        if number < 1 and text.startswith(("0.", ".")) and set(text.split(".", 1)[1]) == {"9"}:
            return "ending", number, f"ending {_ending(number)}"
        return "nearest", number, f"nearest {_shown(number)}"
    errors.append((where, message))
    return None


def _ending(number: Decimal) -> str:
    return show(number).removeprefix("0")


def _condition(raw: Any, where: str, errors: Errors) -> Condition | None:
    if not isinstance(raw, Mapping):
        errors.append((where, 'must be a table, like {column = "category", equals = "Phones"} '
                              "or {below = 10}"))
        return None
    bad = [key for key in raw if key not in WHEN_KEYS]
    for key in bad:
        errors.append((f"{where}.{key}", "is not a condition (use column with equals, below "
                                         "or at_least)"))
    if not any(key in raw for key in ("equals", "below", "at_least")):
        errors.append((where, "needs a test: equals, below or at_least"))
        return None
    column = raw.get("column")
    if column is not None and (not isinstance(column, str) or not column.strip()):
        errors.append((f"{where}.column", "must name a feed field"))
        return None
    equals = raw.get("equals")
    if equals is not None and not _scalar(equals):
        errors.append((f"{where}.equals", "must be text or a number"))
        return None
    limits: dict[str, Decimal | None] = {}
    for key in ("below", "at_least"):
        limits[key] = None
        if key in raw:
            limits[key] = number_of(raw[key])
            if limits[key] is None:
                errors.append((f"{where}.{key}", f"needs a number, not {raw[key]!r}"))
                return None
    if bad:
        return None
    return Condition(column=column.strip() if column else None,
                     equals=_text_of(equals).strip() if equals is not None else None,
                     below=limits["below"], at_least=limits["at_least"])


def _describe(when: Condition) -> str:
    what = when.column or "value"
    tests = []
    if when.equals is not None:
        tests.append(f"{what} is '{when.equals}'")
    if when.at_least is not None:
        tests.append(f"{what} at least {_shown(when.at_least)}")
    if when.below is not None:
        tests.append(f"{what} below {_shown(when.below)}")
    return "when " + " and ".join(tests)


def columns_of(value: Any) -> list[str]:
    """The feed fields a mapping value reads: a column's name, or a rule's columns (from its
    validated settings, as a task's spec holds them)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Rule):
        return value.columns
    rule, _ = parse_rule("", value, "")
    return rule.columns if rule is not None else []


# What a rule did to one row, kept cheap (a tuple; worded only when the report needs it):
# (source: the column, "template ..." or "constant"; the feed's text or None; what the map
# did, " mapped to 100", or None; the labels of the steps applied; the value after each).
Trace = tuple[str, str | None, str | None, Sequence[str], Sequence[Decimal]]
Convert = Callable[[str, str], Any]


class Bound:
    """A rule with its columns' positions in a task's rows and its field's converter: the
    per-row work."""

    __slots__ = ("_at", "_cap", "_convert", "_fns", "_labels", "_name", "_parts",
                 "_source_at", "_unconditional", "_words", "rule", "value")

    # The field's value of a row (None: no value, leave the field as it is), as `compute`
    # gives it but without its trace: what a batch asks for every row (the report words
    # the trace when it is read). TransformError names the step and the value that
    # failed, ConversionError a result the field cannot hold.
    value: Callable[[Sequence[str | None]], Any]

    def __init__(self, rule: Rule, read: Sequence[str], name: str, convert: Convert) -> None:
        self.rule = rule
        self._name = name
        self._convert = convert
        self._source_at = read.index(rule.source) if rule.source else -1
        self._parts = [(literal, read.index(column) if column else -1)
                       for literal, column in rule.parts]
        self._at = {column: read.index(column) for column in rule.columns}
        steps = rule.steps
        self._unconditional = all(step.when is None for step in steps)
        self._fns = tuple(_function(step) for step in steps)
        self._labels = tuple(step.label for step in steps)
        braced = [label.replace("{", "{{").replace("}", "}}") for label in self._labels]
        self._words = "{} " + ", ".join([*(f"{label} = {{}}" for label in braced[:-1]),
                                         *braced[-1:]])
        # A last step that rounds to at most MAX_PLACES leaves nothing to cap.
        last = steps[-1] if steps else None
        self._cap = not (last is not None and last.when is None and (
            last.action in ("round", "ending") or (
                last.action == "nearest" and _exponent(last.number) >= -MAX_PLACES)))
        plain_steps = rule.source and rule.mapped is None and steps and self._unconditional
        self.value = self._value_on_a_column() if plain_steps else self._value

    def _value_on_a_column(self) -> Callable[[Sequence[str | None]], Any]:
        """`value` for the usual price rule (a column, then steps without conditions): every
        lookup done once, the steps one call (`_fused`), no trace: it runs for every row of
        a feed, in the batch's write transaction."""
        at, cap, finish = self._source_at, self._cap, self._number_value
        column = self.rule.source or ""
        first = self.rule.steps[0]
        decimal_field = self._convert is to_decimal
        run = _fused(self.rule.steps)
        compute = self.compute

        def value(values: Sequence[str | None]) -> Any:
            text = values[at]
            if not text or text.isspace():
                return None
            try:
                number = Decimal(text)  # "12.50", the usual case, without the cleaning
                if "_" in text or not number.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                try:
                    number = to_decimal(text.strip(), "value")
                except ConversionError:
                    raise _not_a_number(first, 1, text.strip(), column) from None
            number = run(number)
            if decimal_field and not cap and -LIMIT < number < LIMIT:
                return number
            try:
                return finish(number, None)[0]
            except ConversionError:
                compute(values)  # raises it again, saying what the steps did
                raise

        return value

    def _value(self, values: Sequence[str | None]) -> Any:
        return self.compute(values)[0]

    def compute(self, values: Sequence[str | None]) -> tuple[Any, Trace | None]:
        """The field's value of a row (None: no value, leave the field as it is) and the
        trace that `explain` words; TransformError names the step and the value that
        failed, ConversionError a result the field cannot hold."""
        rule = self.rule
        column: str | None = None
        mapped_note: str | None = None
        if rule.constant is not None:
            text: str | None = rule.constant
            source, shown_text = "constant", None
        elif self._source_at >= 0:
            column = rule.source
            text = values[self._source_at]
            if text is not None:
                text = text.strip()
            source, shown_text = column or "", text
        else:
            text = "".join(literal + ((values[at] or "").strip() if at >= 0 else "")
                           for literal, at in self._parts).strip()
            source, shown_text = f"template {rule.template}", None
        mapped = rule.mapped
        if mapped is not None:
            hit = mapped.get(text or "")
            if hit is not None:
                shown_text, mapped_note = text or "", f" mapped to {hit}"
                text, column = hit, None
            elif text and rule.default is not None:
                shown_text, mapped_note = text, f" not in the map: {rule.default}"
                text, column = rule.default, None
        if not text:
            return None, None
        if not self._fns:
            return self._text_value(text, (source, shown_text, mapped_note, (), ()))
        if self._unconditional:
            try:
                number = _read_number(text)
            except ConversionError:
                raise _not_a_number(rule.steps[0], 1, text, column) from None
            numbers = [number := fn(number) for fn in self._fns]
            labels: Sequence[str] = self._labels
        else:
            found, labels, numbers = self._conditional(values, text, column)
            if found is None:  # no step applied
                return self._text_value(text, (source, shown_text, mapped_note, (), ()))
            number = found
        return self._number_value(number, (source, shown_text, mapped_note, labels, numbers))

    def _number_value(self, number: Decimal, trace: Trace | None) -> tuple[Any, Trace | None]:
        convert = self._convert
        if self._cap and _exponent(number) < -MAX_PLACES:
            number = number.quantize(_KEEP, rounding=ROUND_HALF_UP)
        if -LIMIT < number < LIMIT:
            if convert is to_decimal:
                return number, trace
            if convert is to_int and number == number.to_integral_value():
                return int(number), trace
        return self._text_value(format(number, "f"), trace)

    def _text_value(self, text: str, trace: Trace | None) -> tuple[Any, Trace | None]:
        try:
            return self._convert(text, self._name), trace
        except ConversionError as exc:
            if trace is None:  # `value`, which asks `compute` for the words
                raise
            raise ConversionError(f"{exc} (from {self.explain(trace)})") from None

    def _conditional(self, values: Sequence[str | None], text: str, column: str | None
                     ) -> tuple[Decimal | None, list[str], list[Decimal]]:
        number: Decimal | None = None
        labels: list[str] = []
        numbers: list[Decimal] = []
        for n, (step, fn) in enumerate(zip(self.rule.steps, self._fns, strict=True), start=1):
            if step.when is not None and not self._holds(step, n, number, text, values, column):
                continue
            if number is None:
                try:
                    number = _read_number(text)
                except ConversionError:
                    raise _not_a_number(step, n, text, column) from None
            number = fn(number)
            labels.append(step.label)
            numbers.append(number)
        return number, labels, numbers

    def _holds(self, step: Step, n: int, number: Decimal | None, text: str,
               values: Sequence[str | None], column: str | None) -> bool:
        when = step.when
        assert when is not None
        if when.column is not None:
            seen = (values[self._at[when.column]] or "").strip()
            if not seen:
                return False
            if when.equals is not None and seen != when.equals:
                return False
            if when.below is None and when.at_least is None:
                return True
            try:
                tested = to_decimal(seen, when.column)
            except ConversionError:
                raise TransformError(f"step {n} ({step.name}) tests {when.column} as a number, "
                                     f"the feed has '{seen}' in {when.column}") from None
        else:
            if when.equals is not None and (_shown(number) if number is not None
                                            else text) != when.equals:
                return False
            if when.below is None and when.at_least is None:
                return True
            if number is not None:
                tested = number
            else:
                try:
                    tested = to_decimal(text, "value")
                except ConversionError:
                    raise _not_a_number(step, n, text, column) from None
        if when.below is not None and not tested < when.below:
            return False
        return when.at_least is None or tested >= when.at_least

    def explain(self, trace: Trace) -> str:
        """A trace in words: "net_price 7.40 x 1.35 = 9.99, + 0.50 = 10.49, ending .99"
        (the last step's result is the value the report shows)."""
        source, text, mapped_note, labels, numbers = trace
        if text is None:
            start = source
        elif numbers and not mapped_note:
            start = f"{source} {text.strip()}"  # the steps read it: a number, no quotes
        else:
            start = f"{source} {_quoted(text.strip())}"
        if mapped_note:
            start += mapped_note + ("," if numbers else "")
        if not numbers:
            return start
        # The last step's result is the field's new value, which the report shows already.
        if labels is self._labels:  # every step applied: the words are ready but the values
            return self._words.format(start, *map(_shown, numbers[:-1]))
        steps = [f"{label} = {_shown(number)}"
                 for label, number in zip(labels[:-1], numbers, strict=False)]
        return f"{start} {', '.join([*steps, labels[-1]])}"


def _exponent(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _quoted(text: str) -> str:
    if not text:
        return "(empty)"
    bare = text.lstrip("+-").replace(".", "", 1).replace(",", "", 1)
    return text if bare.isdigit() else f"'{text}'"


def _shown(number: Decimal) -> str:
    """A number in a rule's explanation: whole numbers bare (2, 100), others with at least
    their cents and no zeros past them (9.99 for 9.9900, 2.50, 3.333333)."""
    text = str(number)
    if len(text) > 3 and text[-3] == "." and "E" not in text:
        return text  # written with its cents: the usual case
    text = format(number, "f")
    point = text.find(".")
    if point < 0:
        return text
    decimals = text[point + 1:].rstrip("0")
    if not decimals:
        return text[:point]
    return f"{text[:point]}.{decimals:0<2}"


def _read_number(text: str) -> Decimal:
    """Feed text as a number, as a price is read; the plain "12.50" without the cleaning."""
    if "_" not in text:
        try:
            number = Decimal(text)
        except InvalidOperation:
            return to_decimal(text, "value")
        if number.is_finite():
            return number
    return to_decimal(text, "value")


def _not_a_number(step: Step, n: int, text: str, column: str | None) -> TransformError:
    where = f"the feed has '{text}' in {column}" if column else f"the value is '{text}'"
    return TransformError(f"step {n} ({step.name}) needs a number, {where}")


# The steps `_fused` writes in line (x is the value, {n} the step's number), each exactly as
# `_function` computes it; the others are called.
_IN_LINE = {
    "multiply": "x = {n} * x",
    "add": "x = {n} + x",
    "round": "x = x.quantize({n}, HALF_UP)",
    "min": "if x < {n}:\n        x = {n}",
    "max": "if x > {n}:\n        x = {n}",
}


def _fused(steps: Sequence[Step]) -> Callable[[Decimal], Decimal]:
    """The steps (without conditions) as one function giving the last value: a call a step
    costs more than the arithmetic, so the usual steps are written out in one function's
    body. Only the fixed lines of _IN_LINE become code; the numbers are its names' values."""
    names: dict[str, Any] = {"HALF_UP": ROUND_HALF_UP}
    lines = []
    for at, step in enumerate(steps):
        line = _IN_LINE.get(step.action)
        if line is None:
            names[f"f{at}"] = _function(step)
            lines.append(f"x = f{at}(x)")
            continue
        names[f"n{at}"] = _ONE.scaleb(-int(step.number)) if step.action == "round" else step.number
        lines.append(line.format(n=f"n{at}"))
    body = "".join(f"    {line}\n" for line in lines)
    exec(f"def fused(x):\n{body}    return x\n", names)
    fused: Callable[[Decimal], Decimal] = names["fused"]
    return fused


def _function(step: Step) -> Callable[[Decimal], Decimal]:
    """The step as one call on a decimal; exact, rounding half up where it must round."""
    action, number = step.action, step.number
    # Products and sums of feed amounts are exact (far below 28 digits): the operators,
    # quicker than a context's methods, give the same results.
    if action == "multiply":
        return functools.partial(operator.mul, number)
    if action == "add":
        return functools.partial(operator.add, number)
    if action == "round":
        places = _ONE.scaleb(-int(number))
        return lambda value: value.quantize(places, rounding=ROUND_HALF_UP)
    if action == "ending":
        def ending(value: Decimal) -> Decimal:
            price = _CTX.add(value.to_integral_value(rounding=ROUND_FLOOR), number)
            return price if price >= value else _CTX.add(price, _ONE)
        return ending
    if action == "nearest":
        def nearest(value: Decimal) -> Decimal:
            steps = _CTX.divide(value, number).to_integral_value(rounding=ROUND_HALF_UP)
            return _CTX.multiply(steps, number).quantize(number, rounding=ROUND_HALF_UP)
        return nearest
    if action == "divide":
        return lambda value: _CTX.divide(value, number)
    if action == "min":
        return lambda value: value if value >= number else number
    if action == "max":
        return lambda value: value if value <= number else number
    rate = _CTX.add(_ONE, _CTX.divide(number, _HUNDRED))
    if action == "remove_tax":
        return lambda value: _CTX.divide(value, rate)
    return functools.partial(_CTX.multiply, rate)  # add_tax


def inline_toml(value: Any) -> str:
    """A rule's settings as one inline TOML table (what the web form shows and reads back)."""
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_toml_key(str(key))} = {inline_toml(item)}"
                          for key, item in value.items())
        return f"{{{inner}}}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(inline_toml(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return _text_of(value)
    return _toml_string(str(value))


def _toml_key(key: str) -> str:
    bare = key and all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in key)
    return key if bare else _toml_string(key)


def _toml_string(text: str) -> str:
    # A JSON string is a TOML basic string, but for DEL, which TOML wants escaped too.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")
